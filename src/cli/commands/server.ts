import { resolve } from "node:path";
import {
  DEFAULT_SPARK_LINE,
  SPARK_LINE_CHOICES,
  ensureLocalCluster,
  ensureLocalServer,
  localClusterStatus,
  parseSparkLine,
  stopLocalCluster,
  type LocalCluster,
  localServerStatus,
  matchRemoteLine,
  wantsMatch,
  SERVER_ENV,
  SparkLineMatchError,
  stopLocalServer,
  type MatchedLine,
  type Cores,
  type LocalServer,
  type LocalServerOptions,
  type SparkLine,
} from "../../server/index.js";
import { stderrProgress } from "../../server/process/progress.js";
import { COMMON_OPTIONS, parseCommandArgs } from "../args.js";
import { UsageError, type CliCommand, type CliContext } from "../command.js";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.js";
import { writeJson } from "../output.js";

const HELP = `Usage: spark-autobundle server <start|stop|status> [options]

Manage the embedded local Spark Connect server (pyspark, Java 17+, bound to 127.0.0.1), or with
--cluster N a real standalone cluster: a master, N worker JVMs and a Connect server using them.

Subcommands:
  start    Start the server, or reuse the one already running; prints its sc:// URL.
  stop     Stop the server recorded in the home directory.
  status   Show whether it runs: exit code 0 when running, 1 when stopped or still starting,
           3 when its process lives but does not answer.

Options:
  --port N      Port to listen on (default $SPARK_AUTOBUNDLE_PORT, else the line's own: 15002 for 4.1,
                15003 for 3.5, 15004 for 4.0, 15005 for 4.2, 15006 for 4.3; a cluster 10 above).
  --cores N     Cores for local[N]; "*" for all (default). Only used when starting.
  --spark V     Spark line: 3.5, 4.0, 4.1, 4.2 or 4.3 (default $SPARK_AUTOBUNDLE_SPARK, else
                ${DEFAULT_SPARK_LINE}). Each line has its own venv, server, token and port, so lines
                run side by side. "match": the line of the server --remote (else $SPARK_REMOTE)
                names, read from its version; stop and status then act on that line too.
  --remote URL  With --spark match: the sc:// server whose line to run (default $SPARK_REMOTE).
  --cluster N   Act on the home's local cluster of N workers (1 core, 2 GB each) instead of the
                local[N] server. stop and status take --cluster without a count.
  --home DIR    State/cache directory (default $SPARK_AUTOBUNDLE_HOME, else the user cache dir).
  --json        Print one JSON document on stdout (progress still goes to stderr).
  -h, --help    Show this help.

${EXIT_CODES_HELP}`;

export const serverCommand: CliCommand = {
  name: "server",
  summary: "start, stop or inspect the embedded local Spark Connect server",
  help: HELP,
  async run(args, context) {
    const { values, positionals } = parseServerArgs(args);
    if (values.help) {
      context.stdout.write(`${HELP}\n`);
      return ExitCode.OK;
    }
    const [action, ...extra] = positionals;
    if (!action) throw new UsageError("missing subcommand: use start, stop or status");
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const options: LocalServerOptions = { env: context.env };
    if (values.home) options.home = resolve(context.cwd, values.home);
    if (values.port !== undefined) options.port = parsePort(values.port);
    if (values.cores !== undefined) options.cores = parseCores(values.cores);
    if (values.spark !== undefined) options.spark = parseSpark(values.spark);
    if (!["start", "stop", "status"].includes(action)) throw new UsageError(`unknown subcommand ${JSON.stringify(action)}: use start, stop or status`);
    const workers = values.cluster !== undefined ? parseWorkers(values.cluster, action) : undefined;
    if (values.cluster !== undefined && values.cores !== undefined) {
      throw new UsageError("--cores is for the local[N] server; a cluster's workers have one core each (use --cluster N)");
    }
    // After every check of the command line: matching costs a round trip to the remote.
    const report: Report = { json: values.json === true, context, matched: await matchLine(options, values.remote, values.spark !== undefined, context) };
    if (values.cluster !== undefined) return await clusterAction(action, options, workers, report);

    try {
      switch (action) {
        case "start":
          return await start(options, report);
        case "stop":
          return await stop(options, report);
        case "status":
          return await status(options, report);
        default:
          throw new UsageError(`unknown subcommand ${JSON.stringify(action)}: use start, stop or status`);
      }
    } catch (error) {
      // An invalid $SPARK_AUTOBUNDLE_PORT or cores value: a setting to fix, like a bad option.
      if (error instanceof RangeError) throw new UsageError(error.message, { cause: error });
      throw error;
    }
  },
};

