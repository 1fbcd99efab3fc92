// `doctor` and `server status` against the shared, running Spark Connect server.
import { describe, expect, inject, it } from "vitest";
import { jsonOf, runCliProcess, runMain } from "../helpers.js";

interface DoctorJson {
  ok: boolean;
  checks: Array<{ id: string; status: "ok" | "warn" | "fail"; message: string; fix?: string }>;
}

const byId = (out: DoctorJson) => Object.fromEntries(out.checks.map((c) => [c.id, c]));

describe("doctor on a running server", () => {
  it("reaches the given remote and finds the workers' Python with a probe job", async () => {
    const run = await runMain(["doctor", "--remote", inject("sparkRemote"), "--json"]);
    const out = jsonOf<DoctorJson>(run);
    const checks = byId(out);
    expect(checks.server).toMatchObject({ status: "ok", message: expect.stringMatching(/^Spark 4\.\d+\.\d+ answers at sc:\/\//) });
    // An sc:// remote is probed like any cluster: the version comes from the workers themselves.
    expect(checks["worker-python"]!.message).toContain(`UDFs run on Python ${inject("sparkPythonVersion")} (from a probe job)`);
    expect(["ok", "warn"]).toContain(checks["worker-python"]!.status);
    expect(checks.java!.status).toBe("ok");
    // This machine is healthy (Java, Python, pyspark, a running server, a writable cache): nothing may fail.
    expect(out.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    expect(out.ok).toBe(true);
  });

  // With SPARK_REMOTE set, the test setup uses that server and starts no embedded one.
  it.skipIf(Boolean(process.env.SPARK_REMOTE))("checks the embedded server when it runs and no remote is given, never starting one", async () => {
    const env = { ...process.env };
    delete env.SPARK_REMOTE;
    const run = await runCliProcess(["doctor", "--json"], { env });
    const out = jsonOf<DoctorJson>(run);
    const checks = byId(out);
    expect(checks.server).toMatchObject({ status: "ok", message: expect.stringContaining("answers at the embedded server (pid ") });
    expect(checks.pyspark).toMatchObject({ status: "ok", message: expect.stringContaining(`pyspark ${inject("sparkVersion")}`) });
    expect(checks["worker-python"]!.message).toContain(`(from the embedded server's venv)`);
    expect(out.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    expect(out.ok).toBe(true);
  });
});

describe.skipIf(Boolean(process.env.SPARK_REMOTE))("server status on a running embedded server", () => {
  it("start reuses it: exit 0, {ok: true, server: {reused: true}}", async () => {
    const run = await runMain(["server", "start", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(jsonOf(run)).toMatchObject({ ok: true, server: { reused: true, sparkVersion: inject("sparkVersion") } });
  });

  it("status: exit 0 with {ok: true, state: running} and the server's details", async () => {
    const run = await runMain(["server", "status", "--json"]);
    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({ ok: true, state: "running", server: { sparkVersion: inject("sparkVersion"), url: expect.stringMatching(/^sc:\/\/127\.0\.0\.1:\d+\/;token=/) } });
  });
});
