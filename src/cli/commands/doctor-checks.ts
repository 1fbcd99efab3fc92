// The checks of `doctor`: each says ok, warn or fail, with a one-line cause and fix.
import { discoverPythonVersion, PYTHON_VERSION_ENV } from "../../bundle/worker/pyver.js";
import { VENV_PROBE_PY } from "../../gen/embedded.js";
import { defaultRetryPolicy } from "../../connect/rpc/retry.js";
import { ConnectionStringError, isLoopbackHost, redactUrl, resolveRemote } from "../../connect/rpc/connection.js";
import { SparkConnectError } from "../../connect/errors.js";
import { SparkSession } from "../../connect/session.js";
import { ENV as SERVER_ENV } from "../../server/constants.js";
import { RequirementError } from "../../server/errors.js";
import { detectJava, detectPython, localServerStatus, type LocalServer } from "../../server/index.js";
import { DEFAULT_SPARK_LINE, parseSparkLine, SPARK_LINE_CHOICES, sparkLineSpec, type SparkLine } from "../../server/provision/spark-lines.js";
import { homeLayout, resolveHome } from "../../server/home/paths.js";
import { launched } from "../../server/launcher.js";
import { runCapture } from "../../server/process/processes.js";
import { findProvisioned } from "../../server/provision/provision.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  /** "java", "python", "pip", "pyspark", "server", "spark-line", "worker-python", "cache". */
  id: string;
  status: CheckStatus;
  /** What was found; for warn/fail, the cause. One line. */
  message: string;
  /** What to do about it (warn/fail only). */
  fix?: string;
  details?: object;
}

const check = (id: string, status: CheckStatus, message: string, fix?: string, details?: object): CheckResult => ({
  id,
  status,
  message,
  ...(fix !== undefined ? { fix } : {}),
  ...(details !== undefined ? { details } : {}),
});

/** Requirement messages (server/requirements.ts) read "cause. Point …/Install …": split them there. */
function splitCauseFix(message: string): { cause: string; fix: string } {
  const starts = [". Point ", ". Install "].map((s) => message.indexOf(s)).filter((i) => i >= 0);
  if (starts.length === 0) return { cause: message, fix: "" };
  const end = Math.min(...starts);
  return { cause: message.slice(0, end + 1), fix: message.slice(end + 2) };
}

/**
 * Java and Python are needed by the embedded server only: missing ones fail when it is the
 * target (or no remote is set), and only warn when a remote cluster is.
 */
export async function checkJava(env: NodeJS.ProcessEnv, embeddedNeeded: boolean): Promise<CheckResult> {
  try {
    const java = await detectJava(env);
    return check("java", "ok", `Java ${java.version.raw} (${java.executable})`);
  } catch (err) {
    if (!(err instanceof RequirementError)) throw err;
    const { cause, fix } = splitCauseFix(err.message);
    return check("java", embeddedNeeded ? "fail" : "warn", embeddedNeeded ? cause : `${cause} (only the embedded server needs it)`, fix);
  }
}

/** Python of at least the embedded server's line's floor (3.11 for 4.3, 3.9 for 3.5). */
export async function checkPython(env: NodeJS.ProcessEnv, embeddedNeeded: boolean, line: SparkLine = DEFAULT_SPARK_LINE): Promise<CheckResult & { version?: string; executable?: string }> {
  try {
    const python = await detectPython(env, sparkLineSpec(line).minPython);
    const version = `${python.version.major}.${python.version.minor}`;
    return { ...check("python", "ok", `Python ${python.version.raw} (${python.executable})`), version, executable: python.executable };
  } catch (err) {
    if (!(err instanceof RequirementError)) throw err;
    const { cause, fix } = splitCauseFix(err.message);
    return check("python", embeddedNeeded ? "fail" : "warn", cause, fix);
  }
}

/** pip of the local Python: what resolves a project's third-party dependencies for the workers. */
export async function checkPip(python: string | undefined, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  if (!python) return check("pip", "warn", "no local Python, so no pip to resolve third-party dependencies with", "see the python check");
  const run = await runCapture(python, ["-m", "pip", "--version"], { env });
  if (run.exitCode !== 0) {
    return check("pip", "warn", `${python} has no pip, so declared third-party dependencies can't be resolved (projects without any are unaffected)`, `\`${python} -m ensurepip\`, or point SPARK_AUTOBUNDLE_PYTHON at a Python 3.10+ with pip`);
  }
  return check("pip", "ok", `${run.stdout.trim().split(" from ")[0]} (resolves third-party dependencies)`);
}

