// A real multi-process Spark standalone cluster on loopback: a master, N workers (each executor is a
// JVM of its own, with its own Python workers) and a Connect server whose master is that cluster.
// It shares the home's venv and token with the local server, but has its own state, lock, logs and port.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../home/atomic-file.js";
import { daemonsAlive, freeLoopbackPort, MASTER_CLASS, spawnDaemon, stopDaemon, waitForWorkers, WORKER_CLASS } from "./processes.js";
import { CONNECT_SERVER_CLASS, DEFAULT_CONNECT_PORT, DEFAULT_READY_TIMEOUT_MS, LOOPBACK_HOST } from "../constants.js";
import { LocalServerError } from "../errors.js";
import { checkHealth, HealthCheckError } from "../process/health.js";
import { spawnServer } from "../process/launch.js";
import { withLock } from "../home/lock.js";
import { resolveMatch } from "../match.js";
import { resolveOptions, resolveSparkLine, toLocalServer, type LocalServer, type LocalServerOptions } from "../options.js";
import type { HomeLayout } from "../home/paths.js";
import { assertPortFree } from "../process/port.js";
import { formatDuration } from "../process/progress.js";
import { ensureProvisioned, findProvisioned, type ProvisionedSpark } from "../provision/provision.js";
import { waitForReady } from "../process/ready.js";
import { detectJava, detectPython } from "../provision/requirements.js";
import { sparkLineSpec } from "../provision/spark-lines.js";
import { serverToken } from "../ensure.js";
import type { ServerState } from "../home/state.js";

/** 10 above each line's local server port (15012 for 4.1, 15013 for 3.5), so clusters of lines run side by side. */
const CLUSTER_PORT_OFFSET = 10;
export const DEFAULT_CLUSTER_PORT = DEFAULT_CONNECT_PORT + CLUSTER_PORT_OFFSET;
export const DEFAULT_CLUSTER_WORKERS = 2;
/** Per worker: one core, and memory for one executor of EXECUTOR_MEMORY plus headroom. */
const WORKER_MEMORY = "2g";
const EXECUTOR_MEMORY = "1g";

export interface LocalClusterOptions extends Omit<LocalServerOptions, "cores"> {
  /** Worker JVMs (one core each); default 2. */
  workers?: number;
}

export interface LocalCluster extends LocalServer {
  masterUrl: string;
  workers: number;
  /** Every process of the cluster: Connect server, master, workers. */
  pids: number[];
}

interface Daemon {
  pid: number;
  logFile: string;
}

interface ClusterState {
  schema: 1;
  workers: number;
  master: Daemon & { port: number; webPort: number };
  workerDaemons: Daemon[];
  server: ServerState;
}

/** Where a home keeps its cluster: beside the local server's files, sharing only the venv and token. */
export function clusterLayout(base: HomeLayout): HomeLayout & { clusterDir: string } {
  const clusterDir = path.join(base.home, "cluster");
  const logsDir = path.join(clusterDir, "logs");
  return {
    ...base,
    clusterDir,
    stateFile: path.join(clusterDir, "cluster.json"),
    lockFile: path.join(clusterDir, "cluster.lock"),
    logsDir,
    serverLog: path.join(logsDir, "spark-connect.log"),
    confDir: path.join(clusterDir, "conf"),
    workDir: path.join(clusterDir, "work"),
  };
}

