import { pathToFileURL } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { ErrorInfoSchema, StatusSchema } from "../gen/google/rpc/status_pb.js";
import type { FetchErrorDetailsResponse } from "../gen/spark/connect/base_pb.js";
import { formatPythonFailure, hasPythonTraceback, registeredBundles } from "./python-traceback.js";
import { debugEnabled } from "../shared/debug.js";
import { ownCodeDirectories } from "../shared/package-root.js";

/** gRPC status codes we name in code; the numbers are gRPC's. */
export const GrpcCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Where `errorClass` came from: Spark's error details ("server"), or the message's `[CLASS]` prefix ("message", Spark 3.5). */
export type ErrorClassSource = "server" | "message";

export interface SparkConnectErrorFields {
  errorClass?: string;
  /** Set for classes Spark named; absent for the client's own (SESSION_STOPPED, ARTIFACT_DAMAGED, ...). */
  errorClassSource?: ErrorClassSource;
  sqlState?: string;
  messageParameters?: Record<string, string>;
  grpcCode?: number;
  /** Exception class names, most specific first (e.g. org.apache.spark.sql.AnalysisException). */
  exceptionClasses?: string[];
  serverStackTrace?: string;
  /** A Python worker's traceback as the server sent it. */
  pythonTraceback?: string;
  /** What the user can do about it, when we know. */
  fix?: string;
  cause?: unknown;
}

/**
 * The one error type of the client. Its fields come from Spark's structured
 * error details (the ErrorInfo trailer and FetchErrorDetails); only a server that sends no error
 * class (3.5) has `errorClass` read from its message's documented `[CLASS]` prefix (errorClassSource).
 *
 * It prints short (util.inspect, console.error, an uncaught throw, vitest): the message (for a Python
 * worker's failure: the exception, then the traceback pointed at the project's files) and the JS stack,
 * plus errorClass/sqlState when set. The JVM stack, the raw traceback and the gRPC error that carried it
 * all stay reachable as non-enumerable properties, never printed by default. The JS stack starts at
 * the caller's code (see startStackAtCaller).
 */
export class SparkConnectError extends Error {
  override name = "SparkConnectError";
  declare readonly errorClass?: string;
  /**
   * "server": Spark sent the class in its error details (4.x). "message": read from the `[CLASS]` or
   * `[CLASS.SUB]` prefix Spark puts on its messages, for servers that send no class (3.5). Absent for
   * the client's own classes.
   */
  declare readonly errorClassSource?: ErrorClassSource;
  declare readonly sqlState?: string;
  declare readonly messageParameters: Record<string, string>;
  declare readonly grpcCode?: number;
  declare readonly exceptionClasses: string[];
  /** What the user can do about it, when we know (also the message's last line). */
  declare readonly fix?: string;
  /** The JVM stack trace ("\tat org.apache…" lines), when the server sent one. */
  declare readonly serverStackTrace?: string;
  /** A Python worker's traceback exactly as the server sent it (worker temp paths and all). */
  declare readonly pythonTraceback?: string;
  /** The grpc-js error the failure arrived as: its trailer bytes repeat the message, so it is not the `cause`. */
  declare readonly grpcError?: unknown;

  constructor(message: string, fields: SparkConnectErrorFields = {}) {
    const grpc = isGrpcServiceError(fields.cause) ? fields.cause : undefined;
    const cause = grpc === undefined ? fields.cause : undefined;
    super(fields.fix ? `${message}\n${fields.fix}` : message, cause === undefined ? undefined : { cause });
    // Node prints an uncaught error's enumerable fields with no regard for inspect.custom: only the two
    // that say what the message may not (and only when set) are enumerable.
    field(this, "errorClass", fields.errorClass, fields.errorClass !== undefined);
    field(this, "errorClassSource", fields.errorClass === undefined ? undefined : fields.errorClassSource);
    field(this, "sqlState", fields.sqlState, fields.sqlState !== undefined);
    field(this, "messageParameters", fields.messageParameters ?? {});
    field(this, "grpcCode", fields.grpcCode);
    field(this, "exceptionClasses", fields.exceptionClasses ?? []);
    field(this, "fix", fields.fix);
    field(this, "serverStackTrace", fields.serverStackTrace);
    field(this, "pythonTraceback", fields.pythonTraceback);
    field(this, "grpcError", grpc);
    // A subclass names itself after this constructor returns, too late for a stack formatted here; its
    // errors (bad connection settings) are thrown at the caller's own call anyway.
    if (new.target === SparkConnectError) startStackAtCaller(this);
  }

