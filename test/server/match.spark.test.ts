// Spark "match" and doctor's spark-line check against a real server: the run's shared server plays the
// remote cluster (its sc:// URL, token and all), so nothing new starts. Its line is whatever the run uses
// (4.3 by default), and the other line the doctor compares with is one that is not running.
import { describe, expect, inject, it } from "vitest";
import { ensureLocalServer, matchRemoteLine, parseSparkLine, type SparkLine } from "../../src/server/index.js";
import { tempDir } from "../bundle/helpers.js";
import { jsonOf, plainEnv, runMain } from "../cli/helpers.js";

interface DoctorJson {
  ok: boolean;
  checks: Array<{ id: string; status: "ok" | "warn" | "fail"; message: string; fix?: string }>;
}

const remote = () => inject("sparkRemote");
const version = () => inject("sparkVersion");
const redacted = () => remote().replace(/;token=[^;]*/, ";token=<redacted>");

describe("match against a real server", () => {
  it("reads the remote's version and line, from the argument or SPARK_REMOTE, its token redacted", async () => {
    const line = parseSparkLine(version());
    expect(await matchRemoteLine(remote())).toEqual({ line, version: version(), remote: redacted() });
    expect(await matchRemoteLine(undefined, { env: { SPARK_REMOTE: remote() } })).toMatchObject({ line, version: version() });
  });

  // Only the embedded server of this home can be reused; an external SPARK_REMOTE's line would start a JVM.
  it.skipIf(Boolean(process.env.SPARK_REMOTE))("server start --spark match reuses the running server of the remote's line, and says what it matched", async () => {
    const line = parseSparkLine(version());
    const run = await runMain(["server", "start", "--spark", "match", "--remote", remote(), "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(jsonOf(run)).toMatchObject({ ok: true, matched: { line, version: version(), remote: redacted() }, server: { reused: true, spark: line, sparkVersion: version() } });
    const text = await runMain(["server", "status", "--spark", "match"], { env: plainEnv({ SPARK_REMOTE: remote() }) });
    expect(text.stdout).toMatch(new RegExp(`^Matched Spark ${version().replaceAll(".", "\\.")} at sc://\\S+;token=<redacted> → line ${line}\\nSpark Connect server running`));
    // The library option too: the LocalServer names the concrete line.
    const server = await ensureLocalServer({ spark: "match", matchRemote: remote(), onProgress: () => undefined });
    expect([server.spark, server.reused, server.url]).toEqual([line, true, remote()]);
  });

  it("doctor's spark-line check: ok when the embedded line is the remote's, a warning naming both when not", async () => {
    const line = parseSparkLine(version());
    const other: SparkLine = line === "4.1" ? "4.3" : "4.1";
    // The workers' Python given, so no probe job runs, and an empty cache: this file checks lines only.
    const cacheDir = tempDir("sab-match-cache-");
    const doctor = async (spark: string) => {
      const run = await runMain(["doctor", "--remote", remote(), "--cache-dir", cacheDir, "--json"], { env: plainEnv({ SPARK_AUTOBUNDLE_SPARK: spark, SPARK_AUTOBUNDLE_PYTHON_VERSION: "3.11" }) });
      return jsonOf<DoctorJson>(run).checks.find((c) => c.id === "spark-line");
    };
    expect(await doctor(line)).toEqual({ id: "spark-line", status: "ok", message: `the embedded server's line ${line} (SPARK_AUTOBUNDLE_SPARK=${line}) is the remote's (Spark ${version()})` });
    expect(await doctor(other)).toMatchObject({
      status: "warn",
      message: `the remote runs Spark ${version()} (line ${line}), but the embedded server runs line ${other} (SPARK_AUTOBUNDLE_SPARK=${other}): code tested locally runs on another Spark than the cluster's`,
      fix: expect.stringContaining(`set SPARK_AUTOBUNDLE_SPARK=${line} (or =match)`),
    });
    expect(await doctor("match")).toMatchObject({ status: "ok", message: expect.stringContaining(`runs line ${line} (SPARK_AUTOBUNDLE_SPARK=match)`) });
  });
});
