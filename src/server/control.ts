import { stopRecorded } from "./ensure.js";
import { checkHealth, HealthCheckError } from "./process/health.js";
import { withLock } from "./home/lock.js";
import { resolveMatch } from "./match.js";
import { isConnectServerProcess, resolveOptions, toLocalServer, type LocalServer, type LocalServerOptions } from "./options.js";
import { isPidAlive } from "./process/processes.js";
import { readState, removeState } from "./home/state.js";
import { otherServerUsers } from "./users.js";

type ControlOptions = Pick<LocalServerOptions, "home" | "env" | "onProgress" | "spark" | "matchRemote">;

export interface StopResult {
  home: string;
  /** True when a server process was found and terminated. */
  stopped: boolean;
  pid?: number;
  port?: number;
  /** Why nothing was stopped, when nothing was. */
  reason?: string;
}

export interface StopOptions extends ControlOptions {
  /** Only stop if the recorded server still is this pid (e.g. the one a test setup started). */
  pid?: number;
  /** Leave it running while other processes are registered as its users (see registerServerUser). */
  ifUnused?: boolean;
}

/** Stops the server recorded in this home's state file, if it runs, and removes the state file. */
export async function stopLocalServer(given: StopOptions = {}): Promise<StopResult> {
  const { options } = await resolveMatch(given);
  const { layout, endProgress } = resolveOptions({ onProgress: () => undefined, ...options });
  try {
    return await withLock(layout.lockFile, async () => {
      const read = readState(layout.stateFile);
      if (read.kind === "none") return { home: layout.home, stopped: false, reason: "no server is recorded in this home" };
      if (read.kind === "invalid") {
        removeState(layout.stateFile);
        return { home: layout.home, stopped: false, reason: `removed an unreadable state file (${read.reason})` };
      }
      const { pid, port } = read.state;
      if (options.pid !== undefined && options.pid !== pid) {
        return { home: layout.home, stopped: false, pid, port, reason: `the recorded server is pid ${pid}, not ${options.pid}` };
      }
      // Users register in the user home, before they know which line they'll get (vitest's acquireServer):
      // so a user of any line keeps this one too. Only careful stops ask; an over-kept server costs memory, never a run.
      const others = options.ifUnused ? otherServerUsers(layout.userHome) : [];
      if (others.length > 0) {
        return { home: layout.home, stopped: false, pid, port, reason: `still used by pid ${others.join(", ")}` };
      }
      const outcome = await stopRecorded(read.state, layout.stateFile);
      return outcome === "stopped"
        ? { home: layout.home, stopped: true, pid, port }
        : { home: layout.home, stopped: false, pid, port, reason: `pid ${pid} was no longer running; removed the stale state file` };
    });
  } finally {
    endProgress();
  }
}

export type LocalServerStatus =
  | { state: "running"; home: string; server: LocalServer }
  | {
      /** starting: a start is in progress; unresponsive: the process lives but fails its health check. */
      state: "starting" | "unresponsive";
      home: string;
      pid: number;
      port: number;
      logFile: string;
      reason: string;
    }
  | { state: "stopped"; home: string; reason: string };

/** Reports what runs for this home without changing anything (no lock, no cleanup). */
export async function localServerStatus(given: ControlOptions = {}): Promise<LocalServerStatus> {
  const { options } = await resolveMatch(given);
  const { layout } = resolveOptions({ onProgress: () => undefined, ...options });
  const home = layout.home;
  const read = readState(layout.stateFile);
  if (read.kind === "none") return { state: "stopped", home, reason: "no server is recorded in this home" };
  if (read.kind === "invalid") return { state: "stopped", home, reason: `the state file is unreadable (${read.reason})` };
  const recorded = read.state;
  if (!isPidAlive(recorded.pid) || !(await isConnectServerProcess(recorded.pid))) {
    return { state: "stopped", home, reason: `the recorded server (pid ${recorded.pid}) is no longer running` };
  }
  try {
    const health = await checkHealth({ host: recorded.host, port: recorded.port, token: recorded.token, timeoutMs: 5_000 });
    return { state: "running", home, server: toLocalServer({ ...recorded, sparkVersion: health.sparkVersion }, layout, true) };
  } catch (error) {
    if (!(error instanceof HealthCheckError)) throw error;
    return {
      state: recorded.sparkVersion === "" ? "starting" : "unresponsive",
      home,
      pid: recorded.pid,
      port: recorded.port,
      logFile: recorded.logFile,
      reason: error.message,
    };
  }
}
