import os from "node:os";
import path from "node:path";
import { ENV } from "../constants.js";
import { DEFAULT_SPARK_LINE, sparkLineSpec, type SparkLine, type SparkLineSpec } from "../provision/spark-lines.js";

export interface HomeLookup {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  homedir?: string;
}

/**
 * Where provisioned Spark, logs and the state file live: `$SPARK_AUTOBUNDLE_HOME`, else the platform's
 * per-user cache directory + `/spark-autobundle`.
 */
export function resolveHome(lookup: HomeLookup = {}): string {
  const env = lookup.env ?? process.env;
  const platform = lookup.platform ?? process.platform;
  const homedir = lookup.homedir ?? os.homedir();
  const p = platform === "win32" ? path.win32 : path.posix;

  const explicit = env[ENV.home];
  if (explicit) return p.resolve(explicit);

  if (platform === "win32") {
    const base = env.LOCALAPPDATA || p.join(homedir, "AppData", "Local");
    return p.join(base, "spark-autobundle");
  }
  if (platform === "darwin") return p.join(homedir, "Library", "Caches", "spark-autobundle");
  // XDG says relative values must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && p.isAbsolute(xdg) ? xdg : p.join(homedir, ".cache");
  return p.join(base, "spark-autobundle");
}

/** Every file the server code keeps under one home directory. */
export interface HomeLayout {
  /** The directory of this Spark line's server: the home itself for 4.1, `<home>/spark-<line>` for the others. */
  home: string;
  /** The spark-autobundle home the user chose (option, env or default), shared by all lines. */
  userHome: string;
  line: SparkLineSpec;
  venvDir: string;
  venvMarker: string;
  stateFile: string;
  /** The server's auth token, kept across restarts so connected clients see "session changed", not "unauthenticated". */
  tokenFile: string;
  lockFile: string;
  logsDir: string;
  serverLog: string;
  confDir: string;
  /** The JVM's working directory, so spark-warehouse/ and derby.log don't land in the user's project. */
  workDir: string;
  /** Ivy's cache for `--packages` (the 3.5 Connect jar), so it downloads once. */
  ivyDir: string;
}

/** Spare sessions (bundle/spare/) are recorded beside a server's state file, and go when it stops. */
export function sparesDirOf(stateFile: string): string {
  return path.join(path.dirname(stateFile), "spares");
}

const ROOT_LINE: SparkLine = "4.1";

export function homeLayout(userHome: string, sparkLine: SparkLine = DEFAULT_SPARK_LINE): HomeLayout {
  const line = sparkLineSpec(sparkLine);
  // Each line keeps its own venv, state, lock, token and logs, so all can run at once. 4.1 keeps the home
  // itself, where it lived when it was the only line: its running server and 1 GB venv stay valid.
  const home = sparkLine === ROOT_LINE ? userHome : path.join(userHome, `spark-${sparkLine}`);
  const venvDir = path.join(home, `venv-pyspark-${line.pysparkVersion}`);
  const logsDir = path.join(home, "logs");
  return {
    home,
    userHome,
    line,
    venvDir,
    venvMarker: path.join(venvDir, ".spark-autobundle-complete.json"),
    stateFile: path.join(home, "server.json"),
    tokenFile: path.join(home, "token"),
    lockFile: path.join(home, "server.lock"),
    logsDir,
    serverLog: path.join(logsDir, "spark-connect.log"),
    confDir: path.join(home, "conf"),
    workDir: path.join(home, "work"),
    ivyDir: path.join(home, "ivy"),
  };
}

export function venvPython(venvDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === "win32"
    ? path.join(venvDir, "Scripts", "python.exe")
    : path.join(venvDir, "bin", "python");
}

/** pip puts pyspark (the Spark distribution, jars and bin/) in the venv's site-packages. */
export function venvSparkHome(
  venvDir: string,
  pythonVersion: string,
  platform: NodeJS.Platform = process.platform,
): string {
  return platform === "win32"
    ? path.join(venvDir, "Lib", "site-packages", "pyspark")
    : path.join(venvDir, "lib", `python${pythonVersion}`, "site-packages", "pyspark");
}

export function sparkSubmitPath(sparkHome: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(sparkHome, "bin", platform === "win32" ? "spark-submit.cmd" : "spark-submit");
}

/** spark-class, which starts a standalone master or worker: a batch file on Windows. */
export function sparkClassPath(sparkHome: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(sparkHome, "bin", platform === "win32" ? "spark-class.cmd" : "spark-class");
}
