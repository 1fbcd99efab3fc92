import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freePort } from "../../helpers/private-home.js";
import { tempDir } from "../../bundle/helpers.js";
import { jsonOf, plainEnv, runMain } from "../helpers.js";

// Only what needs no server: starting one is test/server's business, status of a running one is in
// test/cli/doctor.spark.test.ts.
describe("server verb conventions", () => {
  it("status of a home with no server: exit 1 and {ok: false, state: stopped} with --json", async () => {
    const home = tempDir("sab-cli-home-");
    const run = await runMain(["server", "status", "--json", "--home", home]);
    expect(run.code).toBe(1);
    expect(jsonOf(run)).toEqual({ ok: false, state: "stopped", home: `${home}/spark-4.3`, reason: "no server is recorded in this home" });
  });

  it("stop with nothing running is a success that says so", async () => {
    const home = tempDir("sab-cli-home-");
    const run = await runMain(["server", "stop", "--json", "--home", home]);
    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({ ok: true, stopped: false, home: `${home}/spark-4.3` });
  });

  it("exits 2 for a missing or unknown subcommand, a bad --port, and a bad $SPARK_AUTOBUNDLE_PORT", async () => {
    const home = tempDir("sab-cli-home-");
    const missing = await runMain(["server", "--json"]);
    expect([missing.code, jsonOf(missing).error]).toEqual([2, { name: "UsageError", message: "missing subcommand: use start, stop or status" }]);
    expect((await runMain(["server", "restart", "--home", home])).code).toBe(2);
    const port = await runMain(["server", "start", "--port", "99999", "--home", home, "--json"]);
    expect(port.code).toBe(2);
    expect(jsonOf(port)).toMatchObject({ error: { message: expect.stringContaining("--port 99999 is not a port") } });
    const envPort = await runMain(["server", "status", "--home", home, "--json"], { env: plainEnv({ SPARK_AUTOBUNDLE_PORT: "http" }) });
    expect(envPort.code).toBe(2);
    expect(jsonOf(envPort)).toMatchObject({ ok: false, exitCode: 2, error: { message: expect.stringContaining("Invalid port") } });
  });
});

describe("server --spark and --cluster conventions", () => {
  it("names the choices for a bad --spark, --cluster count, or --cores with --cluster", async () => {
    const home = tempDir("sab-cli-home-");
    const spark = await runMain(["server", "status", "--spark", "2.4", "--home", home, "--json"]);
    expect([spark.code, jsonOf(spark).error]).toMatchObject([2, { message: "--spark 2.4: use one of 3.5, 4.0, 4.1, 4.2, 4.3, or match (default 4.3)" }]);
    const zero = await runMain(["server", "start", "--cluster", "0", "--home", home, "--json"]);
    expect([zero.code, jsonOf(zero).error]).toMatchObject([2, { message: expect.stringContaining("1 to 16") }]);
    const bare = await runMain(["server", "start", "--cluster", "--home", home, "--json"]);
    expect(bare.code).toBe(2);
    const cores = await runMain(["server", "start", "--cluster", "2", "--cores", "2", "--home", home, "--json"]);
    expect([cores.code, jsonOf(cores).error]).toMatchObject([2, { message: expect.stringContaining("one core each") }]);
  });

  it("keeps each Spark line and the cluster apart in the home: status of none running is exit 1", async () => {
    const home = tempDir("sab-cli-home-");
    const spark35 = await runMain(["server", "status", "--spark", "3.5", "--home", home, "--json"]);
    expect(spark35.code).toBe(1);
    expect(jsonOf(spark35)).toMatchObject({ state: "stopped", home: `${home}/spark-3.5` });
    const cluster = await runMain(["server", "status", "--cluster", "--home", home, "--json"]);
    expect([cluster.code, jsonOf(cluster)]).toEqual([1, { ok: false, state: "stopped" }]);
    const stop = await runMain(["server", "stop", "--cluster", "--json", "--home", home]);
    expect([stop.code, jsonOf(stop)]).toEqual([0, { ok: true, stopped: 0, pids: [] }]);
  });
});

// The round trip to a real server (matched, reused) is in test/server/match.spark.test.ts.
describe("server --spark match conventions", () => {
  it("--remote only goes with --spark match (exit 2), and match with no remote names what to set (exit 2)", async () => {
    const home = tempDir("sab-cli-home-");
    const stray = await runMain(["server", "status", "--remote", "sc://cluster.example.com:15002", "--home", home, "--json"]);
    expect([stray.code, jsonOf(stray).error]).toMatchObject([2, { name: "UsageError", message: expect.stringMatching(/^--remote names the server whose line --spark match runs/) }]);
    const env = plainEnv({ SPARK_AUTOBUNDLE_SPARK: undefined });
    delete env.SPARK_REMOTE;
    const none = await runMain(["server", "start", "--spark", "match", "--home", home, "--json"], { env });
    expect([none.code, jsonOf(none).error]).toMatchObject([2, { name: "UsageError", message: expect.stringMatching(/^--spark match starts the Spark line of the cluster SPARK_REMOTE names, but no remote was given/) }]);
    const viaEnv = await runMain(["server", "stop", "--home", home, "--json"], { env: { ...env, SPARK_AUTOBUNDLE_SPARK: "match", SPARK_REMOTE: "local" } });
    expect([viaEnv.code, jsonOf(viaEnv).error]).toMatchObject([2, { message: expect.stringContaining('SPARK_AUTOBUNDLE_SPARK=match needs a remote cluster to match, but SPARK_REMOTE is "local"') }]);
  });

  it("an unreachable remote is exit 3, its token redacted, and nothing is started or stopped", async () => {
    const home = tempDir("sab-cli-home-");
    const port = await freePort();
    const run = await runMain(["server", "start", "--spark", "match", "--remote", `sc://127.0.0.1:${port}/;token=t0ps3cr3t`, "--home", home, "--json"]);
    expect(run.code).toBe(3);
    expect(jsonOf(run).error).toMatchObject({ name: "SparkLineMatchError", message: expect.stringContaining(`sc://127.0.0.1:${port}/;token=<redacted>`) });
    expect(run.stdout + run.stderr).not.toContain("t0ps3cr3t");
    expect(readdirSync(home)).toEqual([]);
  });
});
