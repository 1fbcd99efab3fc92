// The standalone master and workers of a local cluster: how they are launched, awaited and stopped.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LOOPBACK_HOST, USER_SPARK_ENV } from "../constants.js";
import { ServerStartError, quoteLogTail } from "../errors.js";
import { isPidAlive, processCommandLine, terminateProcess } from "../process/processes.js";
import { spawnProgram } from "../process/windows.js";
import { sparkClassPath } from "../home/paths.js";
import type { ProvisionedSpark } from "../provision/provision.js";

export const MASTER_CLASS = "org.apache.spark.deploy.master.Master";
export const WORKER_CLASS = "org.apache.spark.deploy.worker.Worker";

export interface DaemonSpec {
  spark: ProvisionedSpark;
  javaHome: string;
  confDir: string;
  logFile: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** A port the OS just handed out on loopback; Spark binds it moments later. */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK_HOST, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `spark-class <className> ...args` detached, logging to its own file. Returns the pid. */
export function spawnDaemon(spec: DaemonSpec, className: string, args: string[], platform: NodeJS.Platform = process.platform, spawner: typeof spawnProgram = spawnProgram): number {
  const env: NodeJS.ProcessEnv = { ...spec.env };
  for (const name of USER_SPARK_ENV) delete env[name];
  Object.assign(env, {
    SPARK_HOME: spec.spark.sparkHome,
    SPARK_CONF_DIR: spec.confDir,
    JAVA_HOME: spec.javaHome,
    // Every service (RPC, web UI, block manager of the executors) binds to loopback.
    SPARK_LOCAL_IP: LOOPBACK_HOST,
    PYSPARK_PYTHON: spec.spark.pythonExecutable,
    // The master's REST submission server would listen on a fixed port (6066) nothing here needs.
    SPARK_MASTER_OPTS: "-Dspark.master.rest.enabled=false",
  });
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  // spark-class.cmd on Windows, through cmd.exe with quoted arguments (process/windows.ts). The pid is
  // then cmd.exe's, which waits for the daemon's JVM: stopDaemon kills that whole tree.
  const command = sparkClassPath(spec.spark.sparkHome, platform);
  const log = fs.openSync(spec.logFile, "w");
  try {
    fs.writeSync(log, `# spark-autobundle ${new Date().toISOString()}: ${command} ${className} ${args.join(" ")}\n`);
    const child = spawner(command, [className, ...args], { cwd: spec.cwd, env, detached: true, stdio: ["ignore", log, log], windowsHide: true }, platform);
    child.unref();
    if (child.pid === undefined) throw new ServerStartError(`Could not launch ${command}. Delete the venv to reinstall pyspark, then retry.`, { logFile: spec.logFile });
    return child.pid;
  } finally {
    fs.closeSync(log);
  }
}

interface MasterJson {
  status?: string;
  aliveworkers?: number;
}

/**
 * Waits until the master reports `workers` live workers (its web UI's JSON), failing at once when a
 * process died, with the log that explains it.
 */
export async function waitForWorkers(webPort: number, workers: number, pids: Array<{ pid: number; logFile: string }>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    for (const { pid, logFile } of pids) {
      if (!isPidAlive(pid)) throw new ServerStartError(`A Spark cluster process (pid ${pid}) exited while starting.\n${quoteLogTail(logFile)}`, { logFile });
    }
    try {
      const response = await fetch(`http://${LOOPBACK_HOST}:${webPort}/json/`, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as MasterJson;
      if (body.status === "ALIVE" && (body.aliveworkers ?? 0) >= workers) return;
      last = `${body.aliveworkers ?? 0} of ${workers} workers registered`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(500);
  }
  const logs = pids.map((p) => p.logFile);
  throw new ServerStartError(`The Spark master did not report ${workers} live workers within ${Math.round(timeoutMs / 1000)} s (${last}). See the logs: ${logs.join(", ")}`, { logFile: logs[logs.length - 1] });
}

/** Stops `pid` only if it still runs `className` (a pid can be reused by an unrelated process). */
export async function stopDaemon(pid: number, className: string): Promise<boolean> {
  if (!isPidAlive(pid)) return false;
  const commandLine = await processCommandLine(pid);
  if (!commandLine?.includes(className)) return false;
  await terminateProcess(pid, 15_000);
  return true;
}

/** Whether every recorded pid still runs what it ran when recorded. */
export async function daemonsAlive(daemons: Array<{ pid: number; className: string }>): Promise<boolean> {
  for (const { pid, className } of daemons) {
    if (!isPidAlive(pid) || !(await processCommandLine(pid))?.includes(className)) return false;
  }
  return true;
}
