/** What a subcommand gets: output streams, env and cwd, so tests can run it in-process. */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Where errors go even under --quiet (which points `stderr` nowhere); absent: `stderr`. */
  errors?: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Where project discovery starts when no --root is given. */
  cwd: string;
  /**
   * Ends long-running verbs (`watch`) cleanly. Absent: they listen for SIGINT/SIGTERM themselves,
   * so an in-process caller can stop them without signals.
   */
  signal?: AbortSignal;
}

/** One entry of the CLI's command table. */
export interface CliCommand {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full help text for `spark-autobundle NAME --help`. */
  help: string;
  /** Returns the process exit code (see exit-codes.ts); thrown errors are mapped there too. */
  run(args: string[], context: CliContext): Promise<number>;
}

/** A bad command line: main prints it with the command's usage and exits with ExitCode.USAGE. */
export class UsageError extends Error {
  override name = "UsageError";
}
