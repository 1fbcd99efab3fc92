/** What a subcommand gets: output streams and env, so tests can run it in-process. */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** One entry of the CLI's command table (`server`, later `bundle`, `watch`). */
export interface CliCommand {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full help text for `spark-autobundle NAME --help`. */
  help: string;
  /** Returns the process exit code. */
  run(args: string[], context: CliContext): Promise<number>;
}

/** Thrown for bad command lines; main prints it with the command's usage and exits 1. */
export class UsageError extends Error {
  override name = "UsageError";
}
