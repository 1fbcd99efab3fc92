import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerServerUser } from "../../src/server/index.js";
import { otherServerUsers } from "../../src/server/users.js";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "sab-users-"));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe("server users", () => {
  it("counts live other users, ignores itself, and drops dead ones", () => {
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    try {
      const unregisterSelf = registerServerUser(home);
      const unregisterSleeper = registerServerUser(home, sleeper.pid!);
      registerServerUser(home, dead);
      expect(otherServerUsers(home)).toEqual([sleeper.pid]);
      expect(fs.existsSync(path.join(home, "users", String(dead)))).toBe(false);

      unregisterSleeper();
      expect(otherServerUsers(home)).toEqual([]);
      unregisterSelf();
      expect(fs.readdirSync(path.join(home, "users"))).toEqual([]);
    } finally {
      sleeper.kill();
    }
  });
});
