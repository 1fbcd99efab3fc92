import fs from "node:fs";
import path from "node:path";
import { ENV, MIN_JAVA_MAJOR, MIN_PYTHON } from "../constants.js";
import { RequirementError } from "../errors.js";
import { findOnPath, isExecutableFile, runCapture } from "../process/processes.js";

export interface JavaVersion {
  /** 8 for "1.8.0_392", 17 for "17.0.15". */
  major: number;
  raw: string;
}

export interface PythonVersion {
  major: number;
  minor: number;
  patch: number;
  raw: string;
}

export interface DetectedJava {
  executable: string;
  /** What JAVA_HOME must be for spark-class to pick this java. */
  javaHome: string;
  version: JavaVersion;
}

export interface DetectedPython {
  executable: string;
  version: PythonVersion;
}

/** Parses `java -version` output (any vendor; it may start with "Picked up JAVA_TOOL_OPTIONS" lines). */
export function parseJavaVersion(output: string): JavaVersion | undefined {
  const match = /version "([^"]+)"/.exec(output);
  if (!match) return undefined;
  const raw = match[1]!;
  // Java 8 and older report "1.x"; 9+ report the major first.
  const legacy = /^1\.(\d+)/.exec(raw);
  const modern = /^(\d+)/.exec(raw);
  const major = legacy ? Number(legacy[1]) : modern ? Number(modern[1]) : NaN;
  return Number.isFinite(major) ? { major, raw } : undefined;
}

/** Parses `python --version` output ("Python 3.11.7", "Python 3.13.0rc1"). */
export function parsePythonVersion(output: string): PythonVersion | undefined {
  const match = /Python (\d+)\.(\d+)(?:\.(\d+))?\S*/.exec(output);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    raw: match[0].slice("Python ".length),
  };
}

const JAVA_INSTALL_HINT =
  `Install Java ${MIN_JAVA_MAJOR} or newer — Debian/Ubuntu: \`sudo apt-get install openjdk-17-jre-headless\`; ` +
  "macOS: `brew install openjdk@17`; Windows: `winget install EclipseAdoptium.Temurin.17.JRE` — " +
  `or set JAVA_HOME to an existing Java ${MIN_JAVA_MAJOR}+ installation.`;

const pythonInstallHint = (floor: readonly [number, number]) =>
  `Install Python ${floor.join(".")} or newer — Debian/Ubuntu: \`sudo apt-get install python3 python3-venv\`; ` +
  "macOS: `brew install python@3.12`; Windows: `winget install Python.Python.3.12` — " +
  `or set ${ENV.python} to a Python ${floor.join(".")}+ executable.`;

/** Finds Java 17+ from `$JAVA_HOME/bin/java`, else `java` on PATH, reading only the given env. */
/** `java -version` answers in well under a second; a JVM that hangs (a broken install, a wrapper waiting on a network mount) is an error. */
export const VERSION_COMMAND_TIMEOUT_MS = 30_000;

export async function detectJava(env: NodeJS.ProcessEnv = process.env, options: { timeoutMs?: number } = {}): Promise<DetectedJava> {
  const exe = process.platform === "win32" ? "java.exe" : "java";
  let executable: string;
  if (env.JAVA_HOME) {
    executable = path.join(env.JAVA_HOME, "bin", exe);
    if (!isExecutableFile(executable)) {
      throw new RequirementError(
        `JAVA_HOME is set to ${env.JAVA_HOME}, but ${executable} does not exist or is not executable. ` +
          `Point JAVA_HOME at a Java ${MIN_JAVA_MAJOR}+ installation or unset it to use \`java\` from PATH. ${JAVA_INSTALL_HINT}`,
      );
    }
  } else {
    const found = findOnPath("java", env);
    if (!found) {
      throw new RequirementError(
        `Java was not found: JAVA_HOME is not set and there is no \`java\` on PATH. ` +
          `The local Spark server needs Java ${MIN_JAVA_MAJOR}+. ${JAVA_INSTALL_HINT}`,
      );
    }
    executable = found;
  }

  const run = await runVersionCommand(executable, "-version", env, JAVA_INSTALL_HINT, options.timeoutMs);
  const output = `${run.stderr}\n${run.stdout}`.trim();
  const version = parseJavaVersion(output);
  if (run.exitCode !== 0 || !version) {
    throw new RequirementError(
      `\`${executable} -version\` did not report a Java version (exit code ${run.exitCode}; output: ${JSON.stringify(output.slice(0, 300))}). ` +
        JAVA_INSTALL_HINT,
    );
  }
  if (version.major < MIN_JAVA_MAJOR) {
    throw new RequirementError(
      `Found Java ${version.raw} at ${executable}, but Spark 4 needs Java ${MIN_JAVA_MAJOR} or newer. ${JAVA_INSTALL_HINT}`,
    );
  }
  return { executable, javaHome: javaHomeOf(executable, env), version };
}

