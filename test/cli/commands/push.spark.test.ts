// `push` against the shared Spark Connect server: the session it prepares really holds the bundle.
import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { copyFixture, tempDir } from "../../bundle/helpers.js";
import { jsonOf, runCliProcess, runMain } from "../helpers.js";
import { joinSession } from "../join.js";
import { heldMarker } from "../../../src/bundle/upload.js";
import { autoBundleOf, withAutoBundle } from "../../../src/bundle/hook.js";
import { SparkSession } from "../../../src/connect/session.js";
import { col } from "../../../src/index.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

interface PushJson {
  ok: boolean;
  remote: string;
  sessionId: string;
  artifacts: string[];
  uploadedBytes: number;
  upToDate: boolean;
  artifact: string;
  loaderModule: string;
  bundle: { hash: string; hash12: string; files: number; bytes: number; zipPath: string; projectName: string };
}

describe("push", () => {
  it("uploads the bundle under the job's artifact name to the given session, which a script then joins", async () => {
    const root = copyFixture("srclayout");
    const cacheDir = tempDir("sab-cli-cache-");
    const sessionId = randomUUID();
    const run = await runMain(["push", "--remote", inject("sparkRemote"), "--session-id", sessionId, "--root", root, "--cache-dir", cacheDir, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = jsonOf<PushJson>(run);
    const name = `pyfiles/textkit-${out.bundle.hash12}.zip`;
    expect(out).toMatchObject({ ok: true, sessionId, artifacts: [name], artifact: name, upToDate: false, loaderModule: `_sab_loader_${out.bundle.hash12}` });
    expect(out.uploadedBytes).toBe(out.bundle.bytes + heldMarker(name).data.byteLength); // the zip and its held-marker
    expect(out.remote).toContain(`;session_id=${sessionId}`);

    // `bundle` shows the very archive `push` sent (same cache entry), so the two cannot drift apart.
    const built = jsonOf<{ hash: string; zipPath: string; fromCache: boolean }>(await runMain(["bundle", "--root", root, "--cache-dir", cacheDir, "--json"]));
    expect(built).toEqual(expect.objectContaining({ hash: out.bundle.hash, zipPath: out.bundle.zipPath, fromCache: true }));

    const joined = await joinSession(out.remote, inject("sparkPythonVersion"));
    try {
      expect(await joined.call("textkit.text:normalize", "  Hello   World ", out.loaderModule)).toBe("hello world");
      expect(joined.uploads).toBe(0);
    } finally {
      await joined.session.stop(); // releases the session push left open
    }
  });

  it("prints the artifact, session and remote for people", async () => {
    const run = await runMain(["push", "--remote", inject("sparkRemote"), "--root", "fixtures/flatlib", "--cache-dir", tempDir("sab-cli-cache-")]);
    expect(run.code, run.stderr).toBe(0);
    const match = /^Pushed (pyfiles\/flatlib-fixture-[0-9a-f]{12}\.zip) \([\d.]+ KiB\) to session ([0-9a-f-]{36})\n {2}remote: (sc:\/\/\S+;session_id=\2)\n {2}bundle: [0-9a-f]{12}, 5 files/.exec(run.stdout);
    expect(match, run.stdout).not.toBeNull();
    expect(run.stderr).toContain("warning: Not bundling weblog/.env");
    const joined = await joinSession(match![3]!, inject("sparkPythonVersion"));
    await joined.session.stop();
  });

  it("runs as a real subprocess: exit code 0 and the artifact names on stdout", async () => {
    const sessionId = randomUUID();
    const run = await runCliProcess(["push", "--remote", inject("sparkRemote"), "--session-id", sessionId, "--root", "fixtures/srclayout", "--cache-dir", tempDir("sab-cli-cache-"), "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = jsonOf<PushJson>(run);
    expect(out.artifacts).toEqual([expect.stringMatching(/^pyfiles\/textkit-[0-9a-f]{12}\.zip$/)]);
    const joined = await joinSession(out.remote, inject("sparkPythonVersion"));
    await joined.session.stop();
  });

  it("a script joining the pushed session with withAutoBundle finds the bundle there and uploads nothing", async () => {
    const root = copyFixture("srclayout");
    const cacheDir = tempDir("sab-cli-cache-");
    const run = await runMain(["push", "--remote", inject("sparkRemote"), "--session-id", "new", "--root", root, "--cache-dir", cacheDir, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = jsonOf<PushJson>(run);
    const spark = withAutoBundle(await SparkSession.builder().remote(out.remote).create(), { root, cacheDir, pythonVersion: inject("sparkPythonVersion") });
    try {
      const normalize = spark.udf.python("textkit.text:normalize", "string");
      const [row] = await spark.createDataFrame([{ s: "  Joined   Session " }]).select(normalize(col("s")).alias("n")).collect();
      expect(row!.n).toBe("joined session");
      expect(autoBundleOf(spark)!.counters).toEqual({ uploads: 0, bytes: 0, artifacts: 0 });
    } finally {
      await spark.stop();
    }
  });

  it("draws an upload progress bar on a terminal for a bundle over 1 MiB", async () => {
    const root = copyFixture("srclayout");
    writeFileSync(join(root, "src", "textkit", "blob.bin"), randomBytes(3 * 1024 * 1024)); // incompressible package data
    const run = await runMain(["push", "--remote", inject("sparkRemote"), "--root", root, "--cache-dir", tempDir("sab-cli-cache-")], { tty: true });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/uploading .*\d+%/);
    expect(run.stderr).toContain("\r\x1b[2K"); // redrawn in place, and cleared when done
    const sessionId = /to session ([0-9a-f-]{36})/.exec(run.stdout)![1]!;
    const joined = await joinSession(run.stdout.match(/remote: (\S+)/)![1]!, inject("sparkPythonVersion"));
    expect(joined.session.sessionId).toBe(sessionId);
    await joined.session.stop();
  });
});
