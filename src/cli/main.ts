import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { UsageError, type CliCommand, type CliContext } from "./command.js";
import { serverCommand } from "./server-command.js";

/** The command table: add `bundle`, `watch`, … here. */
export const COMMANDS: readonly CliCommand[] = [serverCommand];

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    "Usage: spark-autobundle <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `spark-autobundle <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs the CLI and returns the exit code (0 success, 1 failure); never calls process.exit. */
export async function main(argv: string[], context?: Partial<CliContext>): Promise<number> {
  const ctx: CliContext = {
    stdout: context?.stdout ?? process.stdout,
    stderr: context?.stderr ?? process.stderr,
    env: context?.env ?? process.env,
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    ctx.stdout.write(`${topLevelHelp()}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    ctx.stderr.write(`error: unknown command ${JSON.stringify(name)}\n\n${topLevelHelp()}\n`);
    return 1;
  }
  try {
    return await command.run(rest, ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.stderr.write(`error: ${error.message}\n\n${command.help}\n`);
      return 1;
    }
    ctx.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
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