async function runVersionCommand(executable: string, flag: string, env: NodeJS.ProcessEnv, hint: string, timeoutMs = VERSION_COMMAND_TIMEOUT_MS) {
  let run;
  try {
    run = await runCapture(executable, [flag], { env, timeoutMs });
  } catch (error) {
    throw new RequirementError(`Could not run \`${executable} ${flag}\`: ${(error as Error).message}. ${hint}`, {
      cause: error,
    });
  }
  if (run.timedOut) {
    const seconds = Math.round(timeoutMs / 100) / 10;
    const which = flag === "-version" ? "JAVA_HOME at a working Java (or put one first on PATH)" : "SPARK_AUTOBUNDLE_PYTHON at a working Python";
    throw new RequirementError(
      `\`${executable} ${flag}\` did not finish within ${seconds} s (timed out); it was stopped, with any processes it started. ` +
        `Check that \`${executable} ${flag}\` answers when run by hand (a wrapper script or a hung install?), or point ${which}. ${hint}`,
    );
  }
  return run;
}

/** `/usr/bin/java` is usually a symlink chain into the real JDK; JAVA_HOME is two levels above the real binary. */
function javaHomeOf(executable: string, env: NodeJS.ProcessEnv): string {
  if (env.JAVA_HOME) return env.JAVA_HOME;
  return path.dirname(path.dirname(fs.realpathSync(executable)));
}

/**
 * Finds a Python of at least `floor` (the Spark line's, default the default line's): `$SPARK_AUTOBUNDLE_PYTHON`,
 * else `python3`, else `python` on PATH.
 */
export async function detectPython(env: NodeJS.ProcessEnv = process.env, floor: readonly [number, number] = MIN_PYTHON): Promise<DetectedPython> {
  const installHint = pythonInstallHint(floor);
  const explicit = env[ENV.python];
  let executable: string | undefined;
  if (explicit) {
    executable = path.isAbsolute(explicit) ? explicit : findOnPath(explicit, env);
    if (!executable || !isExecutableFile(executable)) {
      throw new RequirementError(
        `${ENV.python} is set to ${explicit}, but that is not an executable file. ${installHint}`,
      );
    }
  } else {
    executable = findOnPath("python3", env) ?? findOnPath("python", env);
    if (!executable) {
      throw new RequirementError(
        `Python was not found: neither \`python3\` nor \`python\` is on PATH and ${ENV.python} is not set. ` +
          `The local Spark server needs Python ${floor.join(".")}+ for its venv and Python workers. ${installHint}`,
      );
    }
  }

  const run = await runVersionCommand(executable, "--version", env, installHint);
  // Python 2 printed its version to stderr.
  const output = `${run.stdout}\n${run.stderr}`.trim();
  const version = parsePythonVersion(output);
  if (run.exitCode !== 0 || !version) {
    throw new RequirementError(
      `\`${executable} --version\` did not report a Python version (exit code ${run.exitCode}; output: ${JSON.stringify(output.slice(0, 300))}). ` +
        installHint,
    );
  }
  const [needMajor, needMinor] = floor;
  if (version.major < needMajor || (version.major === needMajor && version.minor < needMinor)) {
    throw new RequirementError(
      `Found Python ${version.raw} at ${executable}, but this Spark line's pyspark and worker packages need Python ${floor.join(".")} or newer. ${installHint}`,
    );
  }
  return { executable, version };
}