function parseServerArgs(args: string[]) {
  // `stop --cluster` / `status --cluster` need no count: give the bare flag an empty value.
  const withValues = args.flatMap((arg, i) => (arg === "--cluster" && (i === args.length - 1 || args[i + 1]!.startsWith("-")) ? [arg, ""] : [arg]));
  return parseCommandArgs({
    args: withValues,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      port: { type: "string" },
      cores: { type: "string" },
      home: { type: "string" },
      spark: { type: "string" },
      remote: { type: "string" },
      cluster: { type: "string" },
    },
  });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new UsageError(`--port ${text} is not a port: use a number between 1 and 65535`);
  }
  return port;
}

function parseSpark(text: string): SparkLine | "match" {
  if (text.trim().toLowerCase() === "match") return "match";
  try {
    return parseSparkLine(text);
  } catch (error) {
    throw new UsageError(`--spark ${text}: use one of ${SPARK_LINE_CHOICES.replaceAll('"', "")}, or match (default ${DEFAULT_SPARK_LINE})`, { cause: error });
  }
}

/** How a verb reports: JSON or text, and the remote whose line "match" chose (named in both). */
interface Report {
  json: boolean;
  context: CliContext;
  matched: MatchedLine | undefined;
}

/**
 * `--spark match` (or $SPARK_AUTOBUNDLE_SPARK=match): reads the remote's version once, here, so the verb
 * can say what it matched, and replaces "match" in the options with the line.
 */
