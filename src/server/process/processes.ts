import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isPidAlive } from "../../shared/pid.js";
import { commandLineQuery, findJvmPid, killTreeCommand, parseCommandLine, parseProcessTable, processTableQuery } from "./windows.js";

export { isPidAlive };

export interface CapturedRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CapturedRunWithTimeout extends CapturedRun {
  /** The command ran past its timeout and was killed, with every process it started. */
  timedOut: boolean;
}

/**
 * Runs a short command to completion and captures its output; only a failure to spawn rejects.
 * On POSIX the command gets a process group of its own, and a timeout SIGKILLs the whole group:
 * a wrapper script (a `java` shim, say) killed alone would leave its child running, holding our
 * pipes open, so the call would hang until that child ended by itself.
 */
export function runCapture(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CapturedRunWithTimeout> {
  // spawn, not execFile: execFile has no `detached`, so no process group to kill.
  const group = process.platform !== "win32";
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const child = spawn(command, args, { env: options.env, windowsHide: true, detached: group, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      if (group && child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error; // the group is already gone
        }
      } else child.kill("SIGKILL");
    }, options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error); // failed to spawn (ENOENT, EACCES)
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), timedOut });
    });
  });
}

/** Looks `name` up on PATH the way a shell would, using the given env (so tests can inject a fake PATH). */
export function findOnPath(name: string, env: NodeJS.ProcessEnv, platform = process.platform): string | undefined {
  const pathVar = env.PATH ?? env.Path ?? "";
  const extensions =
    platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter(Boolean) : [""];
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "ENOTDIR") return false;
    throw error;
  }
}


/**
 * The command line of a running process, or undefined when it is gone. Used to make sure a pid
 * from an old state file still is our Spark server before signalling it (pids get reused).
 */
export async function processCommandLine(pid: number, platform: NodeJS.Platform = process.platform, run: typeof runCapture = runCapture): Promise<string | undefined> {
  if (platform === "linux") {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }
  if (platform === "win32") {
    const { command, args } = commandLineQuery(pid);
    return parseCommandLine((await run(command, args)).stdout);
  }
  const ps = await run("ps", ["-p", String(pid), "-o", "args="]);
  const text = ps.stdout.trim();
  return ps.exitCode === 0 && text ? text : undefined;
}

/**
 * The pid to record for a server launched as `spawnedPid`. On POSIX that is the JVM itself (the
 * launcher scripts exec it). On Windows it is cmd.exe running spark-submit.cmd: the JVM is found
 * among its descendants (see windows.ts), falling back to cmd.exe, whose tree is killed on stop anyway.
 */
export async function serverProcessPid(spawnedPid: number, className: string, platform: NodeJS.Platform = process.platform, run: typeof runCapture = runCapture): Promise<number> {
  if (platform !== "win32") return spawnedPid;
  const { command, args } = processTableQuery();
  try {
    const table = await run(command, args);
    return findJvmPid(parseProcessTable(table.stdout), spawnedPid, className) ?? spawnedPid;
  } catch {
    return spawnedPid; // no PowerShell: stopping still kills the tree from cmd.exe
  }
}

/**
 * SIGTERM (Spark's shutdown hooks clean up), then SIGKILL if it is still there after `graceMs`.
 * The server runs detached as its own process group, so on POSIX the whole group is signalled:
 * that takes its Python worker daemons along. Windows has no signals to send a console process
 * without one: its tree (cmd.exe, the JVM, the Python workers) is killed at once with taskkill.
 */
export async function terminateProcess(pid: number, graceMs = 20_000, platform: NodeJS.Platform = process.platform, run: typeof runCapture = runCapture): Promise<"exited" | "killed"> {
  if (platform === "win32") {
    if (!isPidAlive(pid)) return "exited";
    const { command, args } = killTreeCommand(pid);
    await run(command, args);
    await waitGone(pid, 10_000, "taskkill /T /F");
    return "killed";
  }
  if (!signal(pid, "SIGTERM")) return "exited";
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isPidAlive(pid)) return "exited";
    await sleep(200);
  }
  signal(pid, "SIGKILL");
  await waitGone(pid, 10_000, "SIGKILL");
  return "killed";
}

async function waitGone(pid: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} survived ${what} for ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Sends a signal to the process group (POSIX) or the process; false when it was already gone. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  if (trySignal(-pid, name)) return true;
  return trySignal(pid, name);
}

function trySignal(target: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(target, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}
