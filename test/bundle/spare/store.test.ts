import { mkdtempSync, readdirSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { homeLayout } from "../../../src/server/home/paths.js";
import { describe, expect, it } from "vitest";
import { putSpare, SPARE_MAX_AGE_MS, spareFile, takeSpare, unusableBecause, type SpareRecord } from "../../../src/bundle/spare/store.js";
import { spareStateFile } from "../../../src/bundle/spare/spare.js";
import type { BundleSession } from "../../../src/bundle/session-port.js";
import { stopLocalServer } from "../../../src/server/index.js";

function record(stateFile: string, overrides: Partial<SpareRecord> = {}): SpareRecord {
  return { schema: 1, server: "123@t", root: "/p", sessionId: "s-1", serverSideSessionId: "ss-1", createdAt: Date.now(), artifacts: [], ...overrides };
}

describe("spare session records", () => {
  it("one record per project root; a take removes it, so a second take gets nothing", () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), "sab-spare-")), "server.json");
    putSpare(stateFile, record(stateFile, { sessionId: "old" }));
    putSpare(stateFile, record(stateFile, { sessionId: "new" }));
    putSpare(stateFile, record(stateFile, { root: "/other", sessionId: "other" }));
    expect(readdirSync(join(stateFile, "..", "spares")).filter((f) => f.endsWith(".json"))).toHaveLength(2);
    expect(takeSpare(stateFile, "/p")?.sessionId).toBe("new");
    expect(takeSpare(stateFile, "/p")).toBeUndefined();
    expect(takeSpare(stateFile, "/other")?.sessionId).toBe("other");
  });

  it("an unreadable record is removed and yields nothing", () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), "sab-spare-")), "server.json");
    mkdirSync(join(stateFile, "..", "spares"), { recursive: true });
    writeFileSync(spareFile(stateFile, "/p"), "{not json");
    expect(takeSpare(stateFile, "/p")).toBeUndefined();
    expect(existsSync(spareFile(stateFile, "/p"))).toBe(false);
  });

  it("is refused when made for another root, another server process, or too long ago", () => {
    const r = record("x");
    expect(unusableBecause(r, "/p", "123@t")).toBeUndefined();
    expect(unusableBecause(r, "/q", "123@t")).toMatch(/made for \/p/);
    expect(unusableBecause(r, "/p", "999@t")).toMatch(/another server process/);
    expect(unusableBecause(r, "/p", undefined)).toMatch(/another server process/);
    expect(unusableBecause(r, "/p", "123@t", r.createdAt + SPARE_MAX_AGE_MS + 1)).toMatch(/older than 30 minutes/);
  });

  it("server stop removes the spares recorded beside the server's state file", async () => {
    const home = mkdtempSync(join(tmpdir(), "sab-spare-home-"));
    const stateFile = homeLayout(home).stateFile;
    mkdirSync(dirname(stateFile), { recursive: true });
    // A recorded server whose pid is not running: stop removes the state, and the spares with it.
    writeFileSync(stateFile, JSON.stringify({ schema: 1, pid: 0x7ffffff0, host: "127.0.0.1", port: 1, token: "t", logFile: "/dev/null" }));
    putSpare(stateFile, record(stateFile));
    await stopLocalServer({ home, env: {} });
    expect(existsSync(join(dirname(stateFile), "spares"))).toBe(false);
  });
});

describe("which sessions use spares", () => {
  // Spark 3.5 reports no server-side session id: its sessions are the ones without one.
  const session = (facts: { stateFile?: string } | undefined, version = "4.1.4") =>
    ({ serverFacts: facts, version, serverSessionId: version.startsWith("3.") ? undefined : "b1c2", adoptServerSession: async () => true }) as unknown as BundleSession;
  const embedded = { stateFile: "/home/server.json" };

  it("the embedded server on Spark 4, unless turned off", () => {
    expect(spareStateFile(session(embedded), undefined, false, {})).toBe("/home/server.json");
    expect(spareStateFile(session(embedded), false, false, {})).toBeUndefined();
    expect(spareStateFile(session(embedded), undefined, false, { SPARK_AUTOBUNDLE_SPARE: "0" })).toBeUndefined();
  });

  it("never a remote server, Spark 3.5, watch mode, or a test runner's session unless asked", () => {
    expect(spareStateFile(session(undefined), true, false, {})).toBeUndefined();
    expect(spareStateFile(session({}), true, false, {})).toBeUndefined();
    expect(spareStateFile(session(embedded, "3.5.7"), true, false, {})).toBeUndefined();
    expect(spareStateFile(session(embedded), true, true, {})).toBeUndefined();
    expect(spareStateFile(session(embedded), undefined, false, { VITEST: "true" })).toBeUndefined();
    expect(spareStateFile(session(embedded), true, false, { VITEST: "true" })).toBe("/home/server.json");
  });
});