  /** What Node prints (console.error, util.inspect, an uncaught throw): the stack, the class, the cause. */
  [Symbol.for("nodejs.util.inspect.custom")](depth: number, options: InspectOptionsStylized, inspect: (value: unknown, options?: unknown) => string): string {
    const shown = this.shownFields();
    let text = this.stack ?? `${this.name}: ${this.message}`;
    if (Object.keys(shown).length > 0) text += ` ${inspect(shown, { ...options, depth: 1 })}`;
    if (this.cause !== undefined && depth >= 0) text += `\n[cause]: ${inspect(this.cause, { ...options, depth: depth - 1 }).replaceAll("\n", "\n  ")}`;
    return text;
  }

  /**
   * What JSON.stringify, and vitest sending an error from its worker, see: vitest prints every field it
   * gets as "Serialized Error", so only the few that say something the message doesn't.
   */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, stack: this.stack, ...this.shownFields() };
  }

  private shownFields(): Record<string, string> {
    const shown: Record<string, string> = {};
    if (this.errorClass !== undefined) shown.errorClass = this.errorClass;
    if (this.sqlState !== undefined) shown.sqlState = this.sqlState;
    return shown;
  }
}

interface InspectOptionsStylized {
  depth?: number | null;
}

function field(error: SparkConnectError, key: string, value: unknown, enumerable = false): void {
  Object.defineProperty(error, key, { value, enumerable, writable: false, configurable: true });
}

// The library's own folders (src/ when run from source, dist/ when installed), as stack frames show them:
// a path (CommonJS-style loaders, vitest) or a file: URL (Node's ESM).
const LIBRARY_PATHS = ownCodeDirectories().flatMap((dir) => [dir, pathToFileURL(dir).href]);
/** Deeper than any chain of the library's own async frames, so the caller's are always reached. */
const STACK_FRAMES = 64;

/**
 * Makes err.stack start at the caller's code: the frame that called the action (`await df.collect()`
 * in a test) is where vitest draws its code frame and what a terminal links. An action's error is
 * built some ten frames deep in the library (the gRPC stream, the reattach loop, the session), past
 * V8's default limit of 10, so without this the caller's frame is never in the stack at all. The
 * library's frames (and Node's internal ones) before the first frame outside it are dropped, and as
 * many frames as Error.stackTraceLimit asks for are kept from there. With debug logging on
 * (NODE_DEBUG=spark-autobundle) every captured frame is kept, the library's too.
 */
function startStackAtCaller(error: SparkConnectError): void {
  const limit = Error.stackTraceLimit;
  // 0 means the program wants no stacks: left alone.
  if (typeof limit !== "number" || limit <= 0) return;
  if (limit < STACK_FRAMES) {
    Error.stackTraceLimit = STACK_FRAMES;
    Error.captureStackTrace(error, SparkConnectError);
    Error.stackTraceLimit = limit;
  }
  if (debugEnabled()) return;
  const trimmed = callerStack(error.stack, error.message ? `${error.name}: ${error.message}` : error.name, LIBRARY_PATHS, limit);
  if (trimmed !== undefined) error.stack = trimmed;
}

/**
 * `stack` without the frames before the first one outside `libraryPaths` (Node's internal frames and
 * `<anonymous>` ones count as the library's), then at most `limit` frames, as many as the program
 * asked for (Error.stackTraceLimit). A stack with no frame outside the library keeps its first
 * `limit`. Undefined when that changes nothing.
 */