/** The embedded server's venv for its line: installed, complete, and its pyspark importable at the line's pin. */
export async function checkPyspark(env: NodeJS.ProcessEnv, line: SparkLine = DEFAULT_SPARK_LINE): Promise<CheckResult> {
  const layout = homeLayout(resolveHome({ env }), line);
  const pinned = layout.line.pysparkVersion;
  const venv = findProvisioned(layout);
  if (!venv) {
    return check("pyspark", "warn", `pyspark ${pinned} (Spark line ${line}) is not installed in ${layout.venvDir} yet`, `nothing to do: the first remote("local") or \`spark-autobundle server start\` installs it (about a minute, once)`);
  }
  // The probe provisioning ran: line 1 is pyspark's version.
  const run = await runCapture(venv.pythonExecutable, ["-c", VENV_PROBE_PY], { env });
  const version = run.stdout.trim().split(/\r?\n/)[0]!.trim();
  if (run.exitCode !== 0 || version !== pinned) {
    const found = run.exitCode !== 0 ? `cannot import pyspark (${run.stderr.trim().split("\n").at(-1) ?? `exit code ${run.exitCode}`})` : `has pyspark ${version}, not ${pinned}`;
    return check("pyspark", "fail", `the venv ${venv.venvDir} ${found}`, `delete ${venv.venvDir} and run \`spark-autobundle server start\` to reinstall it`);
  }
  return check("pyspark", "ok", `pyspark ${version} with Python ${venv.pythonVersion} (${venv.venvDir})`);
}

/** The embedded server's line as this environment sets it: $SPARK_AUTOBUNDLE_SPARK, else the default. */
export type LineSetting = { kind: "line"; line: SparkLine; from: string } | { kind: "match" } | { kind: "invalid"; value: string };

export function lineSetting(env: NodeJS.ProcessEnv): LineSetting {
  const value = env[SERVER_ENV.spark]?.trim();
  if (!value) return { kind: "line", line: DEFAULT_SPARK_LINE, from: "the default" };
  if (value.toLowerCase() === "match") return { kind: "match" };
  try {
    return { kind: "line", line: parseSparkLine(value), from: `${SERVER_ENV.spark}=${value}` };
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { kind: "invalid", value };
  }
}

/** The line the embedded server would run: the setting's, or for "match" the checked remote's (if it answered). */
export function embeddedLine(setting: LineSetting, remoteVersion: string | undefined): SparkLine | undefined {
  if (setting.kind === "line") return setting.line;
  if (setting.kind === "invalid" || remoteVersion === undefined) return undefined;
  try {
    return parseSparkLine(remoteVersion);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return undefined;
  }
}

const MATCH_SETTING = `${SERVER_ENV.spark}=match`;

/**
 * The embedded server's line against the checked remote's: local tests on another Spark than the cluster's
 * pass or fail for reasons the cluster doesn't share. Only warns: testing on another line can be deliberate.
 * Fails only for a setting that breaks remote("local") itself, when the embedded server is the target.
 */
export function checkSparkLine(setting: LineSetting, probe: { embeddedTarget: boolean; remote?: string }, remoteVersion: string | undefined): CheckResult {
  const choices = SPARK_LINE_CHOICES.replaceAll('"', "");
  const broken = probe.embeddedTarget ? "fail" : "warn";
  if (setting.kind === "invalid") {
    return check("spark-line", broken, `${SERVER_ENV.spark}=${setting.value} is not a Spark line the embedded server runs, so remote("local") fails`, `set it to one of ${choices} or match, or unset it (default ${DEFAULT_SPARK_LINE})`);
  }
  if (probe.remote === undefined) {
    if (setting.kind === "match") {
      return check("spark-line", broken, `${MATCH_SETTING}, but there is no remote cluster to match (no --remote, and SPARK_REMOTE is unset or "local")`, `set SPARK_REMOTE to the cluster's sc:// URL, or set ${SERVER_ENV.spark} to a line (${choices})`);
    }
    return check("spark-line", "ok", `the embedded server runs Spark line ${setting.line} (${setting.from}); no remote cluster to compare with`);
  }
  const needed = setting.kind === "match" ? ` (${MATCH_SETTING} needs it to answer)` : "";
  if (remoteVersion === undefined) return check("spark-line", "warn", `not compared: the remote did not answer${needed}`, "see the server check");
  let remoteLine: SparkLine;
  try {
    remoteLine = parseSparkLine(remoteVersion);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const consequence = setting.kind === "match" ? `, so ${MATCH_SETTING} fails` : `: local tests run on Spark ${setting.line} instead`;
    return check("spark-line", "warn", `the remote runs Spark ${remoteVersion}, a line the embedded server does not run (${choices})${consequence}`, `set ${SERVER_ENV.spark} to the nearest line, or test against the remote itself`);
  }
  if (setting.kind === "match") return check("spark-line", "ok", `the embedded server runs line ${remoteLine} (${MATCH_SETTING}), the line of the remote's Spark ${remoteVersion}`);
  if (remoteLine === setting.line) return check("spark-line", "ok", `the embedded server's line ${setting.line} (${setting.from}) is the remote's (Spark ${remoteVersion})`);
  return check(
    "spark-line",
    "warn",
    `the remote runs Spark ${remoteVersion} (line ${remoteLine}), but the embedded server runs line ${setting.line} (${setting.from}): code tested locally runs on another Spark than the cluster's`,
    `set ${SERVER_ENV.spark}=${remoteLine} (or =match) for remote("local") and the CLI, or start that line with \`spark-autobundle server start --spark match\``,
  );
}

