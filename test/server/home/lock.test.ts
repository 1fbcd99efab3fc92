import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LockTimeoutError } from "../../../src/server/index.js";
import { withLock } from "../../../src/server/home/lock.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sab-lock-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeLock(file: string, pid: number): void {
  fs.writeFileSync(file, JSON.stringify({ pid, hostname: os.hostname(), acquiredAt: new Date().toISOString() }));
}

describe("withLock", () => {
  it("holds the lock file while running and removes it afterwards", async () => {
    const lock = path.join(dir, "a.lock");
    const seen = await withLock(lock, async () => JSON.parse(fs.readFileSync(lock, "utf8")) as { pid: number });
    expect(seen.pid).toBe(process.pid);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it("serialises concurrent holders in one process", async () => {
    const lock = path.join(dir, "b.lock");
    const events: string[] = [];
    const task = (name: string) =>
      withLock(lock, async () => {
        events.push(`${name}:in`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        events.push(`${name}:out`);
      });
    await Promise.all([task("one"), task("two")]);
    expect(events.join(" ")).toMatch(/^(one|two):in \1:out (one|two):in \2:out$/);
  });

  it("takes over a lock whose process is dead", async () => {
    const lock = path.join(dir, "c.lock");
    const finished = spawnSync(process.execPath, ["-e", "0"]);
    writeLock(lock, finished.pid!);
    await expect(withLock(lock, async () => "got it")).resolves.toBe("got it");
  });

  it("waits for a live holder, then times out naming the lock file and the fix", async () => {
    const lock = path.join(dir, "d.lock");
    const holder = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      writeLock(lock, holder.pid!);
      const waits: number[] = [];
      const error = await withLock(lock, async () => "never", {
        timeoutMs: 600,
        onWait: (owner) => waits.push(owner?.pid ?? -1),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect((error as Error).message).toContain(lock);
      expect((error as Error).message).toContain(`pid ${holder.pid}`);
      expect((error as Error).message).toContain(`delete ${lock}`);
      expect(waits).toEqual([holder.pid]);
    } finally {
      holder.kill();
    }
  });
});
