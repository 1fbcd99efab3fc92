import { resolve } from "node:path";
import {
  DEFAULT_CLUSTER_PORT,
  DEFAULT_CONNECT_PORT,
  ensureLocalCluster,
  ensureLocalServer,
  localClusterStatus,
  parseSparkLine,
  stopLocalCluster,
  type LocalCluster,
  localServerStatus,
  stopLocalServer,
  type Cores,
  type LocalServer,
  type LocalServerOptions,
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
  --port N      Port to listen on (default $SPARK_AUTOBUNDLE_PORT, else ${DEFAULT_CONNECT_PORT}; 15003 for 3.5;
                ${DEFAULT_CLUSTER_PORT} for a cluster).
  --cores N     Cores for local[N]; "*" for all (default). Only used when starting.
  --spark V     Spark line: 4.1 (default) or 3.5 (default $SPARK_AUTOBUNDLE_SPARK). Each line has
                its own venv, server, token and port, so both can run at once.
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
    const json = values.json === true;
    if (values.cluster !== undefined) {
      if (values.cores !== undefined) throw new UsageError("--cores is for the local[N] server; a cluster's workers have one core each (use --cluster N)");
      return await clusterAction(action, options, parseWorkers(values.cluster, action), json, context);
    }

    try {
      switch (action) {
        case "start":
          return await start(options, json, context);
        case "stop":
          return await stop(options, json, context);
        case "status":
          return await status(options, json, context);
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

function parseSpark(text: string) {
  try {
    return parseSparkLine(text);
  } catch (error) {
    throw new UsageError(`--spark ${text}: use 4.1 or 3.5`, { cause: error });
  }
}

function parseCores(text: string): Cores {
  if (text === "*") return "*";
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--cores ${text}: use a number >= 1, or "*"`);
  return Number(text);
}

/** Failures (Java missing, port busy, start timeout) are LocalServerErrors: main maps them to exit code 3. */
async function start(options: LocalServerOptions, json: boolean, context: CliContext): Promise<number> {
  const progress = stderrProgress(context.stderr as NodeJS.WriteStream);
  let server: LocalServer;
  try {
    server = await ensureLocalServer({ ...options, onProgress: progress });
  } finally {
    progress.end();
  }
  if (json) writeJson(context, { ok: true, server });
  else context.stdout.write(describeServer(server, server.reused ? "already running (reused)" : "started"));
  return ExitCode.OK;
}

async function stop(options: LocalServerOptions, json: boolean, context: CliContext): Promise<number> {
  const result = await stopLocalServer(options);
  if (json) writeJson(context, { ok: true, ...result });
  else if (result.stopped) context.stdout.write(`Stopped the Spark Connect server (pid ${result.pid}, port ${result.port}).\n`);
  else context.stdout.write(`No server was running in ${result.home}: ${result.reason}.\n`);
  return ExitCode.OK;
}

async function status(options: LocalServerOptions, json: boolean, context: CliContext): Promise<number> {
  const result = await localServerStatus(options);
  if (json) writeJson(context, { ok: result.state === "running", ...result });
  else if (result.state === "running") context.stdout.write(describeServer(result.server, "running"));
  else if (result.state === "stopped") context.stdout.write(`Spark Connect server: stopped (${result.reason}).\nHome: ${result.home}\n`);
  else {
    context.stdout.write(
      `Spark Connect server: ${result.state} (pid ${result.pid}, port ${result.port}): ${result.reason}\nLog: ${result.logFile}\n`,
    );
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

async function clusterAction(action: string | undefined, options: LocalServerOptions, workers: number | undefined, json: boolean, context: CliContext): Promise<number> {
  const { cores: _cores, ...rest } = options;
  switch (action) {
    case "start": {
      const progress = stderrProgress(context.stderr as NodeJS.WriteStream);
      let cluster: LocalCluster;
      try {
        cluster = await ensureLocalCluster({ ...rest, workers, onProgress: progress });
      } finally {
        progress.end();
      }
      if (json) writeJson(context, { ok: true, cluster });
      else context.stdout.write(describeCluster(cluster, cluster.reused ? "already running (reused)" : "started"));
      return ExitCode.OK;
    }
    case "stop": {
      const result = await stopLocalCluster(rest);
      if (json) writeJson(context, { ok: true, ...result });
      else if (result.stopped > 0) context.stdout.write(`Stopped the local cluster (${result.stopped} processes: pids ${result.pids.join(", ")}).\n`);
      else context.stdout.write("No local cluster was running.\n");
      return ExitCode.OK;
    }
    case "status": {
      const cluster = await localClusterStatus(rest);
      if (json) writeJson(context, cluster ? { ok: true, state: "running", cluster } : { ok: false, state: "stopped" });
      else context.stdout.write(cluster ? describeCluster(cluster, "running") : "Local cluster: stopped (or not healthy).\n");
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
