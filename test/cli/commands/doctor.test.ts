import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkCache } from "../../../src/cli/commands/cache-check.js";
import { checkSparkLine, embeddedLine, lineSetting } from "../../../src/cli/commands/doctor-checks.js";
import { DEFAULT_CACHE_MAX_BYTES } from "../../../src/bundle/archive/cache.js";
import { tempDir } from "../../bundle/helpers.js";
import { jsonOf, plainEnv, runMain } from "../helpers.js";

interface DoctorJson {
  ok: boolean;
  checks: Array<{ id: string; status: "ok" | "warn" | "fail"; message: string; fix?: string }>;
}

/** A cache archive named the way src/bundle/archive/cache.ts names them: key-size-sha256.zip. */
function archive(dir: string, content: string, key = "a".repeat(64)): string {
  const sha = createHash("sha256").update(content).digest("hex");
  const name = `${key}-${Buffer.byteLength(content)}-${sha}.zip`;
  writeFileSync(join(dir, name), content);
  return name;
}

describe("doctor's cache check", () => {
  it("is ok for a missing directory that can be created, and for intact archives", async () => {
    expect(await checkCache(join(tempDir(), "bundles"))).toMatchObject({ status: "ok", message: expect.stringContaining("does not exist yet") });
    const dir = tempDir();
    archive(dir, "zip bytes");
    const ok = await checkCache(dir);
    expect(ok).toMatchObject({ status: "ok", details: { archives: 1, bytes: 9, damaged: [], staleTemps: [] } });
    expect(ok.message).toMatch(/^1 archive, 9 B of the 1\.00 GiB limit/);
  });

  it("warns about an archive whose bytes no longer match its name, naming it and the fix", async () => {
    const dir = tempDir();
    const name = archive(dir, "original");
    writeFileSync(join(dir, name), "tampered"); // same length, other bytes
    const result = await checkCache(dir);
    expect(result).toMatchObject({ status: "warn", details: { damaged: [name] } });
    expect(result.message).toContain(name);
    expect(result.fix).toMatch(/rebuilds it/);
  });

  it("warns about temp files left by a crashed build, but not about one being written now", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".tmp-aaaaaaaaaaaa-123-0000.part"), "fresh");
    expect((await checkCache(dir)).status).toBe("ok");
    const stale = join(dir, ".tmp-bbbbbbbbbbbb-456-1111.part");
    writeFileSync(stale, "old");
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    expect(await checkCache(dir)).toMatchObject({ status: "warn", details: { staleTemps: [".tmp-bbbbbbbbbbbb-456-1111.part"] }, fix: expect.stringContaining(".tmp-") });
  });

  it("warns when the archives exceed the cache's size limit", async () => {
    const dir = tempDir();
    archive(dir, "0123456789", "a".repeat(64));
    archive(dir, "abcdefghij", "b".repeat(64));
    expect((await checkCache(dir)).details.maxBytes).toBe(DEFAULT_CACHE_MAX_BYTES);
    expect((await checkCache(dir, 20)).status).toBe("ok");
    expect(await checkCache(dir, 19)).toMatchObject({ status: "warn", message: expect.stringMatching(/^over the size limit: 2 archives, 20 B of the 19 B limit/), fix: expect.stringContaining("evicts") });
  });
});

