// ensureLocalServer's reuse-or-start decisions, each ending in what the user observes: which process
// runs afterwards, what server.json says, which error (class, message, fix) comes back, and that no
// process is left behind. No JVM: the home's "venv" runs test/helpers/fake-connect-server.mjs as
// spark-submit (see fake-spark-home.ts), so lock, state file, spawn, readiness, health checks and
// process-group termination are all the real code. Every port is a free one on 127.0.0.1.
// The fake stands in because a real Connect server can't be made to hang, fail to spawn or never become
// ready on demand; real starts, reuse, restarts and stops are in local-server.spark.test.ts.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONNECT_SERVER_CLASS, LOOPBACK_HOST } from "../../src/server/constants.js";
import { ensureLocalServer } from "../../src/server/ensure.js";
import { LocalServerError, RequirementError, ServerStartError } from "../../src/server/errors.js";
import { readState, writeState, type ServerState } from "../../src/server/home/state.js";
import { checkHealth } from "../../src/server/process/health.js";
import type { LocalServer, LocalServerOptions } from "../../src/server/options.js";
import { venvRequirements } from "../../src/server/provision/provision.js";
import { fakeSparkHome, isLive, killMentioning, pidsMentioning, recordedState, startRecordedServer, type FakeSparkHome } from "../helpers/fake-spark-home.js";
import { freePort } from "../helpers/private-home.js";
import { processTree } from "../helpers/sockets.js";

let fake: FakeSparkHome;
let progress: string[];
const strays: ChildProcess[] = [];

beforeEach(() => {
  fake = fakeSparkHome();
  progress = [];
});

afterEach(async () => {
  for (const child of strays.splice(0)) child.kill("SIGKILL");
  await killMentioning(fake.home);
  fs.rmSync(fake.home, { recursive: true, force: true });
});

function ensure(options: LocalServerOptions): Promise<LocalServer> {
  return ensureLocalServer({
    home: fake.home,
    cores: 1,
    env: fake.env(),
    readyTimeoutMs: 20_000,
    onProgress: (line) => progress.push(line),
    ...options,
  });
}

