// The CLI's exit codes, defined once: main maps thrown errors here, help and docs/cli.md print them.
import { BundleError } from "../bundle/errors.js";
import { ConnectionStringError } from "../connect/rpc/connection.js";
import { GrpcCode, SparkConnectError } from "../connect/errors.js";
import { HealthCheckError } from "../server/process/health.js";
import { LocalServerError } from "../server/errors.js";
import { UsageError } from "./command.js";

export const ExitCode = {
  /** Done; for `doctor`, no check failed (warnings allowed). */
  OK: 0,
  /** The verb failed: a doctor check failed, `server status` found no server, or an unexpected error. */
  FAILURE: 1,
  /** Bad command line or setting: unknown verb/option, missing or malformed --remote / SPARK_REMOTE. */
  USAGE: 2,
  /** No Spark Connect server: unreachable, refused the credentials, or the embedded one could not start. */
  UNREACHABLE: 3,
  /** The project cannot be bundled (no root, bad config, file too large, unreadable file, …). */
  BUNDLE: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** For --help and docs. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success (doctor: no check failed)
  1  failure (doctor: a check failed; server status: not running; unexpected error)
  2  usage error (bad option or argument, missing/invalid --remote or SPARK_REMOTE)
  3  cannot connect (server unreachable, credentials refused, embedded server failed to start)
  4  bundle error (no project root, bad config, file too large, unreadable file, cache dir unusable)`;

const CONNECT_FAILURES = new Set<number>([GrpcCode.UNAVAILABLE, GrpcCode.DEADLINE_EXCEEDED, GrpcCode.UNAUTHENTICATED]);

/** The exit code for an error that ended a verb. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof UsageError || error instanceof ConnectionStringError) return ExitCode.USAGE;
  if (error instanceof BundleError) return ExitCode.BUNDLE;
  if (error instanceof LocalServerError || error instanceof HealthCheckError) return ExitCode.UNREACHABLE;
  if (error instanceof SparkConnectError && error.grpcCode !== undefined && CONNECT_FAILURES.has(error.grpcCode)) {
    return ExitCode.UNREACHABLE;
  }
  return ExitCode.FAILURE;
}

/** True for the errors whose message already says cause and fix, so no stack trace is printed. */
export function isExpectedError(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof BundleError ||
    error instanceof SparkConnectError ||
    error instanceof LocalServerError ||
    error instanceof HealthCheckError
  );
}