describe.skipIf(process.getuid?.() !== 0)("doctor's cache check, several problems at once (a real read-only tmpfs)", () => {
  it("names every problem, not only the first: read-only, a damaged archive, a stale temp file, over the limit", async () => {
    const dir = tempDir("sab-doctor-");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    try {
      const name = archive(dir, "original");
      writeFileSync(join(dir, name), "tampered");
      archive(dir, "0123456789", "b".repeat(64));
      const stale = ".tmp-cccccccccccc-789-2222.part";
      writeFileSync(join(dir, stale), "old");
      const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
      utimesSync(join(dir, stale), twoHoursAgo, twoHoursAgo);
      execFileSync("mount", ["-o", "remount,ro", dir]);
      const result = await checkCache(dir, 10);
      expect(result.status).toBe("warn");
      expect(result.message).toMatch(/not writable.*private temp directory/);
      expect(result.message).toContain(name);
      expect(result.message).toContain(stale);
      expect(result.message).toMatch(/over the size limit/);
      expect(result.fix).toMatch(/cacheDir|--cache-dir/);
      expect(result.fix).toMatch(/rebuilds it/);
      expect(result.fix).toMatch(/\.tmp-/);
      expect(result.fix).toMatch(/evicts/);
      expect(result.details.problems).toHaveLength(4);
    } finally {
      execFileSync("umount", ["-l", dir]);
    }
  });
});

