// A private spark-autobundle home whose "provisioned" venv runs test/helpers/fake-connect-server.mjs as
// pyspark's spark-submit: ensureLocalServer's start, reuse and restart decisions run for real (lock,
// state file, spawn, readiness, health, termination) without a JVM or pip. Linux only (/proc).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CONNECT_SERVER_CLASS, ENV, LOOPBACK_HOST } from "../../src/server/constants.js";
import { serverToken } from "../../src/server/ensure.js";
import { homeLayout, sparkSubmitPath, venvPython, venvSparkHome, type HomeLayout } from "../../src/server/home/paths.js";
import { writeState, type ServerState } from "../../src/server/home/state.js";
import { checkHealth } from "../../src/server/process/health.js";
import { findProvisioned, venvRequirements } from "../../src/server/provision/provision.js";

const FAKE_SERVER = path.join(import.meta.dirname, "fake-connect-server.mjs");
const PYTHON_VERSION = "3.11";

export type FakeMode = "serve" | "hang";

export interface FakeSparkHome {
  home: string;
  layout: HomeLayout;
  /** The fake venv's spark-submit (a copy of fake-connect-server.mjs). */
  sparkSubmit: string;
  /** Env for ensureLocalServer: no SPARK_AUTOBUNDLE_* from the caller (`extra` may set some), this Node first on PATH. */
  env(mode?: FakeMode, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Rewrites the venv marker, e.g. to make the venv look provisioned for another package list. */
  writeMarker(requirements: string[]): void;
}

export function fakeSparkHome(): FakeSparkHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "sab-fake-home-"));
  const layout = homeLayout(home);
  const sparkHome = venvSparkHome(layout.venvDir, PYTHON_VERSION);
  const sparkSubmit = sparkSubmitPath(sparkHome);
  fs.mkdirSync(path.dirname(sparkSubmit), { recursive: true });
  fs.copyFileSync(FAKE_SERVER, sparkSubmit);
  fs.chmodSync(sparkSubmit, 0o755);
  // Never run: the fake server needs no Python. It only has to exist for findProvisioned.
  fs.mkdirSync(path.dirname(venvPython(layout.venvDir)), { recursive: true });
  fs.writeFileSync(venvPython(layout.venvDir), "");
  const writeMarker = (requirements: string[]) =>
    fs.writeFileSync(
      layout.venvMarker,
      JSON.stringify({ pysparkVersion: layout.line.pysparkVersion, requirements, pythonVersion: PYTHON_VERSION, createdAt: new Date().toISOString() }),
    );
  writeMarker(venvRequirements(layout.line));
  if (findProvisioned(layout)?.sparkSubmit !== sparkSubmit) throw new Error(`fake venv in ${home} is not recognised as provisioned`);

  const env = (mode: FakeMode = "serve", extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const out: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.values(ENV)) delete out[name];
    out.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`;
    return { ...out, FAKE_CONNECT_MODE: mode, ...extra };
  };
  return { home, layout, sparkSubmit, env, writeMarker };
}

/**
 * Starts the fake server the way a previous ensureLocalServer would have (detached, its own process
 * group, the Connect class on its command line) and records it in the state file. Waits (bounded)
 * until it answers (serve) or accepts (hang).
 */
export async function startRecordedServer(
  fake: FakeSparkHome,
  options: { port: number; mode: FakeMode; state?: Partial<ServerState> },
): Promise<{ child: ChildProcess; state: ServerState }> {
  const { layout } = fake;
  const token = serverToken(layout.tokenFile);
  const child = spawn(fake.sparkSubmit, ["--class", CONNECT_SERVER_CLASS, "--conf", `spark.connect.grpc.binding.port=${options.port}`, "spark-internal"], {
    env: { ...fake.env(options.mode), SPARK_CONNECT_AUTHENTICATE_TOKEN: token },
    detached: true,
    stdio: "ignore",
  });
  const state: ServerState = { ...recordedState(fake, child.pid!, options.port), ...options.state };
  await until(`fake server on port ${options.port} to come up`, async () => {
    if (options.mode === "serve") return checkHealth({ host: LOOPBACK_HOST, port: options.port, token, timeoutMs: 1_000 }).then(() => true, () => false);
    return accepts(options.port);
  });
  writeState(layout.stateFile, state);
  return { child, state };
}

/** What ensureLocalServer records for a server it started from this home (token from the home's token file). */
export function recordedState(fake: FakeSparkHome, pid: number, port: number): ServerState {
  const { layout } = fake;
  const provisioned = findProvisioned(layout)!;
  return {
    schema: 1,
    pid,
    host: LOOPBACK_HOST,
    port,
    token: serverToken(layout.tokenFile),
    logFile: layout.serverLog,
    sparkVersion: "4.1.4",
    pysparkVersion: layout.line.pysparkVersion,
    pythonExecutable: provisioned.pythonExecutable,
    pythonVersion: provisioned.pythonVersion,
    cores: 1,
    javaHome: "/nonexistent-java-home",
    startedAt: new Date().toISOString(),
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK_HOST, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Live processes (not zombies) whose command line contains `text`, e.g. a test's home directory. */
export function pidsMentioning(text: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) out.push(Number(entry));
    } catch {
      // it exited while we looked
    }
  }
  return out;
}

export function isLive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/** SIGKILLs whatever still mentions `text` (cleanup after a failed test), then waits until it is gone. */
export async function killMentioning(text: string): Promise<void> {
  for (const pid of pidsMentioning(text)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await until(`processes mentioning ${text} to exit`, () => pidsMentioning(text).length === 0, 10_000);
}
