import { CONNECT_SERVER_CLASS, ENV } from "./constants.js";
import { validateCores, type Cores } from "./local-remote.js";
import { homeLayout, resolveHome, type HomeLayout } from "./home/paths.js";
import { resolvePort } from "./process/port.js";
import { processCommandLine } from "./process/processes.js";
import { stderrProgress, type ProgressCallback } from "./process/progress.js";
import { DEFAULT_SPARK_LINE, parseSparkLine, type SparkLine } from "./provision/spark-lines.js";
import type { ServerState } from "./home/state.js";

export interface LocalServerOptions {
  /**
   * Which Spark line the server runs: "3.5", "4.0", "4.1", "4.2" or "4.3" (the default); default
   * `$SPARK_AUTOBUNDLE_SPARK`. Each line has its own venv, state, token and port. "match" (also as
   * `SPARK_AUTOBUNDLE_SPARK=match`) runs the line of the server `matchRemote` names: its version is read
   * with one round trip each time the line is needed, so that server must answer.
   */
  spark?: SparkLine | "match";
  /** The server whose line "match" runs: an sc:// URL; default `$SPARK_REMOTE`. */
  matchRemote?: string;
  /** Spark master cores: `local[cores]`; default "*" (all cores). */
  cores?: Cores;
  /** Default `$SPARK_AUTOBUNDLE_PORT`, else the line's own port: 15002 for 4.1, 15003 for 3.5, 15004 for 4.0, 15005 for 4.2, 15006 for 4.3. */
  port?: number;
  /** Default `$SPARK_AUTOBUNDLE_HOME`, else the platform cache dir + `/spark-autobundle`. */
  home?: string;
  /** Progress lines; default: one updating line on stderr. */
  onProgress?: (line: string) => void;
  /** Env used for lookups (JAVA_HOME, PATH, SPARK_AUTOBUNDLE_*) and as the server's base env. */
  env?: NodeJS.ProcessEnv;
  /** Extra Spark `--conf` settings for a newly started server; they override the defaults. */
  sparkConf?: Record<string, string>;
  /** How long to wait for a new server's health check; default 120 s. */
  readyTimeoutMs?: number;
  /**
   * How long a recorded server may take to answer one health check before it counts as hung; default
   * 5 s. It gets three tries, 0.4 × this apart, so a busy server is not restarted for one slow answer.
   */
  healthTimeoutMs?: number;
}

export interface LocalServer {
  /** `sc://127.0.0.1:PORT/;token=TOKEN` */
  url: string;
  host: string;
  port: number;
  token: string;
  pid: number;
  logFile: string;
  sparkVersion: string;
  /** The venv's python, which also runs the server's Python workers. */
  pythonExecutable: string;
  /** "3.11" */
  pythonVersion: string;
  /** The spark-autobundle home (the server's files are in its `spark-<line>/`, except 4.1's). */
  home: string;
  /** The Spark line the server runs. */
  spark: SparkLine;
  cores: Cores;
  /** True when an already running server was returned. */
  reused: boolean;
}

export interface ResolvedOptions {
  env: NodeJS.ProcessEnv;
  layout: HomeLayout;
  port: number;
  /** Whether the port was asked for (option or env) rather than defaulted. */
  portExplicit: boolean;
  cores: Cores;
  /** Whether cores were asked for; only then is reusing a server with other cores worth a note. */
  coresExplicit: boolean;
  progress: ProgressCallback;
  /** Call when done so the default stderr line is terminated. */
  endProgress: () => void;
}

/** The line from the option, else `$SPARK_AUTOBUNDLE_SPARK`, else the default. */
export function resolveSparkLine(options: Pick<LocalServerOptions, "spark" | "env">): SparkLine {
  const fromEnv = (options.env ?? process.env)[ENV.spark]?.trim();
  const line = options.spark ?? (fromEnv ? (fromEnv.toLowerCase() === "match" ? "match" : parseSparkLine(fromEnv)) : DEFAULT_SPARK_LINE);
  // "match" needs a round trip, so the async entry points resolve it first (match.ts resolveMatch).
  if (line === "match") throw new Error(`Spark "match" reached resolveSparkLine unresolved: call resolveMatch(options) first.`);
  return line;
}

export function resolveOptions(options: LocalServerOptions = {}): ResolvedOptions {
  const env = options.env ?? process.env;
  const line = resolveSparkLine(options);
  const layout = homeLayout(options.home ?? resolveHome({ env }), line);
  const { port, explicit } = resolvePort(options.port, env, layout.line.defaultPort);
  const base = { env, layout, port, portExplicit: explicit, cores: validateCores(options.cores), coresExplicit: options.cores !== undefined };
  if (options.onProgress) return { ...base, progress: options.onProgress, endProgress: () => undefined };
  const progress = stderrProgress();
  return { ...base, progress, endProgress: progress.end };
}

export function toLocalServer(state: ServerState, layout: HomeLayout, reused: boolean): LocalServer {
  return {
    url: `sc://${state.host}:${state.port}/;token=${state.token}`,
    host: state.host,
    port: state.port,
    token: state.token,
    pid: state.pid,
    logFile: state.logFile,
    sparkVersion: state.sparkVersion,
    pythonExecutable: state.pythonExecutable,
    pythonVersion: state.pythonVersion,
    home: layout.userHome,
    spark: layout.line.line,
    cores: state.cores,
    reused,
  };
}

/** Whether `pid` still is a Spark Connect server, not an unrelated process that got the pid later. */
export async function isConnectServerProcess(pid: number): Promise<boolean> {
  const commandLine = await processCommandLine(pid);
  return commandLine !== undefined && commandLine.includes(CONNECT_SERVER_CLASS);
}