describe("doctor", () => {
  it("fails (exit 1) without Java and Python when the embedded server is the target, and says how to fix it", async () => {
    const home = tempDir("sab-doctor-home-");
    const env = plainEnv({ PATH: "/nonexistent", SPARK_AUTOBUNDLE_HOME: home });
    delete env.JAVA_HOME;
    delete env.SPARK_REMOTE;
    delete env.SPARK_AUTOBUNDLE_PYTHON;
    const run = await runMain(["doctor", "--json", "--cache-dir", join(home, "bundles")], { env });
    expect(run.code).toBe(1);
    const out = jsonOf<DoctorJson>(run);
    expect(out.ok).toBe(false);
    const byId = Object.fromEntries(out.checks.map((c) => [c.id, c]));
    expect(Object.keys(byId)).toEqual(["java", "python", "pip", "pyspark", "server", "spark-line", "worker-python", "cache"]);
    expect(byId.pip).toMatchObject({ status: "warn", message: expect.stringContaining("no local Python") });
    expect(byId.java).toMatchObject({ status: "fail", message: expect.stringContaining("Java was not found"), fix: expect.stringContaining("JAVA_HOME") });
    expect(byId.python).toMatchObject({ status: "fail", fix: expect.stringContaining("Install Python") });
    expect(byId.pyspark).toMatchObject({ status: "warn", message: expect.stringContaining("not installed") });
    expect(byId.server).toMatchObject({ status: "warn", message: expect.stringContaining("no server to check") });
    expect(byId["spark-line"]).toMatchObject({ status: "ok", message: "the embedded server runs Spark line 4.3 (the default); no remote cluster to compare with" });
    expect(byId["worker-python"]!.status).toBe("warn");
    expect(byId.cache!.status).toBe("ok");
  });

  it("only warns about a missing Java when the target is a remote cluster, and fails on an unreachable one", async () => {
    const env = plainEnv({ PATH: "/nonexistent", SPARK_AUTOBUNDLE_HOME: tempDir("sab-doctor-home-") });
    delete env.JAVA_HOME;
    const run = await runMain(["doctor", "--remote", "sc://127.0.0.1:1", "--json"], { env });
    expect(run.code).toBe(1);
    const byId = Object.fromEntries(jsonOf<DoctorJson>(run).checks.map((c) => [c.id, c]));
    expect(byId.java).toMatchObject({ status: "warn", message: expect.stringContaining("only the embedded server needs it") });
    expect(byId.server).toMatchObject({ status: "fail", message: expect.stringContaining("Cannot reach the Spark Connect server at sc://127.0.0.1:1"), fix: expect.any(String) });
    expect(byId["spark-line"]).toMatchObject({ status: "warn", message: "not compared: the remote did not answer", fix: "see the server check" });
  });

  it("holds Python and pyspark to the selected line: 3.10 passes for 4.1, fails for the default 4.3; the line's own venv and pin", async () => {
    // A stand-in python reporting 3.10 (as test/server/provision/requirements.test.ts does): this machine's may be any version.
    const bin = tempDir("sab-doctor-py310-");
    writeFileSync(join(bin, "python3"), '#!/bin/sh\necho "Python 3.10.12"\n', { mode: 0o755 });
    const home = tempDir("sab-doctor-home-");
    const env = plainEnv({ SPARK_AUTOBUNDLE_HOME: home, SPARK_AUTOBUNDLE_PYTHON: join(bin, "python3") });
    delete env.SPARK_REMOTE;
    const checks = async (spark: string | undefined) =>
      Object.fromEntries(jsonOf<DoctorJson>(await runMain(["doctor", "--json"], { env: { ...env, SPARK_AUTOBUNDLE_SPARK: spark } })).checks.map((c) => [c.id, c]));
    const line41 = await checks("4.1");
    expect(line41.python).toMatchObject({ status: "ok", message: expect.stringContaining("Python 3.10.12") });
    expect(line41.pyspark).toMatchObject({ status: "warn", message: `pyspark 4.1.4 (Spark line 4.1) is not installed in ${join(home, "venv-pyspark-4.1.4")} yet` });
    const line43 = await checks(undefined);
    expect(line43.python).toMatchObject({ status: "fail", message: expect.stringContaining("need Python 3.11 or newer") });
    expect(line43.pyspark).toMatchObject({ message: `pyspark 4.3.0 (Spark line 4.3) is not installed in ${join(home, "spark-4.3", "venv-pyspark-4.3.0")} yet` });
  });

  it("warns about a local Python without pip, naming it and ensurepip; ok with pip", async () => {
    const venv = tempDir("sab-doctor-nopip-");
    execFileSync("python3", ["-m", "venv", "--without-pip", venv]);
    const env = plainEnv({ SPARK_AUTOBUNDLE_HOME: tempDir("sab-doctor-home-"), SPARK_AUTOBUNDLE_PYTHON: join(venv, "bin", "python") });
    delete env.SPARK_REMOTE;
    const pip = (run: Parameters<typeof jsonOf>[0]) => jsonOf<DoctorJson>(run).checks.find((c) => c.id === "pip");
    expect(pip(await runMain(["doctor", "--json"], { env }))).toMatchObject({ status: "warn", message: expect.stringContaining("sab-doctor-nopip-"), fix: expect.stringContaining("-m ensurepip") });
    delete env.SPARK_AUTOBUNDLE_PYTHON;
    expect(pip(await runMain(["doctor", "--json"], { env: { ...env, PATH: process.env.PATH } }))).toMatchObject({ status: "ok", message: expect.stringMatching(/^pip \d+/) });
  });

  it("prints one line per check with its fix, without colour on a pipe", async () => {
    const env = plainEnv({ PATH: "/nonexistent", SPARK_AUTOBUNDLE_HOME: tempDir("sab-doctor-home-") });
    delete env.JAVA_HOME;
    delete env.SPARK_REMOTE;
    const run = await runMain(["doctor"], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}java {11}Java was not found/m);
    expect(run.stdout).toMatch(/^ +fix: Install Java/m);
    expect(run.stdout).toMatch(/^2 failed, \d warnings$/m);
    expect(run.stdout).not.toContain("\x1b[");
  });
});

