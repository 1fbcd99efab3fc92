// Output conventions shared by every verb: JSON on stdout with --json, colour only where it belongs.
import { BundleError } from "../bundle/errors.js";
import { type WarningEvent } from "../bundle/events.js";
import { SparkConnectError } from "../connect/errors.js";
import { LocalServerError } from "../server/errors.js";
import type { CliContext } from "./command.js";

/** A stream that may be a terminal (process.stdout/stderr, or a test's fake TTY). */
type MaybeTty = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as MaybeTty).isTTY === true;
}

export function columnsOf(stream: NodeJS.WritableStream): number | undefined {
  const columns = (stream as MaybeTty).columns;
  return typeof columns === "number" && columns > 0 ? columns : undefined;
}

/**
 * Colour on a terminal only, as https://no-color.org and the FORCE_COLOR convention say:
 * FORCE_COLOR (anything but "0"/"false") forces it on, a non-empty NO_COLOR or TERM=dumb turns it off.
 * FORCE_COLOR wins over NO_COLOR, as in Node itself.
 */
export function colourEnabled(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return isTty(stream);
}

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const COLOURED: Style = { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), yellow: sgr(33, 39), red: sgr(31, 39), cyan: sgr(36, 39) };
const identity = (text: string) => text;
const PLAIN: Style = { bold: identity, dim: identity, green: identity, yellow: identity, red: identity, cyan: identity };

/** The style for one stream; `json` turns colour off everywhere (machine output). */
export function styleFor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv, json = false): Style {
  return !json && colourEnabled(stream, env) ? COLOURED : PLAIN;
}

/**
 * One JSON document on one line of stdout: the whole --json output of a verb, or one event of
 * `watch --json` (JSON Lines), so an error report fits either.
 */
export function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value)}\n`);
}

export interface ErrorJson {
  name: string;
  /** BundleError code, Spark error class, … when there is one. */
  code?: string;
  message: string;
  fix?: string;
  logFile?: string;
}

/** The `error` member of a failed verb's JSON: `{ ok: false, exitCode, error }`. */
export function errorJson(error: unknown): ErrorJson {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const out: ErrorJson = { name: error.name, message: error.message };
  if (error instanceof BundleError) out.code = error.code;
  if (error instanceof SparkConnectError) {
    if (error.errorClass !== undefined) out.code = error.errorClass;
    if (error.fix !== undefined) out.fix = error.fix;
  }
  if (error instanceof LocalServerError && error.logFile !== undefined) out.logFile = error.logFile;
  return out;
}


/** Bundle warnings as the JSON of every verb shows them. */
export function warningsJson(warnings: readonly WarningEvent[]) {
  return warnings.map(({ code, message, path }) => ({ code, message, ...(path !== undefined ? { path } : {}) }));
}

/** Bundle warnings for people: one "warning:" line each on stderr. */
export function printWarnings(warnings: readonly WarningEvent[], context: CliContext): void {
  const style = styleFor(context.stderr, context.env);
  for (const warning of warnings) context.stderr.write(`${style.yellow("warning:")} ${warning.message}\n`);
}