/** Returns the home's running cluster when it is whole and healthy, else starts one. */
export async function ensureLocalCluster(given: LocalClusterOptions = {}): Promise<LocalCluster> {
  const { options } = await resolveMatch(given);
  const workers = options.workers ?? DEFAULT_CLUSTER_WORKERS;
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) {
    throw new LocalServerError(`A local cluster needs 1 to 16 workers, not ${workers}.`);
  }
  const resolved = resolveOptions({ ...options, port: options.port ?? sparkLineSpec(resolveSparkLine(options)).defaultPort + CLUSTER_PORT_OFFSET });
  const { progress, env } = resolved;
  const layout = clusterLayout(resolved.layout);
  try {
    // The venv is the home's: provisioned under the home's lock, as the local server does.
    const spark = await withLock(resolved.layout.lockFile, async () => findProvisioned(resolved.layout) ?? (await ensureProvisioned(resolved.layout, await detectPython(env, resolved.layout.line.minPython), progress, env)));
    return await withLock(layout.lockFile, async () => {
      const running = readClusterState(layout.stateFile);
      if (running && running.workers === workers && (await healthy(running))) return toCluster(running, layout, true);
      if (running) {
        progress(`spark-autobundle: replacing the recorded local cluster (${running.workers} workers, pid ${running.server.pid})`);
        await stopCluster(running, layout.stateFile);
      }
      return await startCluster(layout, spark, workers, resolved.port, options, progress, env);
    });
  } finally {
    resolved.endProgress();
  }
}

async function startCluster(
  layout: ReturnType<typeof clusterLayout>,
  spark: ProvisionedSpark,
  workers: number,
  port: number,
  options: LocalClusterOptions,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv,
): Promise<LocalCluster> {
  const started = Date.now();
  const java = await detectJava(env);
  await assertPortFree(port, layout.serverLog);
  fs.mkdirSync(layout.workDir, { recursive: true });
  fs.mkdirSync(layout.confDir, { recursive: true });
  const daemon = (logFile: string) => ({ spark, javaHome: java.javaHome, confDir: layout.confDir, logFile, cwd: layout.workDir, env });
  const masterPort = await freeLoopbackPort();
  const webPort = await freeLoopbackPort();
  const masterLog = path.join(layout.logsDir, "master.log");
  const master = { pid: spawnDaemon(daemon(masterLog), MASTER_CLASS, ["--host", LOOPBACK_HOST, "--port", String(masterPort), "--webui-port", String(webPort)]), logFile: masterLog, port: masterPort, webPort };
  const state: ClusterState = { schema: 1, workers, master, workerDaemons: [], server: undefined as unknown as ServerState };
  const masterUrl = `spark://${LOOPBACK_HOST}:${masterPort}`;
  try {
    writeClusterState(layout.stateFile, state); // from here on, a crash still leaves a way to stop it
    for (let i = 1; i <= workers; i++) {
      const logFile = path.join(layout.logsDir, `worker-${i}.log`);
      const workDir = path.join(layout.workDir, `worker-${i}`);
      const args = [masterUrl, "--host", LOOPBACK_HOST, "--cores", "1", "--memory", WORKER_MEMORY, "--webui-port", String(await freeLoopbackPort()), "--work-dir", workDir];
      state.workerDaemons.push({ pid: spawnDaemon(daemon(logFile), WORKER_CLASS, args), logFile });
      writeClusterState(layout.stateFile, state);
    }
    progress(`spark-autobundle: waiting for ${workers} Spark workers to register with ${masterUrl}`);
    await waitForWorkers(webPort, workers, [master, ...state.workerDaemons], options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);

    const token = serverToken(layout.tokenFile);
    const extraConf = { "spark.app.name": "spark-autobundle-local-cluster", "spark.executor.memory": EXECUTOR_MEMORY, "spark.cores.max": String(workers), ...options.sparkConf };
    const child = spawnServer({ layout, spark, javaHome: java.javaHome, port, cores: "*", master: masterUrl, token, extraConf, env });
    if (child.pid === undefined) throw new LocalServerError(`Could not launch ${spark.sparkSubmit}.\nServer log: ${layout.serverLog}`, { logFile: layout.serverLog });
    state.server = {
      schema: 1, pid: child.pid, host: LOOPBACK_HOST, port, token, logFile: layout.serverLog, sparkVersion: "",
      pysparkVersion: spark.pysparkVersion, pythonExecutable: spark.pythonExecutable, pythonVersion: spark.pythonVersion,
      cores: "*", javaHome: java.javaHome, startedAt: new Date().toISOString(),
    };
    writeClusterState(layout.stateFile, state);
    const ready = await waitForReady({ child, port, token, logFile: layout.serverLog, timeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, onProgress: progress });
    state.server.sparkVersion = ready.sparkVersion;
    writeClusterState(layout.stateFile, state);
    progress(`spark-autobundle: Spark ${ready.sparkVersion} cluster (master + ${workers} workers) ready on ${LOOPBACK_HOST}:${port} in ${formatDuration(Date.now() - started)} (logs in ${layout.logsDir})`);
    return toCluster(state, layout, false);
  } catch (error) {
    await stopCluster(state, layout.stateFile);
    throw error;
  }
}

