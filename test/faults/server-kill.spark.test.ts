// Fault (issue 9.3): the real server is SIGKILLed mid-upload of a large bundle, then restarted on the
// same home and port. The next job must re-upload and succeed, with nothing corrupt left behind.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { autoBundleOf, lit, SparkConnectError, SparkSession, withAutoBundle } from "../../src/index.js";
import { GrpcCode } from "../../src/connect/errors.js";
import { sha256Hex } from "../../src/bundle/archive/hash.js";
import { ensureLocalServer, stopLocalServer, type LocalServer } from "../../src/server/index.js";
import { copyFixture, makeTree, tempDir } from "../bundle/helpers.js";
import { freePort, privateHome } from "../helpers/private-home.js";

const MiB = 1024 * 1024;
// A private home and port, so the shared server (port 15002) is never touched.
let home = "";
// The JVM's java.io.tmpdir (where Spark keeps session artifacts), so the test can look at them.
let serverTmp = "";
let sparkConf: Record<string, string> = {};
const progress: string[] = [];
const onProgress = (line: string) => progress.push(line);

/**
 * Fully gone (reaped: the JVM is our child). Not "zombie" or "empty cmdline": a dying JVM's other
 * threads still hold its listening socket then, and a restart would find the port busy.
 */
async function waitDead(pid: number, ms = 30_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (!fs.existsSync(`/proc/${pid}`)) return true;
  }
  return false;
}

/** Every file under dir, relative paths. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

/** The cache holds only whole archives: no temp files, each zip's size and SHA-256 match its name. */
function checkCache(cacheDir: string): string {
  const names = fs.readdirSync(cacheDir);
  expect(names.filter((n) => n.startsWith(".tmp-") || n.endsWith(".part"))).toEqual([]);
  const zips = names.filter((n) => n.endsWith(".zip"));
  expect(zips).toHaveLength(1);
  const m = /^[0-9a-f]{64}-(\d+)-([0-9a-f]{64})\.zip$/.exec(zips[0]!);
  expect(m, zips[0]).not.toBeNull();
  const bytes = fs.readFileSync(path.join(cacheDir, zips[0]!));
  expect(bytes.length).toBe(Number(m![1]));
  expect(sha256Hex(bytes)).toBe(m![2]);
  return path.join(cacheDir, zips[0]!);
}

beforeAll(async () => {
  home = await privateHome(undefined, onProgress);
  serverTmp = path.join(home, "jvm-tmp");
  sparkConf = { "spark.driver.extraJavaOptions": `-Djava.io.tmpdir=${serverTmp}` };
  fs.mkdirSync(serverTmp, { recursive: true });
}, 600_000);

afterAll(async () => {
  await stopLocalServer({ home });
  fs.rmSync(home, { recursive: true, force: true });
}, 120_000);

