import { parseArgs } from "node:util";
import {
  DEFAULT_CONNECT_PORT,
  ensureLocalServer,
  localServerStatus,
  LocalServerError,
  stopLocalServer,
  type Cores,
  type LocalServer,
  type LocalServerOptions,
} from "../server/index.js";
import { UsageError, type CliCommand, type CliContext } from "./command.js";

const HELP = `Usage: spark-autobundle server <start|stop|status> [options]

Manage the embedded local Spark Connect server (pyspark, Java 17+, bound to 127.0.0.1).

Subcommands:
  start    Start the server, or reuse the one already running; prints its sc:// URL.
  stop     Stop the server recorded in the home directory.
  status   Show whether it runs. Exit code 0 when running, 1 otherwise.

Options:
  --port N      Port to listen on (default $SPARK_AUTOBUNDLE_PORT, else ${DEFAULT_CONNECT_PORT}).
  --cores N     Cores for local[N]; "*" for all (default). Only used when starting.
  --home DIR    State/cache directory (default $SPARK_AUTOBUNDLE_HOME, else the user cache dir).
  --json        Print machine-readable JSON on stdout (progress still goes to stderr).
  -h, --help    Show this help.

Exit codes: 0 success, 1 failure (or "not running" for status).`;

export const serverCommand: CliCommand = {
  name: "server",
  summary: "start, stop or inspect the embedded local Spark Connect server",
  help: HELP,
  async run(args, context) {
    const { values, positionals } = parseServerArgs(args);
    if (values.help) {
      context.stdout.write(`${HELP}\n`);
      return 0;
    }
    const [action, ...extra] = positionals;
    if (!action) throw new UsageError("missing subcommand: use start, stop or status");
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const options: LocalServerOptions = { env: context.env };
    if (values.home) options.home = values.home;
    if (values.port !== undefined) options.port = parsePort(values.port);
    if (values.cores !== undefined) options.cores = parseCores(values.cores);
    const json = values.json === true;

    switch (action) {
      case "start":
        return start(options, json, context);
      case "stop":
        return stop(options, json, context);
      case "status":
        return status(options, json, context);
      default:
        throw new UsageError(`unknown subcommand ${JSON.stringify(action)}: use start, stop or status`);
    }
  },
};

function parseServerArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean" },
        port: { type: "string" },
        cores: { type: "string" },
        home: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
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

async function start(options: LocalServerOptions, json: boolean, context: CliContext): Promise<number> {
  try {
    const server = await ensureLocalServer(options);
    if (json) writeJson(context, { ok: true, server });
    else context.stdout.write(describeServer(server, server.reused ? "already running (reused)" : "started"));
    return 0;
  } catch (error) {
    if (!(error instanceof LocalServerError) && !(error instanceof RangeError)) throw error;
    reportFailure(error, json, context);
    return 1;
  }
}

async function stop(options: LocalServerOptions, json: boolean, context: CliContext): Promise<number> {
  const result = await stopLocalServer(options);
  if (json) writeJson(context, { ok: true, ...result });
  else if (result.stopped) context.stdout.write(`Stopped the Spark Connect server (pid ${result.pid}, port ${result.port}).\n`);
  else context.stdout.write(`No server was running in ${result.home}: ${result.reason}.\n`);
  return 0;
}

async function status(options: LocalServerOptions, json: boolean, context: CliContext): Promise<number> {
  const result = await localServerStatus(options);
  if (json) writeJson(context, result);
  else if (result.state === "running") context.stdout.write(describeServer(result.server, "running"));
  else if (result.state === "stopped") context.stdout.write(`Spark Connect server: stopped (${result.reason}).\nHome: ${result.home}\n`);
  else {
    context.stdout.write(
      `Spark Connect server: ${result.state} (pid ${result.pid}, port ${result.port}): ${result.reason}\nLog: ${result.logFile}\n`,
    );
  }
  return result.state === "running" ? 0 : 1;
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

function reportFailure(error: Error, json: boolean, context: CliContext): void {
  if (json) {
    const logFile = error instanceof LocalServerError ? error.logFile : undefined;
    writeJson(context, { ok: false, error: { name: error.name, message: error.message, logFile } });
  }
  context.stderr.write(`error: ${error.message}\n`);
}

function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