async function healthy(state: ClusterState): Promise<boolean> {
  if (!state.server) return false;
  const daemons = [
    { pid: state.server.pid, className: CONNECT_SERVER_CLASS },
    { pid: state.master.pid, className: MASTER_CLASS },
    ...state.workerDaemons.map((w) => ({ pid: w.pid, className: WORKER_CLASS })),
  ];
  if (!(await daemonsAlive(daemons))) return false;
  try {
    await checkHealth({ host: state.server.host, port: state.server.port, token: state.server.token, timeoutMs: 5_000 });
    return true;
  } catch (error) {
    if (error instanceof HealthCheckError) return false;
    throw error;
  }
}

/** Stops exactly the recorded processes (Connect server first, so no job is left without executors). */
async function stopCluster(state: ClusterState, stateFile: string): Promise<number> {
  let stopped = 0;
  if (state.server && (await stopDaemon(state.server.pid, CONNECT_SERVER_CLASS))) stopped++;
  for (const worker of state.workerDaemons) if (await stopDaemon(worker.pid, WORKER_CLASS)) stopped++;
  if (await stopDaemon(state.master.pid, MASTER_CLASS)) stopped++;
  fs.rmSync(stateFile, { force: true });
  return stopped;
}

export async function stopLocalCluster(given: Pick<LocalServerOptions, "home" | "env" | "spark" | "matchRemote"> = {}): Promise<{ stopped: number; pids: number[] }> {
  const { options } = await resolveMatch(given);
  const layout = clusterLayout(resolveOptions({ ...options, onProgress: () => undefined }).layout);
  return withLock(layout.lockFile, async () => {
    const state = readClusterState(layout.stateFile);
    if (!state) return { stopped: 0, pids: [] };
    return { stopped: await stopCluster(state, layout.stateFile), pids: pidsOf(state) };
  });
}

/** The running, healthy cluster of this home, or undefined. Never starts anything. */
export async function localClusterStatus(given: Pick<LocalServerOptions, "home" | "env" | "spark" | "matchRemote"> = {}): Promise<LocalCluster | undefined> {
  const { options } = await resolveMatch(given);
  const layout = clusterLayout(resolveOptions({ ...options, onProgress: () => undefined }).layout);
  const state = readClusterState(layout.stateFile);
  return state && (await healthy(state)) ? toCluster(state, layout, true) : undefined;
}

function toCluster(state: ClusterState, layout: HomeLayout, reused: boolean): LocalCluster {
  return { ...toLocalServer(state.server, layout, reused), masterUrl: `spark://${LOOPBACK_HOST}:${state.master.port}`, workers: state.workers, pids: pidsOf(state) };
}

function pidsOf(state: ClusterState): number[] {
  return [...(state.server ? [state.server.pid] : []), state.master.pid, ...state.workerDaemons.map((w) => w.pid)];
}

function readClusterState(file: string): ClusterState | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, "utf8")) as ClusterState;
    return value.schema === 1 && typeof value.master?.pid === "number" ? value : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function writeClusterState(file: string, state: ClusterState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, 0o600); // holds the token
}