describe.skipIf(process.platform === "win32")("server killed mid-upload", () => {
  /** The restarted server the first case leaves running for the second. */
  let runningPort: number | undefined;

  it("the upload's job fails naming the server, the restarted server gets the whole bundle once, and the cache stays whole", async () => {
    const port = await freePort();
    const first: LocalServer = await ensureLocalServer({ home, port, cores: 1, onProgress, sparkConf });

    // Random bytes don't compress: the zip is ~40 MiB, an upload of a second or more.
    const root = copyFixture("blobpkg");
    const weights = randomBytes(40 * MiB);
    fs.mkdirSync(path.join(root, "blobpkg/data"));
    fs.writeFileSync(path.join(root, "blobpkg/data/weights.bin"), weights);
    const expected = `x|${weights.length}|${sha256Hex(weights).slice(0, 16)}`;
    const cacheDir = tempDir("sab-kill-cache-");

    // Kill once a quarter of the bytes went out: surely mid-stream, as the server commits only at its end.
    let killAt: { sent: number; total: number } | undefined;
    let lastProgress = { sent: 0, total: 0 };
    const spark = withAutoBundle(await SparkSession.builder().remote(first.url).create(), {
      root,
      cacheDir,
      maxFileBytes: 64 * MiB,
      dependencies: false,
      onUploadProgress: (sent, total) => {
        lastProgress = { sent, total };
        if (killAt === undefined && total > 30 * MiB && sent >= total / 4) {
          killAt = { sent, total };
          process.kill(first.pid, "SIGKILL");
        }
      },
    });
    const engine = autoBundleOf(spark)!;
    const predict = spark.udf.python("blobpkg.model:predict", "string");
    const run = async () => (await spark.range(1).select(predict(lit("x")).alias("v")).collect())[0]!.v;
    try {
      // 1. The job in flight fails with the client's "cannot reach the server" error, not a hang or a success.
      const killed = await run().catch((e: unknown) => e);
      expect(killAt).toBeDefined();
      expect(killAt!.sent).toBeLessThan(killAt!.total);
      expect(await waitDead(first.pid)).toBe(true);
      expect(killed).toBeInstanceOf(SparkConnectError);
      expect(killed).toMatchObject({ grpcCode: GrpcCode.UNAVAILABLE });
      expect((killed as Error).message).toContain(`Cannot reach the Spark Connect server at sc://127.0.0.1:${port}/;token=<redacted>`);
      expect(engine.counters).toMatchObject({ uploads: 1, artifacts: 0 }); // the stream never completed

      // 2. The cache holds only whole archives.
      const zipPath = checkCache(cacheDir);
      const zipSha = sha256Hex(fs.readFileSync(zipPath));
      // The dead JVM's temp dir keeps what it had staged: only part of the bundle (SIGKILL skips its cleanup).
      const leftovers = new Set(fs.readdirSync(serverTmp));
      const staged = listFiles(serverTmp).filter((f) => f.endsWith(".zip"));
      expect(staged).toHaveLength(1);
      for (const f of staged) expect(fs.statSync(path.join(serverTmp, f)).size, f).toBeLessThan(killAt!.total);

      // Same home and port: the dead pid is noticed, a new server starts with the same token.
      const second = await ensureLocalServer({ home, port, cores: 1, onProgress, sparkConf });
      expect(second.reused).toBe(false);
      expect(second.pid).not.toBe(first.pid);
      expect(second.token).toBe(first.token);

      // 3. The same session: the server answers SESSION_CHANGED, the session is renewed (it held nothing
      // else), and the job re-uploads the whole bundle; the executor reads every byte of weights.bin.
      const changes: unknown[] = [];
      spark.onSessionChange((change) => changes.push(change));
      expect(await run()).toBe(expected);
      expect(changes).toHaveLength(1);
      expect(engine.counters).toMatchObject({ uploads: 2, artifacts: 1 });
      expect(lastProgress).toEqual({ sent: lastProgress.total, total: killAt!.total });
      expect(checkCache(cacheDir)).toBe(zipPath);

      // 4. A further job uploads nothing, and every copy the new server keeps is byte-identical to the cache's.
      expect(await run()).toBe(expected);
      expect(engine.counters.uploads).toBe(2);
      const copies = listFiles(serverTmp).filter((f) => !leftovers.has(f.split(path.sep)[0]!) && f.endsWith(".zip"));
      // Once in the session's artifact dir; userFiles-* holds the local executor's fetched copy.
      expect(copies.filter((f) => f.startsWith("artifacts-"))).toHaveLength(1);
      for (const copy of copies) expect(sha256Hex(fs.readFileSync(path.join(serverTmp, copy))), copy).toBe(zipSha);
      // Left running for the next case, which kills it in turn: one JVM start less (~10 s on 2 cores).
      runningPort = port;
    } finally {
      await spark.stop().catch(() => undefined);
      if (runningPort === undefined) await stopLocalServer({ home });
    }
  }, 300_000);

  // local-server.spark.test.ts covers a graceful stop between jobs; a SIGKILL drops the connection without a goodbye.
  it("killed between jobs: the next job renews the session, re-uploads and succeeds", async () => {
    const port = runningPort ?? (await freePort());
    const first = await ensureLocalServer({ home, port, cores: 1, onProgress, sparkConf });
    const cacheDir = tempDir("sab-kill-cache-");
    const spark = withAutoBundle(await SparkSession.builder().remote(first.url).create(), { root: copyFixture("srclayout"), cacheDir, dependencies: false });
    const engine = autoBundleOf(spark)!;
    const normalize = spark.udf.python("textkit.text:normalize", "string");
    const run = async () => (await spark.range(1).select(normalize(lit(" A  B ")).alias("v")).collect())[0]!.v;
    try {
      expect(await run()).toBe("a b");
      expect(engine.counters.uploads).toBe(1);
      process.kill(first.pid, "SIGKILL");
      expect(await waitDead(first.pid)).toBe(true);
      const second = await ensureLocalServer({ home, port, cores: 1, onProgress, sparkConf });
      expect(second.pid).not.toBe(first.pid);

      const changes: unknown[] = [];
      spark.onSessionChange((change) => changes.push(change));
      expect(await run()).toBe("a b");
      expect(changes).toHaveLength(1);
      expect(engine.counters.uploads).toBe(2);
      checkCache(cacheDir);
      // Left running for the next case, which kills it in turn.
      runningPort = port;
    } finally {
      await spark.stop().catch(() => undefined);
      if (runningPort !== port) await stopLocalServer({ home });
    }
  }, 300_000);

  // Issue 17.2: a kill while a job runs left the client reattaching to (and releasing) an execution the
  // new server never saw, and the job after the restart failed with a raw INVALID_HANDLE.SESSION_NOT_FOUND.
  it("killed during a running job: that job fails naming the lost server, and the next one runs on a renewed session", async () => {
    const port = runningPort ?? (await freePort());
    runningPort = undefined;
    const first = await ensureLocalServer({ home, port, cores: 1, onProgress, sparkConf });
    const root = makeTree({
      "pyproject.toml": '[project]\nname = "slowlib"\n',
      "slowlib/__init__.py": "",
      "slowlib/slow.py": "import time\n\n\ndef slow(x, seconds):\n    time.sleep(seconds)\n    return x.upper()\n",
    });
    // Retries that outlast the restart (~10 s here; the default budget is ~9 s), so the running job's
    // stream reliably reaches the new server, which holds no such session.
    const retry = { maxRetries: 12, initialBackoffMs: 200, maxBackoffMs: 2_000, multiplier: 2, jitter: 0.2 };
    const spark = withAutoBundle(await SparkSession.builder().remote(first.url).retryPolicy(retry).create(), { root, cacheDir: tempDir("sab-kill-cache-"), dependencies: false });
    const slow = spark.udf.python("slowlib.slow:slow", "string");
    const run = async (seconds: number) => (await spark.range(1).select(slow(lit("a"), lit(seconds)).alias("v")).collect())[0]!.v;
    try {
      expect(await run(0)).toBe("A");
      // A temporary view goes with the old session: exactly one error may name it, then jobs run again.
      await spark.range(2).createOrReplaceTempView("pairs");
      const inFlight = run(20).then(() => "completed", (e: unknown) => e);
      await new Promise((r) => setTimeout(r, 5_000));
      process.kill(first.pid, "SIGKILL");
      expect(await waitDead(first.pid)).toBe(true);
      // Restarted while the job's stream is still retrying, as `server start` in another terminal would.
      const second = await ensureLocalServer({ home, port, cores: 1, onProgress, sparkConf });
      expect(second.pid).not.toBe(first.pid);
      // The job in flight dies, named as a lost session: its stream reached the new server, which answered
      // SESSION_NOT_FOUND (raw, before the fix). Never a raw INVALID_HANDLE.
      const killed = await inFlight;
      expect(killed).toBeInstanceOf(SparkConnectError);
      expect(killed).toMatchObject({ errorClass: "INVALID_HANDLE.SESSION_CHANGED" });
      expect((killed as Error).message).toMatch(/no longer has this session/);
      // Exactly one error names the lost view (the dead job's, or else the next job's); then the code is
      // re-sent to a renewed session and jobs run.
      const next = await run(0).catch((e: unknown) => e);
      const naming = [killed, next].filter((e) => e instanceof SparkConnectError && e.message.includes('temporary view "pairs"'));
      expect(naming).toHaveLength(1);
      expect(naming[0]).toMatchObject({ errorClass: "INVALID_HANDLE.SESSION_CHANGED" });
      if (naming[0] === killed) expect(next).toBe("A");
      expect(await run(0)).toBe("A");
      expect(await run(0)).toBe("A");
    } finally {
      await spark.stop().catch(() => undefined);
      await stopLocalServer({ home });
    }
  }, 300_000);
});