function stateNow(): ServerState {
  const read = readState(fake.layout.stateFile);
  if (read.kind !== "ok") throw new Error(`expected a valid state file, got ${JSON.stringify(read)}`);
  return read.state;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: LOOPBACK_HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A server this call started: alive, answering, recorded, and the only thing of this home still running. */
async function expectStartedServer(server: LocalServer, port: number, gone: number[] = []): Promise<void> {
  expect(server).toMatchObject({ reused: false, port, host: LOOPBACK_HOST, sparkVersion: "4.1.4", cores: 1 });
  expect(isLive(server.pid)).toBe(true);
  expect(fs.readFileSync(`/proc/${server.pid}/cmdline`, "utf8")).toContain(CONNECT_SERVER_CLASS);
  await expect(checkHealth({ host: LOOPBACK_HOST, port, token: server.token, timeoutMs: 5_000 })).resolves.toEqual({ sparkVersion: "4.1.4" });
  expect(stateNow()).toMatchObject({ pid: server.pid, port, token: server.token, sparkVersion: "4.1.4", pysparkVersion: fake.layout.line.pysparkVersion });
  expect(pidsMentioning(fake.home).sort()).toEqual(processTree(server.pid).sort());
  for (const pid of gone) expect(isLive(pid), `pid ${pid} should be gone`).toBe(false);
  expect(fs.existsSync(fake.layout.lockFile)).toBe(false);
}

describe.skipIf(process.platform !== "linux")("ensureLocalServer", () => {
  it("reuses a healthy recorded server: same pid, state file untouched, nothing new started", async () => {
    const port = await freePort();
    const { child, state } = await startRecordedServer(fake, { port, mode: "serve" });
    const before = fs.readFileSync(fake.layout.stateFile, "utf8");
    const tree = processTree(child.pid!).sort();

    const server = await ensure({ port });
    expect(server).toMatchObject({ reused: true, pid: state.pid, port, token: state.token, url: `sc://127.0.0.1:${port}/;token=${state.token}` });
    expect(fs.readFileSync(fake.layout.stateFile, "utf8")).toBe(before);
    expect(pidsMentioning(fake.home).sort()).toEqual(tree);
    expect(progress).toEqual([]);
  });

  it.each([
    ["truncated JSON", '{"schema": 1, "pid": 4', "not valid JSON"],
    ["missing fields", '{"schema": 1, "pid": 4242}', "missing or invalid fields"],
    // process.kill() throws a TypeError for these instead of answering "no such process".
    ["a pid that can't be one", null, "missing or invalid fields"],
  ])("replaces an unreadable state file (%s) and starts a server", async (_name, text, reason) => {
    const port = await freePort();
    const bad = { schema: 1, pid: 1.5, host: LOOPBACK_HOST, port, token: "t", logFile: fake.layout.serverLog };
    fs.mkdirSync(fake.layout.home, { recursive: true });
    fs.writeFileSync(fake.layout.stateFile, text ?? JSON.stringify(bad));

    const server = await ensure({ port });
    expect(progress[0]).toMatch(new RegExp(`^spark-autobundle: replacing unreadable state file ${escapeRegExp(fake.layout.stateFile)} \\(${reason}( \\(.+\\))?\\)$`));
    await expectStartedServer(server, port);
  });

  it("treats a live pid that isn't a Connect server as gone: never signals it, starts a new server", async () => {
    const port = await freePort();
    const sleeper = spawn("sleep", ["60"], { stdio: "ignore" });
    strays.push(sleeper);
    writeState(fake.layout.stateFile, recordedState(fake, sleeper.pid!, port));

    const server = await ensure({ port });
    expect(isLive(sleeper.pid!)).toBe(true);
    expect(server.pid).not.toBe(sleeper.pid);
    expect(progress[0]).toBe(
      `spark-autobundle: the server recorded in ${fake.layout.stateFile} (pid ${sleeper.pid}) is gone; starting a new one`,
    );
    await expectStartedServer(server, port);
  });

  it("stops a healthy server recorded with another pyspark and starts one for this version", async () => {
    const port = await freePort();
    const { child } = await startRecordedServer(fake, { port, mode: "serve", state: { pysparkVersion: "3.5.1" } });
    const oldTree = processTree(child.pid!);
    expect(oldTree).toHaveLength(2);

    const server = await ensure({ port });
    expect(server).toMatchObject({ reused: false });
    expect(progress[0]).toBe(
      `spark-autobundle: stopping the running server (pyspark 3.5.1, venv out of date); this version needs ${venvRequirements(fake.layout.line).join(" ")}`,
    );
    expect(server.pid).not.toBe(child.pid);
    await expectStartedServer(server, port, oldTree);
  });

  it("stops a healthy server whose venv is out of date, then re-provisions (stopped here before pip)", async () => {
    const port = await freePort();
    const { child } = await startRecordedServer(fake, { port, mode: "serve" });
    const oldTree = processTree(child.pid!);
    fake.writeMarker(venvRequirements(fake.layout.line).slice(0, -1));

    // Re-provisioning detects Python first; a Python that can't run stops it before anything is removed or installed.
    const python = "/nonexistent/python3";
    const error = await ensure({ port, env: fake.env("serve", { SPARK_AUTOBUNDLE_PYTHON: python }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequirementError);
    expect((error as Error).message).toMatch(new RegExp(`^SPARK_AUTOBUNDLE_PYTHON is set to ${python}, but that is not an executable file\\. Install Python 3\\.11 or newer`));
    expect(progress[0]).toContain(`stopping the running server (pyspark ${fake.layout.line.pysparkVersion}, venv out of date)`);
    for (const pid of oldTree) expect(isLive(pid)).toBe(false);
    expect(fs.existsSync(fake.layout.stateFile)).toBe(false);
    expect(fs.existsSync(fake.sparkSubmit)).toBe(true);
    expect(pidsMentioning(fake.home)).toEqual([]);
    expect(fs.existsSync(fake.layout.lockFile)).toBe(false);
  });

  it("refuses an explicit port (option or env) other than the running server's, and reuses it otherwise", async () => {
    const port = await freePort();
    const other = await freePort();
    const { child, state } = await startRecordedServer(fake, { port, mode: "serve" });
    const before = fs.readFileSync(fake.layout.stateFile, "utf8");
    const tree = processTree(child.pid!).sort();
    const expected =
      `A local Spark Connect server from ${fake.layout.home} already runs on port ${port} (pid ${state.pid}), but port ${other} was requested. ` +
      `Use port ${port}, or stop it first with \`spark-autobundle server stop\`.\nServer log: ${fake.layout.serverLog}`;

    for (const options of [{ port: other }, { port: undefined, env: fake.env("serve", { SPARK_AUTOBUNDLE_PORT: String(other) }) }]) {
      const error = await ensure(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LocalServerError);
      expect((error as Error).constructor).toBe(LocalServerError);
      expect((error as Error).message).toBe(expected);
      expect((error as LocalServerError).logFile).toBe(fake.layout.serverLog);
      expect(fs.readFileSync(fake.layout.stateFile, "utf8")).toBe(before);
      expect(pidsMentioning(fake.home).sort()).toEqual(tree);
      expect(await portIsFree(other)).toBe(true);
      expect(fs.existsSync(fake.layout.lockFile)).toBe(false);
    }
    // No port asked for (option or env): the running one is fine, wherever it listens.
    expect(await ensure({ port: undefined })).toMatchObject({ reused: true, pid: state.pid, port });
    expect(await ensure({ port })).toMatchObject({ reused: true, pid: state.pid, port });
    expect(progress).toEqual([]);
  });

  it("restarts a live server that accepts connections but never answers", async () => {
    const port = await freePort();
    const { child } = await startRecordedServer(fake, { port, mode: "hang" });
    const oldTree = processTree(child.pid!);
    expect(oldTree).toHaveLength(2);

    // 3 checks of 0.5 s, 0.2 s apart (the defaults, 5 s and 2 s, took this test 20 s).
    const server = await ensure({ port, healthTimeoutMs: 500 });
    expect(server).toMatchObject({ reused: false });
    expect(server.pid).not.toBe(child.pid);
    expect(progress[0]).toMatch(new RegExp(`^spark-autobundle: the server \\(pid ${child.pid}\\) does not answer \\(health check failed: DEADLINE_EXCEEDED: .*\\); restarting it$`));
    await expectStartedServer(server, port, oldTree);
  }, 60_000);

  it("reports a spark-submit that can't be executed, naming it and the fix, and leaves nothing behind", async () => {
    const port = await freePort();
    fs.chmodSync(fake.sparkSubmit, 0o644);

    const error = await ensure({ port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerStartError);
    expect((error as Error).message).toBe(
      `Could not launch ${fake.sparkSubmit}: spawn ${fake.sparkSubmit} EACCES. Delete ${fake.layout.venvDir} to reinstall pyspark, then retry.\n` +
        `Server log: ${fake.layout.serverLog}`,
    );
    expect((error as ServerStartError).logFile).toBe(fake.layout.serverLog);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe("EACCES");
    expect(fs.existsSync(fake.layout.stateFile)).toBe(false);
    expect(pidsMentioning(fake.home)).toEqual([]);
    expect(await portIsFree(port)).toBe(true);
    expect(fs.existsSync(fake.layout.lockFile)).toBe(false);
  });

  it("kills a server that doesn't answer within readyTimeoutMs, with its process group, and removes the state file", async () => {
    const port = await freePort();
    const readyTimeoutMs = 500;
    let started: { pid: number; at: number } | undefined;
    const onProgress = (line: string) => {
      progress.push(line);
      if (started || !line.includes("starting Spark Connect")) return;
      const pid = stateNow().pid;
      // Hold the wait (synchronously, bounded) until the fake listens and has forked its worker,
      // so the kill below has a whole process group to take down.
      blockUntil(() => fs.readFileSync(fake.layout.serverLog, "utf8").includes(`hang on 127.0.0.1:${port}`), 15_000);
      started = { pid, at: Date.now() };
    };

    const error = await ensure({ port, readyTimeoutMs, env: fake.env("hang"), onProgress }).catch((e: unknown) => e);
    const tookMs = Date.now() - started!.at;
    expect(error).toBeInstanceOf(ServerStartError);
    const message = (error as Error).message;
    expect(message).toMatch(/^The Spark Connect server did not answer its health check within 0\.5s \(last attempt: health check failed: DEADLINE_EXCEEDED: .*\)\. The machine may be overloaded; retry, or raise the readyTimeoutMs option\.\n/);
    expect(message).toContain(`  | fake-connect: hang on 127.0.0.1:${port} (pid ${started!.pid})`);
    expect(message.endsWith(`Full log: ${fake.layout.serverLog}`)).toBe(true);
    const worker = Number(/fake-connect: worker (\d+)/.exec(message)![1]);
    for (const pid of [started!.pid, worker]) expect(isLive(pid), `pid ${pid} should be gone`).toBe(false);
    expect(pidsMentioning(fake.home)).toEqual([]);
    expect(fs.existsSync(fake.layout.stateFile)).toBe(false);
    expect(fs.existsSync(fake.layout.lockFile)).toBe(false);
    // The timeout is the caller's bound: no health check may run on past it (each may last up to 5 s).
    expect(tookMs).toBeLessThan(3_000);
  }, 30_000);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function blockUntil(check: () => boolean, timeoutMs: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`blockUntil: timed out after ${timeoutMs} ms`);
    Atomics.wait(cell, 0, 0, 20);
  }
}