export interface ServerProbe {
  result: CheckResult;
  /** Open when the server answered; the caller stops it. */
  session?: SparkSession;
  /** The embedded server, when it is the target. */
  embedded?: LocalServer;
  /** Whether the embedded server is (or would be) the target. */
  embeddedTarget: boolean;
  /** The sc:// remote checked (redacted unless loopback), when the target is one. */
  remote?: string;
}

/**
 * The given remote, else SPARK_REMOTE, else the embedded server of `line` if it runs (no line: the setting is
 * invalid or "match" with nothing to match, which the spark-line check reports). Never starts a server.
 */
export async function checkServer(remote: string | undefined, env: NodeJS.ProcessEnv, line: SparkLine | undefined): Promise<ServerProbe> {
  const given = remote?.trim() || env.SPARK_REMOTE?.trim();
  let resolved;
  try {
    resolved = given ? resolveRemote(given, env) : { kind: "local" as const, cores: 1 };
  } catch (err) {
    if (!(err instanceof ConnectionStringError)) throw err;
    return { result: check("server", "fail", err.problem, err.fix), embeddedTarget: false };
  }
  if (resolved.kind === "local") {
    if (line === undefined) return { result: check("server", "warn", "not checked: no Spark line for the embedded server", "see the spark-line check"), embeddedTarget: true };
    const status = await localServerStatus({ env, spark: line });
    if (status.state === "running") {
      const probe = await connectTo(status.server.url, `the embedded server (pid ${status.server.pid})`, status.server);
      return { ...probe, embedded: status.server, embeddedTarget: true };
    }
    if (status.state === "stopped") {
      const fix = given ? "nothing to do: it starts on first use; or run `spark-autobundle server start`" : "pass --remote sc://host:15002, set SPARK_REMOTE, or run `spark-autobundle server start`";
      return { result: check("server", "warn", given ? `the embedded server is not running (${status.reason})` : "no server to check: no --remote, no SPARK_REMOTE, and the embedded server is not running", fix), embeddedTarget: true };
    }
    const fix = `look at its log ${status.logFile}; restart it with \`spark-autobundle server stop\` then \`server start\``;
    return { result: check("server", status.state === "starting" ? "warn" : "fail", `the embedded server (pid ${status.pid}, port ${status.port}) is ${status.state}: ${status.reason}`, fix), embeddedTarget: true };
  }
  const shown = isLoopbackHost(resolved.config.host) ? resolved.config.url : redactUrl(resolved.config.url);
  return { ...(await connectTo(given!, shown)), embeddedTarget: false, remote: shown };
}

async function connectTo(url: string, shown: string, embedded?: LocalServer): Promise<Omit<ServerProbe, "embeddedTarget">> {
  try {
    // Fewer retries than a job's: a doctor should report an unreachable server promptly.
    const builder = SparkSession.builder().retryPolicy({ ...defaultRetryPolicy, maxRetries: 2 });
    // The running embedded server, as remote("local") would reach it (its facts included), without starting one.
    if (embedded) builder.remote("local").localLauncher(async () => launched(embedded));
    else builder.remote(url);
    const session = await builder.create();
    return { result: check("server", "ok", `Spark ${session.version} answers at ${shown}`), session };
  } catch (err) {
    if (!(err instanceof SparkConnectError)) throw err;
    const [cause] = err.message.split("\n");
    return { result: check("server", "fail", cause!, err.fix ?? "check the URL and that the server runs") };
  }
}

/**
 * The Python version the engine would state for UDFs (override, embedded venv, or a probe job on the
 * workers: pyver.ts) against the local python's: a mismatch means code tested locally runs elsewhere.
 */
export async function checkWorkerPython(probe: ServerProbe, localVersion: string | undefined, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  if (!probe.session) return check("worker-python", "warn", "not checked: no server answered", "see the server check");
  const override = env[PYTHON_VERSION_ENV] || undefined;
  const source = override ? `${PYTHON_VERSION_ENV}` : probe.embedded ? "the embedded server's venv" : "a probe job";
  let workers: string;
  try {
    workers = await discoverPythonVersion(probe.session, override);
  } catch (err) {
    if (!(err instanceof SparkConnectError)) throw err;
    return check("worker-python", "fail", err.message.split("\n")[0]!, err.fix ?? `set ${PYTHON_VERSION_ENV} to the workers' Python, e.g. 3.11`);
  }
  if (localVersion === undefined) return check("worker-python", "warn", `UDFs will state Python ${workers} (from ${source}); no local python to compare with`, "install Python (see the python check)");
  if (workers !== localVersion) {
    return check(
      "worker-python",
      "warn",
      `UDFs run on Python ${workers} (from ${source}) but the local python is ${localVersion}: code tested locally runs under another version`,
      `test locally with Python ${workers}${probe.embedded ? `, or recreate the embedded server's venv with SPARK_AUTOBUNDLE_PYTHON pointing at Python ${localVersion}` : ""}`,
    );
  }
  return check("worker-python", "ok", `UDFs run on Python ${workers} (from ${source}), same as the local python`);
}
