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

/** Java stack traces push the real cause out of the tail; this finds the first error and the line after it. */
export function firstErrorLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const index = lines.findIndex((line) => /\b(ERROR|FATAL)\b|^(Exception|Error)\b|^[\w.$]+(Exception|Error):/.test(line));
  return index < 0 ? [] : lines.slice(index, index + 2).filter((line) => line.trim() !== "");
}

/** "Last N lines of LOG:" block for error messages, indented so it reads as a quote, led by the first error. */
export function quoteLogTail(logFile: string, count = 20): string {
  const tail = readLogTail(logFile, count);
  const quote = (lines: string[]) => lines.map((line) => `  | ${line}`).join("\n");
  const parts: string[] = [];
  const firstError = fs.existsSync(logFile) ? firstErrorLines(fs.readFileSync(logFile, "utf8")) : [];
  if (firstError.length > 0 && !tail.includes(firstError[0]!)) {
    parts.push(`First error in the log:\n${quote(firstError)}`);
  }
  parts.push(`Last lines of ${logFile}:\n${quote(tail.split("\n"))}`, `Full log: ${logFile}`);
  return parts.join("\n");
}
