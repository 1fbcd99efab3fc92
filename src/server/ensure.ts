import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { writeFileAtomic } from "./home/atomic-file.js";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { CONNECT_SERVER_CLASS, DEFAULT_READY_TIMEOUT_MS, LOOPBACK_HOST } from "./constants.js";
import { LocalServerError, ServerStartError } from "./errors.js";
import { checkHealth, HealthCheckError } from "./process/health.js";
import { spawnServer } from "./process/launch.js";
import { withLock } from "./home/lock.js";
import { resolveMatch } from "./match.js";
import {
  isConnectServerProcess,
  resolveOptions,
  toLocalServer,
  type LocalServer,
  type LocalServerOptions,
  type ResolvedOptions,
} from "./options.js";
import { assertPortFree } from "./process/port.js";
import { isPidAlive, serverProcessPid, terminateProcess } from "./process/processes.js";
import { formatDuration } from "./process/progress.js";
import { waitForReady } from "./process/ready.js";
import { ensureProvisioned, findProvisioned, venvRequirements } from "./provision/provision.js";
import { detectJava, detectPython } from "./provision/requirements.js";
import { readState, removeState, writeState, type ServerState } from "./home/state.js";
import { sparesDirOf } from "./home/paths.js";
import { debugLog } from "../shared/debug.js";

const debug = debugLog("server");

/**
 * Returns a healthy local Spark Connect server for this home directory: the running one when its
 * state file, pid and health check agree, else a new one (provisioning pyspark on first use).
 * A lock in the home directory keeps concurrent callers from starting two servers.
 */
export async function ensureLocalServer(given: LocalServerOptions = {}): Promise<LocalServer> {
  const { options, matched } = await resolveMatch(given);
  const resolved = resolveOptions(options);
  const { layout, progress } = resolved;
  if (matched) progress(`spark-autobundle: matched Spark ${matched.version} at ${matched.remote} → line ${matched.line}`);
  try {
    return await withLock(
      layout.lockFile,
      async () => {
        const running = await reuseRunning(resolved, options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
        debug("reusing the server recorded in %s: %s", layout.stateFile, running ? `pid ${running.pid}, ${running.url.replace(/;token=[^;]*/, ";token=<redacted>")}` : "none usable, starting one");
        return running ?? (await startServer(resolved, options));
      },
      {
        onWait: (owner) =>
          progress(
            `spark-autobundle: waiting for ${owner ? `pid ${owner.pid}` : "another process"}, which is provisioning or starting the server in ${layout.home}`,
          ),
      },
    );
  } finally {
    resolved.endProgress();
  }
}

async function reuseRunning(resolved: ResolvedOptions, healthTimeoutMs: number): Promise<LocalServer | undefined> {
  const { layout, progress } = resolved;
  const read = readState(layout.stateFile);
  if (read.kind === "none") return undefined;
  if (read.kind === "invalid") {
    progress(`spark-autobundle: replacing unreadable state file ${layout.stateFile} (${read.reason})`);
    removeState(layout.stateFile);
    return undefined;
  }
  const state = read.state;
  if (!isPidAlive(state.pid) || !(await isConnectServerProcess(state.pid))) {
    progress(`spark-autobundle: the server recorded in ${layout.stateFile} (pid ${state.pid}) is gone; starting a new one`);
    removeState(layout.stateFile);
    return undefined;
  }
  // A venv of another pin or package list: the running server's workers would lack what this version installs.
  if (state.pysparkVersion !== layout.line.pysparkVersion || !findProvisioned(layout)) {
    progress(`spark-autobundle: stopping the running server (pyspark ${state.pysparkVersion}, venv out of date); this version needs ${venvRequirements(layout.line).join(" ")}`);
    await stopRecorded(state, layout.stateFile);
    return undefined;
  }
  if (resolved.portExplicit && state.port !== resolved.port) {
    throw new LocalServerError(
      `A local Spark Connect server from ${layout.home} already runs on port ${state.port} (pid ${state.pid}), ` +
        `but port ${resolved.port} was requested. Use port ${state.port}, or stop it first with ` +
        `\`spark-autobundle server stop\`.\nServer log: ${state.logFile}`,
      { logFile: state.logFile },
    );
  }

  const healthError = await healthWithRetries(state, healthTimeoutMs);
  if (!healthError) {
    if (resolved.coresExplicit && state.cores !== resolved.cores) {
      progress(
        `spark-autobundle: reusing the running server with local[${state.cores}] (local[${resolved.cores}] was asked for; ` +
          "stop it with `spark-autobundle server stop` to change)",
      );
    }
    return toLocalServer(state, layout, true);
  }
  progress(`spark-autobundle: the server (pid ${state.pid}) does not answer (${healthError.message}); restarting it`);
  await stopRecorded(state, layout.stateFile);
  return undefined;
}

const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;

/** A busy server may miss one health check; only give up on it after a few. */
async function healthWithRetries(state: ServerState, timeoutMs: number): Promise<HealthCheckError | undefined> {
  let lastError: HealthCheckError | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) await sleep(timeoutMs * 0.4);
    try {
      await checkHealth({ host: state.host, port: state.port, token: state.token, timeoutMs });
      return undefined;
    } catch (error) {
      if (!(error instanceof HealthCheckError)) throw error;
      lastError = error;
      if (!isPidAlive(state.pid)) break;
    }
  }
  return lastError;
}

