import { resolve } from "node:path";
import {
  DEFAULT_CONNECT_PORT,
  ensureLocalServer,
  localServerStatus,
  stopLocalServer,
  type Cores,
  type LocalServer,
  type LocalServerOptions,
} from "../server/index.js";
import { stderrProgress } from "../server/progress.js";
import { COMMON_OPTIONS, parseCommandArgs } from "./args.js";
import { UsageError, type CliCommand, type CliContext } from "./command.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.js";
import { writeJson } from "./output.js";

const HELP = `Usage: spark-autobundle server <start|stop|status> [options]

Manage the embedded local Spark Connect server (pyspark, Java 17+, bound to 127.0.0.1).

Subcommands:
  start    Start the server, or reuse the one already running; prints its sc:// URL.
  stop     Stop the server recorded in the home directory.
  status   Show whether it runs: exit code 0 when running, 1 when stopped or still starting,
           3 when its process lives but does not answer.

Options:
  --port N      Port to listen on (default $SPARK_AUTOBUNDLE_PORT, else ${DEFAULT_CONNECT_PORT}).
  --cores N     Cores for local[N]; "*" for all (default). Only used when starting.
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
    const json = values.json === true;

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
  return parseCommandArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, port: { type: "string" }, cores: { type: "string" }, home: { type: "string" } },
  });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new UsageError(`--port ${text} is not a port: use a number between 1 and 65535`);
  }
  return port;
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
