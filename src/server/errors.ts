import fs from "node:fs";

/** Base class so callers can tell local-server failures apart from everything else. */
export class LocalServerError extends Error {
  override name = "LocalServerError";
  /** The log that explains the failure, when there is one. */
  readonly logFile: string | undefined;

  constructor(message: string, options: { cause?: unknown; logFile?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.logFile = options.logFile;
  }
}

/** Java or Python is missing or too old. */
export class RequirementError extends LocalServerError {
  override name = "RequirementError";
}

/** Creating the venv or installing pyspark failed. */
export class ProvisionError extends LocalServerError {
  override name = "ProvisionError";
}

/** Something else listens on the port the server should use. */
export class PortBusyError extends LocalServerError {
  override name = "PortBusyError";
  constructor(
    readonly port: number,
    message: string,
    options: { cause?: unknown; logFile?: string } = {},
  ) {
    super(message, options);
  }
}

/** The server process exited, hung, or never answered the health check. */
export class ServerStartError extends LocalServerError {
  override name = "ServerStartError";
}

/** Another process held the home directory's lock for too long. */
export class LockTimeoutError extends LocalServerError {
  override name = "LockTimeoutError";
}

/** The last `count` lines of a log, or a note saying why there are none. */
export function readLogTail(logFile: string, count = 20): string {
  let text: string;
  try {
    text = fs.readFileSync(logFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "(log file does not exist)";
    throw error;
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) return "(log file is empty)";
  return lines.slice(-count).join("\n");
}

/** "Last N lines of LOG:" block for error messages, indented so it reads as a quote. */
export function quoteLogTail(logFile: string, count = 20): string {
  const tail = readLogTail(logFile, count)
    .split("\n")
    .map((line) => `  | ${line}`)
    .join("\n");
  return `Last lines of ${logFile}:\n${tail}\nFull log: ${logFile}`;
}