async function matchLine(options: LocalServerOptions, remote: string | undefined, flagged: boolean, context: CliContext): Promise<MatchedLine | undefined> {
  if (!wantsMatch(options)) {
    if (remote !== undefined) throw new UsageError("--remote names the server whose line --spark match runs; use it with --spark match, or drop it");
    return undefined;
  }
  try {
    const matched = await matchRemoteLine(remote, { env: context.env, askedBy: flagged ? "--spark match" : `${SERVER_ENV.spark}=match` });
    options.spark = matched.line;
    return matched;
  } catch (error) {
    // No remote, or one on a line we don't run: settings to change (exit 2). An unreachable one stays exit 3.
    if (error instanceof SparkLineMatchError && error.reason !== "unreachable") throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

function matchedText(matched: MatchedLine | undefined): string {
  return matched ? `Matched Spark ${matched.version} at ${matched.remote} → line ${matched.line}\n` : "";
}

function parseCores(text: string): Cores {
  if (text === "*") return "*";
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--cores ${text}: use a number >= 1, or "*"`);
  return Number(text);
}

/** Failures (Java missing, port busy, start timeout) are LocalServerErrors: main maps them to exit code 3. */
async function start(options: LocalServerOptions, { json, context, matched }: Report): Promise<number> {
  const progress = stderrProgress(context.stderr as NodeJS.WriteStream);
  let server: LocalServer;
  try {
    server = await ensureLocalServer({ ...options, onProgress: progress });
  } finally {
    progress.end();
  }
  if (json) writeJson(context, { ok: true, ...(matched ? { matched } : {}), server });
  else context.stdout.write(matchedText(matched) + describeServer(server, server.reused ? "already running (reused)" : "started"));
  return ExitCode.OK;
}

async function stop(options: LocalServerOptions, { json, context, matched }: Report): Promise<number> {
  const result = await stopLocalServer(options);
  if (json) writeJson(context, { ok: true, ...(matched ? { matched } : {}), ...result });
  else if (result.stopped) context.stdout.write(`${matchedText(matched)}Stopped the Spark Connect server (pid ${result.pid}, port ${result.port}).\n`);
  else context.stdout.write(`${matchedText(matched)}No server was running in ${result.home}: ${result.reason}.\n`);
  return ExitCode.OK;
}

async function status(options: LocalServerOptions, { json, context, matched }: Report): Promise<number> {
  const result = await localServerStatus(options);
  if (json) writeJson(context, { ok: result.state === "running", ...(matched ? { matched } : {}), ...result });
  else {
    context.stdout.write(matchedText(matched));
    if (result.state === "running") context.stdout.write(describeServer(result.server, "running"));
    else if (result.state === "stopped") context.stdout.write(`Spark Connect server: stopped (${result.reason}).\nHome: ${result.home}\n`);
    else context.stdout.write(`Spark Connect server: ${result.state} (pid ${result.pid}, port ${result.port}): ${result.reason}\nLog: ${result.logFile}\n`);
  }
  if (result.state === "running") return ExitCode.OK;
  return result.state === "unresponsive" ? ExitCode.UNREACHABLE : ExitCode.FAILURE;
}

function describeServer(server: LocalServer, how: string): string {
  return [
    `Spark Connect server ${how}: Spark ${server.sparkVersion}, local[${server.cores}], pid ${server.pid}`,
    `  URL:    ${server.url}`,
    `  Python: ${server.pythonExecutable} (${server.pythonVersion})`,
    `  Log:    ${server.logFile}`,
    `  Home:   ${server.home}`,
    "",
  ].join("\n");
}

/** `--cluster` takes a worker count for start; for stop/status any value (or none: "") is accepted. */
function parseWorkers(text: string, action: string | undefined): number | undefined {
  if (text === "" && action !== "start") return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 16) {
    throw new UsageError(`--cluster ${text}: give the number of workers, 1 to 16 (e.g. --cluster 2)`);
  }
  return Number(text);
}

async function clusterAction(action: string | undefined, options: LocalServerOptions, workers: number | undefined, { json, context, matched }: Report): Promise<number> {
  const { cores: _cores, ...rest } = options;
  const withMatched = matched ? { matched } : {};
  const text = (line: string) => context.stdout.write(matchedText(matched) + line);
  switch (action) {
    case "start": {
      const progress = stderrProgress(context.stderr as NodeJS.WriteStream);
      let cluster: LocalCluster;
      try {
        cluster = await ensureLocalCluster({ ...rest, workers, onProgress: progress });
      } finally {
        progress.end();
      }
      if (json) writeJson(context, { ok: true, ...withMatched, cluster });
      else text(describeCluster(cluster, cluster.reused ? "already running (reused)" : "started"));
      return ExitCode.OK;
    }
    case "stop": {
      const result = await stopLocalCluster(rest);
      if (json) writeJson(context, { ok: true, ...withMatched, ...result });
      else text(result.stopped > 0 ? `Stopped the local cluster (${result.stopped} processes: pids ${result.pids.join(", ")}).\n` : "No local cluster was running.\n");
      return ExitCode.OK;
    }
    case "status": {
      const cluster = await localClusterStatus(rest);
      if (json) writeJson(context, cluster ? { ok: true, ...withMatched, state: "running", cluster } : { ok: false, ...withMatched, state: "stopped" });
      else text(cluster ? describeCluster(cluster, "running") : "Local cluster: stopped (or not healthy).\n");
      return cluster ? ExitCode.OK : ExitCode.FAILURE;
    }
    default:
      throw new UsageError(action ? `unknown subcommand ${JSON.stringify(action)}: use start, stop or status` : "missing subcommand: use start, stop or status");
  }
}

function describeCluster(cluster: LocalCluster, how: string): string {
  return [
    `Local Spark cluster ${how}: Spark ${cluster.sparkVersion}, ${cluster.workers} workers on ${cluster.masterUrl}`,
    `  URL:    ${cluster.url}`,
    `  Python: ${cluster.pythonExecutable} (${cluster.pythonVersion})`,
    `  Pids:   ${cluster.pids.join(", ")} (Connect server, master, workers)`,
    `  Log:    ${cluster.logFile}`,
    "",
  ].join("\n");
}