// The same check against a real remote's answer is in test/server/match.spark.test.ts; these are its cases
// no real server here can produce (a 3.4 cluster) or that need none (no remote).
describe("doctor's spark-line check", () => {
  const remote = { embeddedTarget: false, remote: "sc://cluster.example.com:443/;token=<redacted>" };

  it("reads the line setting: default, a line, match, or a value no line has", () => {
    expect(lineSetting({})).toEqual({ kind: "line", line: "4.3", from: "the default" });
    expect(lineSetting({ SPARK_AUTOBUNDLE_SPARK: "4.1.2" })).toEqual({ kind: "line", line: "4.1", from: "SPARK_AUTOBUNDLE_SPARK=4.1.2" });
    expect(lineSetting({ SPARK_AUTOBUNDLE_SPARK: "MATCH" })).toEqual({ kind: "match" });
    expect(lineSetting({ SPARK_AUTOBUNDLE_SPARK: "2.4" })).toEqual({ kind: "invalid", value: "2.4" });
    // The python and pyspark checks follow the line "match" would pick, when the remote told its version.
    expect(embeddedLine({ kind: "match" }, "4.2.1")).toBe("4.2");
    expect([embeddedLine({ kind: "match" }, "3.4.1"), embeddedLine({ kind: "match" }, undefined), embeddedLine({ kind: "invalid", value: "x" }, "4.2.1")]).toEqual([undefined, undefined, undefined]);
  });

  it("warns when the remote's line differs, naming both and both fixes; ok when they are the same", () => {
    const differ = checkSparkLine({ kind: "line", line: "4.1", from: "SPARK_AUTOBUNDLE_SPARK=4.1" }, remote, "4.2.1");
    expect(differ).toEqual({
      id: "spark-line",
      status: "warn",
      message: "the remote runs Spark 4.2.1 (line 4.2), but the embedded server runs line 4.1 (SPARK_AUTOBUNDLE_SPARK=4.1): code tested locally runs on another Spark than the cluster's",
      fix: 'set SPARK_AUTOBUNDLE_SPARK=4.2 (or =match) for remote("local") and the CLI, or start that line with `spark-autobundle server start --spark match`',
    });
    expect(checkSparkLine({ kind: "line", line: "4.2", from: "the default" }, remote, "4.2.1")).toMatchObject({ status: "ok", message: "the embedded server's line 4.2 (the default) is the remote's (Spark 4.2.1)" });
    expect(checkSparkLine({ kind: "match" }, remote, "3.5.1-databricks")).toMatchObject({ status: "ok", message: expect.stringContaining("runs line 3.5 (SPARK_AUTOBUNDLE_SPARK=match)") });
  });

  it("warns, never fails, for a remote on a line the embedded server does not run, or one that did not answer", () => {
    const old = checkSparkLine({ kind: "line", line: "4.3", from: "the default" }, remote, "3.4.1");
    expect(old).toMatchObject({ status: "warn", message: 'the remote runs Spark 3.4.1, a line the embedded server does not run (3.5, 4.0, 4.1, 4.2, 4.3): local tests run on Spark 4.3 instead' });
    expect(checkSparkLine({ kind: "match" }, remote, "3.4.1")).toMatchObject({ status: "warn", message: expect.stringContaining("so SPARK_AUTOBUNDLE_SPARK=match fails") });
    expect(checkSparkLine({ kind: "match" }, remote, undefined)).toMatchObject({ status: "warn", message: "not compared: the remote did not answer (SPARK_AUTOBUNDLE_SPARK=match needs it to answer)", fix: "see the server check" });
  });

  it("with the embedded server as the target: ok for a line, fails for a setting remote(\"local\") can't use", () => {
    const embedded = { embeddedTarget: true };
    expect(checkSparkLine({ kind: "line", line: "4.3", from: "the default" }, embedded, undefined)).toMatchObject({ status: "ok", message: expect.stringContaining("no remote cluster to compare with") });
    expect(checkSparkLine({ kind: "match" }, embedded, undefined)).toMatchObject({ status: "fail", fix: expect.stringContaining("set SPARK_REMOTE to the cluster's sc:// URL") });
    expect(checkSparkLine({ kind: "invalid", value: "2.4" }, embedded, undefined)).toMatchObject({ status: "fail", message: 'SPARK_AUTOBUNDLE_SPARK=2.4 is not a Spark line the embedded server runs, so remote("local") fails' });
    // With a cluster as the target the embedded server is optional: the same setting only warns.
    expect(checkSparkLine({ kind: "invalid", value: "2.4" }, remote, "4.3.0").status).toBe("warn");
  });
});
