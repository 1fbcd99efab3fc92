// `spark: "match"` / `--spark match` / SPARK_AUTOBUNDLE_SPARK=match: the embedded server runs the Spark line
// of the cluster the project deploys to, read from that cluster's own answer, so code tested locally runs on
// the Spark it will meet there.
import { ConnectionStringError, credentialHeaders, resolveRemote, type ConnectionConfig } from "../connect/rpc/connection.js";
import { classifyTlsFailure, GrpcCode, SparkConnectError } from "../connect/errors.js";
import { defaultRetryPolicy } from "../connect/rpc/retry.js";
import { ENV } from "./constants.js";
import { LocalServerError } from "./errors.js";
import type { LocalServerOptions } from "./options.js";
import { DEFAULT_SPARK_LINE, parseSparkLine, SPARK_LINE_CHOICES, type SparkLine } from "./provision/spark-lines.js";

/** The value of `spark` (or SPARK_AUTOBUNDLE_SPARK) that means "the remote's line". */
export const MATCH = "match";

export interface MatchedLine {
  /** The line the embedded server runs for it. */
  line: SparkLine;
  /** What the remote reported, e.g. "4.2.1" or "3.5.1-databricks". */
  version: string;
  /** The remote's URL with its token and other secrets redacted. */
  remote: string;
}

export interface MatchOptions {
  /** Where SPARK_REMOTE is read when no remote is given; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How "match" was asked for, for messages: `--spark match`, `SPARK_AUTOBUNDLE_SPARK=match`; default `spark "match"`. */
  askedBy?: string;
}

/**
 * Why a line could not be matched. `no-remote` and `unsupported-line` are settings to change; `unreachable`
 * means the remote did not tell its version (down, wrong address, refused the credentials).
 */
export type MatchFailure = "no-remote" | "unreachable" | "unsupported-line";

export class SparkLineMatchError extends LocalServerError {
  override name = "SparkLineMatchError";
  constructor(
    readonly reason: MatchFailure,
    /** The cause alone, one sentence or two. */
    readonly problem: string,
    readonly fix: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${problem}\nFix: ${fix}`, options);
  }
}

const NAME_A_LINE = `or name the line instead of "match" (one of ${SPARK_LINE_CHOICES}: --spark <line>, spark: "<line>" or ${ENV.spark}=<line>)`;

/** Whether these options ask for the remote's line: the option, else SPARK_AUTOBUNDLE_SPARK. */
export function wantsMatch(options: Pick<LocalServerOptions, "spark" | "env">): boolean {
  if (options.spark !== undefined) return options.spark === MATCH;
  return (options.env ?? process.env)[ENV.spark]?.trim().toLowerCase() === MATCH;
}

/**
 * The options with "match" replaced by the remote's line (one round trip to it); unchanged when they name a
 * line or none. Every entry point runs this before anything reads the line (resolveOptions is synchronous).
 */
export async function resolveMatch<T extends Pick<LocalServerOptions, "spark" | "env" | "matchRemote">>(
  options: T,
): Promise<{ options: Omit<T, "spark"> & { spark?: SparkLine }; matched?: MatchedLine }> {
  if (!wantsMatch(options)) return { options: options as Omit<T, "spark"> & { spark?: SparkLine } };
  const askedBy = options.spark === MATCH ? `spark "${MATCH}"` : `${ENV.spark}=${MATCH}`;
  const matched = await matchRemoteLine(options.matchRemote, { env: options.env, askedBy });
  return { options: { ...options, spark: matched.line }, matched };
}

/**
 * Reads the Spark version of the server `remote` (default `$SPARK_REMOTE`) names and returns the line the
 * embedded server runs for it. Goes through the client itself, so any sc:// URL works: TLS, tokens, headers.
 */
export async function matchRemoteLine(remote?: string, options: MatchOptions = {}): Promise<MatchedLine> {
  const env = options.env ?? process.env;
  const askedBy = options.askedBy ?? `spark "${MATCH}"`;
  const given = remote?.trim() || undefined;
  const source = given ? "the remote to match" : "SPARK_REMOTE";
  const value = given ?? env.SPARK_REMOTE?.trim();
  const remoteFix = `set SPARK_REMOTE to the cluster's URL (sc://host:15002/;token=...) or pass it (--remote, matchRemote), ${NAME_A_LINE}`;
  if (!value) {
    throw new SparkLineMatchError("no-remote", `${askedBy} starts the Spark line of the cluster SPARK_REMOTE names, but no remote was given and SPARK_REMOTE is not set.`, remoteFix);
  }
  // Validates the URL (a ConnectionStringError names the problem, redacted) and tells "local" apart.
  const resolved = resolveRemote(given, env);
  if (resolved.kind === "local") {
    throw new SparkLineMatchError("no-remote", `${askedBy} needs a remote cluster to match, but ${source} is "${value}": the embedded server itself.`, remoteFix);
  }
  const version = await remoteVersion(value, resolved.config, askedBy);
  return { line: lineOfRemote(version, resolved.config.url), version, remote: resolved.config.url };
}

async function remoteVersion(url: string, config: ConnectionConfig, askedBy: string): Promise<string> {
  // Loaded here: the DataFrame client is only needed when a line is matched.
  const { SparkSession } = await import("../connect/session.js");
  let session;
  try {
    // Fewer retries than a job's: a remote that is down should be reported in a second, not after 30.
    session = await SparkSession.builder().remote(url).retryPolicy({ ...defaultRetryPolicy, maxRetries: 2 }).create();
  } catch (error) {
    // A malformed URL or a token over plaintext: the URL's problem, already named with its fix.
    if (error instanceof ConnectionStringError || !(error instanceof SparkConnectError)) throw error;
    const first = redactSecrets(error.message.split("\n")[0]!, config);
    const cause = first.includes(config.url) ? first : `${first} (${config.url})`;
    // The client's own fix for a server it cannot reach is about the embedded server; this one is a cluster.
    const unreachable = error.grpcCode === GrpcCode.UNAVAILABLE && classifyTlsFailure(error.message) === undefined;
    const fix = unreachable
      ? "check that the server runs and that the URL's host and port are right"
      : error.grpcCode === GrpcCode.UNAUTHENTICATED
        ? "check the URL's token (sc://host:port/;token=...)"
        : (error.fix ?? "check the URL and that the server runs").replace(/\.$/, "");
    throw new SparkLineMatchError("unreachable", `${askedBy} could not read the remote's Spark version: ${cause}`, `${fix}; ${NAME_A_LINE}.`, { cause: error });
  }
  try {
    return session.version;
  } finally {
    await session.stop().catch(() => undefined);
  }
}

/** The line of a version a remote reported; `shown` is its redacted URL, for the message. */
export function lineOfRemote(version: string, shown: string): SparkLine {
  try {
    return parseSparkLine(version);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new SparkLineMatchError(
      "unsupported-line",
      `The server at ${shown} runs Spark ${version}, a line the embedded server does not run (it runs ${SPARK_LINE_CHOICES}).`,
      `name the nearest line yourself instead of "match": --spark <line>, spark: "<line>" or ${ENV.spark}=<line> (default ${DEFAULT_SPARK_LINE}).`,
      { cause: error },
    );
  }
}

/** The client's messages show redacted URLs already; this also covers a secret a server echoed back. */
function redactSecrets(text: string, config: ConnectionConfig): string {
  const secrets = [config.token, ...credentialHeaders(config).map((name) => config.headers[name])].filter((s): s is string => typeof s === "string" && s.length >= 4);
  return secrets.reduce((out, secret) => out.split(secret).join("<redacted>"), text);
}
