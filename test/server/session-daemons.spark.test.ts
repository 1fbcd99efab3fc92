// The embedded server's Python daemons: Spark keeps one per session (keyed by the session's artifact UUID,
// its server-side id) until the server stops, released or not. stop() through the embedded launcher ends
// the released session's daemon; another live session's keeps working.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { lit, SparkSession, withAutoBundle } from "../../src/index.js";
import { copyFixture, tempDir } from "../bundle/helpers.js";

/** pids of the pyspark.daemon processes (any parent) started for server-side session `id`. */
function daemonsOf(id: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("pyspark.daemon")) continue;
      if (readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`SPARK_JOB_ARTIFACT_UUID=${id}`)) found.push(Number(entry));
    } catch {
      // The process exited while being read: not one of them any more.
    }
  }
  return found;
}

async function gone(id: string, withinMs = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (daemonsOf(id).length === 0) return true;
  }
  return false;
}

// remote("local") is the run's embedded server (the default line); a run against SPARK_REMOTE has none.
describe.skipIf(process.platform !== "linux" || Boolean(process.env.SPARK_REMOTE))("the embedded server's Python daemons", () => {
  it("stop() ends the released session's daemon and workers, reached by remote(\"local\") or by its sc:// URL; a live session's stays and keeps running UDFs", async () => {
    const root = copyFixture("flatlib");
    const open = async (remote: string) => withAutoBundle(await SparkSession.builder().remote(remote).create(), { root, cacheDir: tempDir("sab-cache-"), spareSession: false });
    const [a, b] = [await open("local"), await open(inject("sparkRemote"))];
    const line = '1.2.3.4 - - [02/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 1';
    const day = async (s: SparkSession) => (await s.range(0, 2, 1, 2).select(s.udf.python("weblog.parse:day_of", "string")(lit(line)).alias("d")).collect())[0]!.d;
    try {
      expect([await day(a), await day(b)]).toEqual(["2024-03-02", "2024-03-02"]);
      const [idA, idB] = [a.serverSessionId!, b.serverSessionId!];
      expect(daemonsOf(idA).length).toBeGreaterThan(0);
      expect(daemonsOf(idB).length).toBeGreaterThan(0);

      await a.stop();
      expect(await gone(idA)).toBe(true);
      expect(daemonsOf(idB).length).toBeGreaterThan(0);
      expect(await day(b)).toBe("2024-03-02");
      await b.stop();
      expect(await gone(idB)).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