export function callerStack(stack: string | undefined, header: string, libraryPaths: readonly string[], limit: number): string | undefined {
  if (stack === undefined || !stack.startsWith(`${header}\n`)) return undefined;
  const frames = stack.slice(header.length + 1).split("\n");
  const ours = (frame: string) => libraryPaths.some((path) => frame.includes(path)) || /\(?node:internal[/:]|\(<anonymous>\)$|^\s*at <anonymous>$/.test(frame);
  const start = Math.max(0, frames.findIndex((frame) => !ours(frame)));
  const kept = frames.slice(start, start + limit);
  return kept.length === frames.length ? undefined : `${header}\n${kept.join("\n")}`;
}

/** A grpc-js ServiceError (a status code and Metadata), as opposed to one of our own errors or a Node error. */
function isGrpcServiceError(value: unknown): boolean {
  if (value === null || typeof value !== "object" || value instanceof SparkConnectError) return false;
  const v = value as { code?: unknown; metadata?: { get?: unknown } };
  return typeof v.code === "number" && typeof v.metadata?.get === "function";
}

/** The parts of a grpc-js ServiceError we read, so tests can build one by hand. */
export interface GrpcErrorLike {
  code?: number;
  details?: string;
  message?: string;
  metadata?: { get(key: string): Array<string | Buffer> };
}

export interface ErrorInfoFields {
  reason: string;
  errorClass?: string;
  sqlState?: string;
  messageParameters?: Record<string, string>;
  errorId?: string;
  exceptionClasses: string[];
  stackTrace?: string;
}

/** Reads Spark's google.rpc.ErrorInfo from the "grpc-status-details-bin" trailer. */
export function readErrorInfo(err: GrpcErrorLike): ErrorInfoFields | undefined {
  const raw = err.metadata?.get("grpc-status-details-bin")?.[0];
  if (raw === undefined || typeof raw === "string") return undefined;
  const status = fromBinary(StatusSchema, raw);
  const detail = status.details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo"));
  if (!detail) return undefined;
  const info = fromBinary(ErrorInfoSchema, detail.value);
  const meta = info.metadata;
  return {
    reason: info.reason,
    errorClass: meta.errorClass || undefined,
    sqlState: meta.sqlState || undefined,
    messageParameters: meta.messageParameters ? parseJsonObject(meta.messageParameters) : undefined,
    errorId: meta.errorId || undefined,
    exceptionClasses: meta.classes ? parseJsonArray(meta.classes) : info.reason ? [info.reason] : [],
    stackTrace: meta.stackTrace || undefined,
  };
}

function parseJsonObject(text: string): Record<string, string> {
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function parseJsonArray(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.map(String) : [];
}

/** Builds the error (with its server-side cause chain) from a FetchErrorDetails answer. */
export function errorFromDetails(
  details: FetchErrorDetailsResponse,
  grpcCode: number | undefined,
  cause?: unknown,
): SparkConnectError | undefined {
  if (details.rootErrorIdx === undefined) return undefined;
  const build = (idx: number, depth: number): SparkConnectError => {
    const e = details.errors[idx]!;
    const inner = e.causeIdx !== undefined && depth < 32 ? build(e.causeIdx, depth + 1) : cause;
    const trace = e.stackTrace.length
      ? e.stackTrace.map((s) => `\tat ${s.declaringClass}.${s.methodName}(${s.fileName ?? "Unknown Source"}:${s.lineNumber})`).join("\n")
      : undefined;
    return new SparkConnectError(describe(e.errorTypeHierarchy[0], e.message), {
      pythonTraceback: hasPythonTraceback(e.message) ? e.message : undefined,
      ...errorClassOf(e.sparkThrowable?.errorClass, e.message),
      sqlState: e.sparkThrowable?.sqlState,
      messageParameters: e.sparkThrowable ? { ...e.sparkThrowable.messageParameters } : {},
      grpcCode,
      exceptionClasses: e.errorTypeHierarchy,
      serverStackTrace: trace,
      cause: inner,
    });
  };
  return build(details.rootErrorIdx, 0);
}

/** Builds the error from the trailer alone (no FetchErrorDetails available). */
export function errorFromGrpc(err: GrpcErrorLike, info: ErrorInfoFields | undefined): SparkConnectError {
  if (!err.details && !info) {
    // grpc-js's own text for an empty status is just "2 UNKNOWN: ": say what happened instead. Spark 3.5
    // answers a refused AddArtifacts like this (measured on 3.5.7: no details, no error class).
    const code = Object.entries(GrpcCode).find(([, n]) => n === err.code)?.[0] ?? String(err.code ?? "?");
    return new SparkConnectError(`The Spark Connect server failed the call without saying why (gRPC ${code}).`, {
      grpcCode: err.code,
      fix: "The server's log names the exception (for the embedded server: spark-autobundle server status shows the log's path).",
      cause: err,
    });
  }
  const message = err.details || err.message || "Spark Connect call failed";
  const tooLarge = /^Received message larger than max \((\d+) vs\.? (\d+)\)/.exec(message);
  if (err.code === GrpcCode.RESOURCE_EXHAUSTED && tooLarge) {
    // grpc-js's own words name no setting; this client's limit is the connection string's.
    return new SparkConnectError(`The server sent a message of ${tooLarge[1]} bytes, over this client's limit of ${tooLarge[2]} bytes.`, {
      grpcCode: err.code,
      fix: `Raise the limit with ";grpc_max_message_size=<bytes>" in the sc:// URL (the default is 134217728), or fetch less per row.`,
      cause: err,
    });
  }
  // No trailer at all: a traceback in the text still says a Python worker failed.
  const exceptionClass = info ? (info.exceptionClasses[0] ?? info.reason) : hasPythonTraceback(message) ? "PythonException" : undefined;
  return new SparkConnectError(describe(exceptionClass, message), {
    pythonTraceback: hasPythonTraceback(message) ? message : undefined,
    ...errorClassOf(info?.errorClass, message),
    sqlState: info?.sqlState,
    messageParameters: info?.messageParameters,
    grpcCode: err.code,
    exceptionClasses: info?.exceptionClasses,
    serverStackTrace: info?.stackTrace,
    cause: err,
  });
}

/** The server's error class, else the one the message's prefix names. */
function errorClassOf(serverClass: string | undefined, message: string): Pick<SparkConnectErrorFields, "errorClass" | "errorClassSource"> {
  if (serverClass) return { errorClass: serverClass, errorClassSource: "server" };
  const fromMessage = errorClassFromMessage(message);
  return fromMessage === undefined ? {} : { errorClass: fromMessage, errorClassSource: "message" };
}

/**
 * The error class a Spark message starts with: "[DIVIDE_BY_ZERO] Division by zero..." → "DIVIDE_BY_ZERO",
 * "[UNRESOLVED_COLUMN.WITH_SUGGESTION] ..." → that; Spark's documented format (error classes are upper
 * case, digits and underscores, "_LEGACY_ERROR_TEMP_1234" included; a sub-class follows a dot).
 */
export function errorClassFromMessage(message: string): string | undefined {
  return /^\[(_?[A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\](?: |$)/m.exec(message.trimStart().split("\n", 1)[0]!)?.[1];
}

// Spark's messages already start with "[ERROR_CLASS] ..."; prefixing the short
// exception name tells Python/analysis/runtime failures apart at a glance.
// A Python worker's failure leads with the Python exception and the project's own frames
// (python-traceback.ts); any other message only gets frames of a shipped zip pointed at the project.
function describe(exceptionClass: string | undefined, raw: string): string {
  const message = formatPythonFailure(raw, registeredBundles);
  if (!exceptionClass) return message;
  const short = exceptionClass.slice(exceptionClass.lastIndexOf(".") + 1);
  return message.startsWith(short) ? message : `${short}: ${message}`;
}

/** The server no longer has this client's session (a restart, an expiry): Spark's error class, which the session layer also raises. */
export const SESSION_CHANGED = "INVALID_HANDLE.SESSION_CHANGED";

/** Spark's answer to a call about a session it doesn't hold (and that call doesn't create one). */
export const SESSION_NOT_FOUND = "INVALID_HANDLE.SESSION_NOT_FOUND";

export function isSessionChanged(err: unknown): err is SparkConnectError {
  return err instanceof SparkConnectError && err.errorClass === SESSION_CHANGED;
}

/**
 * Spark 4.x keeps a tombstone of every session it closed (released by ReleaseSession or expired after
 * idling) and refuses that id from then on: it is never reopened.
 */
export const SESSION_CLOSED = "INVALID_HANDLE.SESSION_CLOSED";

export function isSessionClosed(err: unknown): err is SparkConnectError {
  return err instanceof SparkConnectError && err.errorClass === SESSION_CLOSED;
}

/** The error for joining a closed session by its id, naming why it is closed and what to do instead. */
export function sessionClosedError(sessionId: string, cause: SparkConnectError, fix: string): SparkConnectError {
  return new SparkConnectError(
    `Session ${sessionId} is closed on the server: it was released (by an earlier run's exit or a script's spark.stop()) or expired after idling, and Spark never reopens a closed session id.`,
    { errorClass: SESSION_CLOSED, sqlState: cause.sqlState, grpcCode: cause.grpcCode, exceptionClasses: cause.exceptionClasses, fix, cause },
  );
}

/** Ours, not Spark's: the call was made on, or cut short by, SparkSession.stop(). */
export const SESSION_STOPPED = "SESSION_STOPPED";

/**
 * The error for an UNAVAILABLE call with no server error details: "cannot reach" in general, but a
 * failed TLS handshake is named as such, since its fix is never "start a server". grpc-js reports
 * handshake failures only as text (OpenSSL's, or Node's certificate check), so the text is classified.
 */
export function unavailableError(displayUrl: string, err: Error & { code?: number; details?: string }, unreachableFix: string): SparkConnectError {
  const detail = err.details || err.message;
  const tls = classifyTlsFailure(detail);
  const fields = { grpcCode: err.code, cause: err };
  if (tls === undefined) return new SparkConnectError(`Cannot reach the Spark Connect server at ${displayUrl} (${detail}).`, { ...fields, fix: unreachableFix });
  const host = /^sc:\/\/(\[[^\]]*\]|[^:/;]*)/.exec(displayUrl)?.[1] ?? "the host";
  const head = `The TLS handshake with the Spark Connect server at ${displayUrl} failed: `;
  switch (tls) {
    case "plaintext":
      return new SparkConnectError(`${head}the server does not speak TLS (plaintext) on that port (${detail}).`, {
        ...fields,
        fix: 'Connect without TLS: add ";use_ssl=false" to the URL, or drop ";use_ssl=true" (a token turns TLS on by itself; without TLS a token may only go to a loopback host). Or check the port: it may belong to another service.',
      });
    case "hostname":
      return new SparkConnectError(`${head}its certificate does not match the host "${host}" (${detail}).`, {
        ...fields,
        fix: `Connect with the host name the certificate names (see its subjectAltName: \`openssl s_client -connect <host:port> </dev/null | openssl x509 -noout -ext subjectAltName\`), or have the server's certificate reissued for "${host}".`,
      });
    case "untrusted":
      return new SparkConnectError(`${head}the server's certificate is not trusted (${/self[- ]signed/i.test(detail) ? "self-signed" : "signed by an unknown CA"}: ${detail}).`, {
        ...fields,
        fix: "Trust the CA that signed it: SparkSession.builder().tlsCaCertificate(\"/path/to/ca.pem\") (the caCertificate of the connection), or add it to Node's roots with NODE_EXTRA_CA_CERTS=/path/to/ca.pem.",
      });
  }
}

/** What kind of TLS failure the text of a connection error shows, if any. */
export function classifyTlsFailure(text: string): "plaintext" | "hostname" | "untrusted" | undefined {
  if (/wrong version number|packet length too long|http request|unknown protocol/i.test(text)) return "plaintext";
  if (/altnames|hostname\/ip does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text)) return "hostname";
  if (/self[- ]signed certificate|unable to (get local issuer|verify the first) certificate|unable to get issuer certificate|certificate signature failure|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i.test(text)) return "untrusted";
  return undefined;
}