/** Stops the server a state file describes (if the pid still is one) and removes the state file. */
export async function stopRecorded(state: ServerState, stateFile: string): Promise<"stopped" | "not-running"> {
  let outcome: "stopped" | "not-running" = "not-running";
  if (isPidAlive(state.pid) && (await isConnectServerProcess(state.pid))) {
    await terminateProcess(state.pid);
    outcome = "stopped";
  }
  removeState(stateFile);
  // Spare sessions lived in the stopped server: their records name sessions nobody can use now.
  fs.rmSync(sparesDirOf(stateFile), { recursive: true, force: true });
  return outcome;
}

async function startServer(resolved: ResolvedOptions, options: LocalServerOptions): Promise<LocalServer> {
  const { layout, progress, env, port, cores } = resolved;
  const java = await detectJava(env);
  const spark =
    findProvisioned(layout) ?? (await ensureProvisioned(layout, await detectPython(env, layout.line.minPython), progress, env));
  await assertPortFree(port, layout.serverLog);

  const token = serverToken(layout.tokenFile);
  const child = spawnServer({ layout, spark, javaHome: java.javaHome, port, cores, token, extraConf: options.sparkConf, env });
  if (child.pid === undefined) {
    const [error] = (await once(child, "error")) as [Error];
    throw new ServerStartError(
      `Could not launch ${spark.sparkSubmit}: ${error.message}. Delete ${layout.venvDir} to reinstall pyspark, then retry.\n` +
        `Server log: ${layout.serverLog}`,
      { cause: error, logFile: layout.serverLog },
    );
  }
  const state: ServerState = {
    schema: 1,
    pid: child.pid,
    host: LOOPBACK_HOST,
    port,
    token,
    logFile: layout.serverLog,
    sparkVersion: "",
    pysparkVersion: spark.pysparkVersion,
    pythonExecutable: spark.pythonExecutable,
    pythonVersion: spark.pythonVersion,
    cores,
    javaHome: java.javaHome,
    startedAt: new Date().toISOString(),
  };
  // Recorded before it is ready, so a crash of this process still leaves a way to find and stop it.
  writeState(layout.stateFile, state);
  try {
    const ready = await waitForReady({
      child,
      port,
      token,
      logFile: layout.serverLog,
      timeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      onProgress: progress,
    });
    state.sparkVersion = ready.sparkVersion;
    // On Windows child.pid is cmd.exe's (spark-submit.cmd): record the JVM's, which stop must end.
    state.pid = await serverProcessPid(child.pid, CONNECT_SERVER_CLASS);
    writeState(layout.stateFile, state);
    progress(
      `spark-autobundle: Spark ${ready.sparkVersion} (Connect) ready on ${LOOPBACK_HOST}:${port} in ${formatDuration(ready.elapsedMs)} ` +
        `(pid ${state.pid}, log ${layout.serverLog})`,
    );
    return toLocalServer(state, layout, false);
  } catch (error) {
    if (isPidAlive(child.pid)) await terminateProcess(child.pid, 10_000);
    removeState(layout.stateFile);
    throw error;
  }
}

/** The home's token: created once (0600), then reused by every server started from this home. */
export function serverToken(file: string): string {
  try {
    const existing = fs.readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const token = randomBytes(32).toString("hex");
  writeFileAtomic(file, token, 0o600);
  return token;
}
