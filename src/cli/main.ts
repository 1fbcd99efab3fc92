import fs from "node:fs";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { debugLog, setDebugOverride } from "../shared/debug.js";
import { bundleCommand } from "./commands/bundle.js";
import { UsageError, type CliCommand, type CliContext } from "./command.js";
import { doctorCommand } from "./commands/doctor.js";
import { EXIT_CODES_HELP, ExitCode, exitCodeOf, isExpectedError } from "./exit-codes.js";
import { lsCommand } from "./commands/ls.js";
import { errorJson, styleFor, writeJson } from "./output.js";
import { pushCommand } from "./commands/push.js";
import { serverCommand } from "./commands/server.js";
import { watchCommand } from "./commands/watch.js";
import { packageVersion as ownPackageVersion } from "../shared/package-root.js";

/** The command table. */
export const COMMANDS: readonly CliCommand[] = [lsCommand, bundleCommand, pushCommand, watchCommand, serverCommand, doctorCommand];

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    "Usage: spark-autobundle <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Every command takes --json (one JSON document on stdout; `watch`: one JSON object per line) and --help.",
    "Anywhere: -q/--quiet (no progress, warnings or notes on stderr; errors still print), --verbose (debug",
    "lines on stderr, as DEBUG=spark-autobundle or NODE_DEBUG=spark-autobundle give). -V/--version: the version.",
    "Colour only on a terminal; NO_COLOR turns it off, FORCE_COLOR on.",
    "",
    EXIT_CODES_HELP,
    "",
    "Run `spark-autobundle <command> --help` for a command's options.",
  ].join("\n");
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return ownPackageVersion();
}

/** Options every verb takes, wherever they appear: taken out before the verb parses its own. */
const QUIET = new Set(["-q", "--quiet"]);
const VERBOSE = "--verbose";

/** Runs the CLI and returns the exit code (see exit-codes.ts); never calls process.exit. */
export async function main(argv: string[], context?: Partial<CliContext>): Promise<number> {
  const ctx: CliContext = {
    stdout: context?.stdout ?? process.stdout,
    stderr: context?.stderr ?? process.stderr,
    env: context?.env ?? process.env,
    cwd: context?.cwd ?? process.cwd(),
    signal: context?.signal,
  };
  // Only before a "--", which ends options.
  const end = argv.indexOf("--") < 0 ? argv.length : argv.indexOf("--");
  const quiet = argv.slice(0, end).some((a) => QUIET.has(a));
  const verbose = argv.slice(0, end).includes(VERBOSE);
  argv = [...argv.slice(0, end).filter((a) => !QUIET.has(a) && a !== VERBOSE), ...argv.slice(end)];
  if (quiet && verbose) {
    ctx.stderr.write("error: --quiet and --verbose contradict each other: give one of them\n");
    return ExitCode.USAGE;
  }
  if (verbose) setDebugOverride(true);
  try {
    debugLog("cli", { env: ctx.env, write: (text) => ctx.stderr.write(text) })("spark-autobundle %s on node %s: %s", packageVersion(), process.version, argv.join(" "));
    // Quiet: the verbs' stderr (progress, warnings, notes) goes nowhere; errors go to the real one.
    return await dispatch(argv, quiet ? { ...ctx, stderr: discard(), errors: ctx.stderr } : ctx, ctx.stderr);
  } finally {
    if (verbose) setDebugOverride(undefined);
  }
}

function discard(): NodeJS.WritableStream {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

async function dispatch(argv: string[], ctx: CliContext, errors: NodeJS.WritableStream): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") {
    ctx.stdout.write(`${packageVersion()}\n`);
    return ExitCode.OK;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    ctx.stdout.write(`${topLevelHelp()}\n`);
    return ExitCode.OK;
  }
  if (name === undefined) {
    errors.write(`${topLevelHelp()}\n`);
    return ExitCode.USAGE;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    const error = new UsageError(`unknown command ${JSON.stringify(name)}`);
    if (rest.includes("--json")) writeJson(ctx, { ok: false, exitCode: ExitCode.USAGE, error: errorJson(error) });
    errors.write(`error: ${error.message}\n\n${topLevelHelp()}\n`);
    return ExitCode.USAGE;
  }
  try {
    return await command.run(rest, ctx);
  } catch (error) {
    const exitCode = exitCodeOf(error);
    if (rest.includes("--json")) writeJson(ctx, { ok: false, exitCode, error: errorJson(error) });
    reportError(error, command, { ...ctx, stderr: errors }, rest.includes("--json"));
    return exitCode;
  }
}

function reportError(error: unknown, command: CliCommand, ctx: CliContext, json: boolean): void {
  const label = styleFor(ctx.stderr, ctx.env, json).red("error:");
  if (error instanceof UsageError) {
    ctx.stderr.write(`${label} ${error.message}\n\n${command.help}\n`);
  } else if (isExpectedError(error)) {
    // These messages already name the cause, the fix and (server errors) the log file.
    ctx.stderr.write(`${label} ${(error as Error).message}\n`);
  } else {
    // Not one of ours: a bug or an unexpected condition, so the stack helps whoever reports it.
    ctx.stderr.write(`${label} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}

/** True when this file is the entry point (`tsx src/cli/main.ts`, `node dist/cli/main.js`). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return fs.realpathSync(entry) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
