import { BlockList, isIPv4, isIPv6 } from "node:net";
import { SparkConnectError } from "../errors.js";

/**
 * Spark Connect connection strings, following Spark's spec
 * (sql/connect/docs/client-connection-string.md) and pyspark's ChannelBuilder:
 *   sc://host:port/;key=value;key=value
 * Deliberate differences from pyspark, all stricter or clearer, never a different meaning:
 * duplicate keys, bad booleans and keys differing from a known one only in case are errors;
 * a value may contain a raw "=" (split at the first one); empty ";;" segments are skipped.
 */

export const DEFAULT_PORT = 15002;
const MAX_INT32 = 2 ** 31 - 1;
const EXAMPLE = "sc://spark.example.com:15002/;use_ssl=true;token=<token>";
const KNOWN_KEYS = ["token", "use_ssl", "user_id", "user_agent", "session_id", "grpc_max_message_size"] as const;
type KnownKey = (typeof KNOWN_KEYS)[number];
// Headers gRPC or HTTP/2 set themselves; a URL parameter must not override them.
const RESERVED_HEADERS = new Set(["user-agent", "content-type", "te", "host"]);
const SECRET_KEY = /token|secret|password|passwd|pwd|auth|api[-_]?key|access[-_]?key|session[-_]?key|private[-_]?key|credential|cookie/i;

/** URL headers that carry a credential: redacted when shown, and held to the token's transport rule. */
export function credentialHeaders(config: Pick<ConnectionConfig, "headers">): string[] {
  return Object.keys(config.headers).filter((name) => SECRET_KEY.test(name));
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export interface ConnectionConfig {
  host: string;
  port: number;
  useSsl: boolean;
  token?: string;
  userId?: string;
  userAgent?: string;
  sessionId?: string;
  grpcMaxMessageSize?: number;
  /** Every parameter that is not a known key, sent as gRPC metadata; names lower-cased. */
  headers: Record<string, string>;
  /** The URL with secrets replaced by <redacted>: safe to log. */
  url: string;
}

/** `cores` is absent for plain "local": the embedded server as it runs (all cores when one is started). */
export type ResolvedRemote = { kind: "local"; cores?: number | "*" } | { kind: "remote"; config: ConnectionConfig };

/** A bad connection string or remote setting. `url` is always redacted. */
export class ConnectionStringError extends SparkConnectError {
  override name = "ConnectionStringError";
  override readonly fix: string;
  readonly problem: string;
  readonly url: string;

  constructor(rawUrl: string, problem: string, fix: string, options?: { cause?: unknown }) {
    super(`${problem}\nFix: ${fix}`, { cause: options?.cause });
    this.problem = problem;
    this.fix = fix;
    this.url = redactUrl(rawUrl);
  }
}

/** Replaces secret-looking parameter values (and any user:password@) with <redacted>. */
export function redactUrl(url: string): string {
  // A token with a raw "#" would otherwise leave its tail in the fragment.
  const withoutUserInfo = url.replace(/^([^:/;]*:\/\/)[^/;?#]*@/, "$1<redacted>@").replace(/#[\s\S]*$/, "#<redacted>");
  return withoutUserInfo.replace(/([;?&])([^;?&#]*)/g, (segment, sep: string, body: string) => {
    const eq = body.indexOf("=");
    if (eq < 0) return (KNOWN_KEYS as readonly string[]).includes(body) || body === "" ? segment : `${sep}<redacted>`;
    const key = body.slice(0, eq);
    return SECRET_KEY.test(safeDecode(key) ?? key) ? `${sep}${key}=<redacted>` : segment;
  });
}

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** True for localhost, 127.0.0.0/8 and ::1 (in any spelling, including IPv4-mapped ::ffff:127.x.y.z). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (h === "localhost" || h === "localhost.") return true;
  if (isIPv4(h)) return loopback.check(h, "ipv4");
  if (isIPv6(h)) return loopback.check(h, "ipv6");
  return false;
}

/**
 * Our transport rule: a bearer token (or an authorization header) never travels in plaintext
 * except to a loopback address. Spark 4 lets local connections carry the token without TLS; for
 * anything else Spark says "setting a token enables SSL".
 */
export function assertTokenTransportAllowed(config: ConnectionConfig): void {
  const headers = credentialHeaders(config);
  const hasCredential = config.token !== undefined || headers.length > 0;
  if (config.useSsl || !hasCredential || isLoopbackHost(config.host)) return;
  // An x-api-key or password header is as much a secret as the token: same rule, named as what it is.
  const what = config.token !== undefined || headers.includes("authorization") ? "a bearer token" : `the "${headers[0]}" header`;
  throw new ConnectionStringError(
    config.url,
    `Invalid Spark Connect URL "${config.url}": refusing to send ${what} over a plaintext (use_ssl=false) ` +
      `connection to "${config.host}"; without TLS only loopback hosts (localhost, 127.0.0.0/8, ::1) may receive a token or credential header.`,
    `if the server speaks TLS, drop ";use_ssl=false" (a token turns TLS on) or set ";use_ssl=true". ` +
      `If it does not, open an SSH tunnel (ssh -N -L 15002:localhost:${config.port} <user>@${config.host}) ` +
      `and connect to sc://localhost:15002/;token=<token> instead.`,
  );
}

export function parseConnectionString(url: string): ConnectionConfig {
  const raw = url.trim();
  const fail = (problem: string, fix: string): ConnectionStringError =>
    new ConnectionStringError(raw, `Invalid Spark Connect URL "${redactUrl(raw)}": ${problem}`, fix);

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw);
  if (!scheme) {
    const looksLikeHost = /^[A-Za-z0-9_.[\]:-]+$/.test(raw);
    throw fail('it does not start with "sc://".', `${looksLikeHost ? `write sc://${raw}. General form: ` : "write it as "}${EXAMPLE}, or "local" for the embedded server.`);
  }
  if (scheme[1] !== "sc") throw fail(`the scheme is "${scheme[1]}://", but Spark Connect URLs use "sc://".`, schemeFix(scheme[1]!));

  const rest = raw.slice(scheme[0].length);
  if (/[?#]/.test(rest)) {
    throw fail('it contains "?" or "#"; Spark Connect URLs have no query or fragment.', 'pass parameters as ";key=value" after the host (percent-encode a literal "?" as %3F and "#" as %23).');
  }
  const authorityEnd = rest.search(/[/;]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const { host, port } = parseAuthority(authority, fail);

  let tail = authorityEnd < 0 ? "" : rest.slice(authorityEnd);
  if (tail.startsWith("/")) {
    const semi = tail.indexOf(";");
    const path = semi < 0 ? tail : tail.slice(0, semi);
    if (path !== "/") throw fail(`the path "${path}" is not allowed; a Spark Connect endpoint has no path.`, `remove the path: sc://${authority}/;key=value.`);
    tail = semi < 0 ? "" : tail.slice(semi);
  }
  const params = parseParams(tail.slice(1), fail);

  const config: ConnectionConfig = { host, port, useSsl: false, headers: {}, url: redactUrl(raw) };
  const headers = new Map<string, string>();
  for (const [key, value] of params) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      checkHeader(key, value, fail);
      headers.set(key.toLowerCase(), value);
      continue;
    }
    if (value === "") throw fail(`parameter "${key}" is empty.`, `give it a value or remove ";${key}=".`);
    applyKnown(config, key as KnownKey, value, fail);
  }
  config.headers = Object.fromEntries(headers);
  if (config.token !== undefined && "authorization" in config.headers) {
    throw fail('both "token" and an "authorization" header are given.', 'keep only ";token=<token>"; it is sent as "authorization: Bearer <token>".');
  }
  const explicitSsl = params.get("use_ssl");
  const hasCredential = config.token !== undefined || credentialHeaders(config).length > 0;
  // Spark: "setting a token enables SSL". Spark 4 exempts local connections, so do we.
  if (explicitSsl === undefined) config.useSsl = hasCredential && !isLoopbackHost(host);
  assertTokenTransportAllowed(config);
  return config;
}

type Fail = (problem: string, fix: string) => ConnectionStringError;

function schemeFix(scheme: string): string {
  const lower = scheme.toLowerCase();
  if (lower === "sc") return `write the scheme in lower case: ${EXAMPLE}.`;
  if (lower === "https" || lower === "grpcs") return `use "sc://" and ask for TLS with a parameter: ${EXAMPLE}.`;
  return `use "sc://", e.g. sc://localhost:15002 or ${EXAMPLE}.`;
}

function parseAuthority(authority: string, fail: Fail): { host: string; port: number } {
  if (authority.includes("@")) {
    throw fail("user information (user@host) is not supported in the host part.", 'pass the user as ";user_id=<name>" and a credential as ";token=<token>".');
  }
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) throw fail(`the IPv6 address "${authority}" has no closing "]".`, "write IPv6 hosts in brackets: sc://[::1]:15002.");
    host = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) throw fail(`unexpected "${after}" after the IPv6 address.`, "write IPv6 hosts as sc://[::1]:15002.");
    portText = after === "" ? undefined : after.slice(1);
    if (!isIPv6(host)) throw fail(`"[${host}]" is not a valid IPv6 address.`, "write IPv6 hosts in brackets, e.g. sc://[::1]:15002.");
  } else {
    const parts = authority.split(":");
    if (parts.length > 2) throw fail(`the host "${authority}" has more than one ":".`, "write IPv6 addresses in brackets: sc://[::1]:15002.");
    host = parts[0]!;
    portText = parts[1];
    if (host === "") throw fail("the host is empty.", "name the server: sc://localhost:15002 or sc://spark.example.com:15002.");
    if (!/^[A-Za-z0-9_.-]+$/.test(host)) throw fail(`the host "${host}" contains characters a host name cannot have.`, "use a DNS name or an IP address, e.g. sc://spark.example.com:15002.");
  }
  if (portText === undefined) return { host, port: DEFAULT_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw fail(`the port "${portText}" is not a number from 1 to 65535.`, `give a valid port or leave it out for the default ${DEFAULT_PORT}: sc://${authority.slice(0, authority.length - portText.length - 1)}:${DEFAULT_PORT}.`);
  }
  return { host, port };
}

function parseParams(text: string, fail: Fail): Map<string, string> {
  const params = new Map<string, string>();
  const seen = new Set<string>(); // header names compare case-insensitively, as gRPC sends them
  const segments = text.split(";");
  segments.forEach((segment, index) => {
    if (segment === "") return;
    const eq = segment.indexOf("=");
    if (eq < 0) {
      // The segment may be a pasted secret, so only a known key name is echoed.
      const shown = (KNOWN_KEYS as readonly string[]).includes(segment) ? `"${segment}"` : `number ${index + 1}`;
      throw fail(`parameter ${shown} has no "=".`, 'write every parameter as key=value, e.g. ";use_ssl=true" (percent-encode special characters).');
    }
    const rawKey = segment.slice(0, eq);
    const key = safeDecode(rawKey);
    if (key === undefined) throw fail(`parameter name "${rawKey}" has a malformed percent escape.`, "percent-encode as %XX with two hex digits.");
    if (key === "") throw fail(`parameter number ${index + 1} has no name before "=".`, "write it as key=value.");
    const value = safeDecode(segment.slice(eq + 1));
    if (value === undefined) throw fail(`the value of "${key}" has a malformed percent escape.`, 'percent-encode as %XX with two hex digits, e.g. "=" as %3D and "%" as %25.');
    const known = KNOWN_KEYS.find((k) => k === key.toLowerCase());
    if (known !== undefined && known !== key) throw fail(`parameter names are case-sensitive: "${key}" is not "${known}".`, `write ";${known}=...".`);
    const dedupKey = known ?? key.toLowerCase();
    if (seen.has(dedupKey)) throw fail(`parameter "${key}" is given more than once.`, "keep one of them.");
    seen.add(dedupKey);
    params.set(key, value);
  });
  return params;
}

function applyKnown(config: ConnectionConfig, key: KnownKey, value: string, fail: Fail): void {
  switch (key) {
    case "token":
      if (!PRINTABLE_ASCII.test(value)) throw fail("the token contains characters an HTTP header cannot carry.", "check the token; only printable ASCII is allowed.");
      config.token = value;
      return;
    case "use_ssl":
      if (!/^(true|false)$/i.test(value)) throw fail(`use_ssl must be "true" or "false", not "${value}".`, 'write ";use_ssl=true" or ";use_ssl=false".');
      config.useSsl = value.toLowerCase() === "true";
      return;
    case "user_id":
      config.userId = value;
      return;
    case "user_agent":
      if (!PRINTABLE_ASCII.test(value)) throw fail("user_agent contains characters an HTTP header cannot carry.", "use printable ASCII only.");
      if (encodeURIComponent(value).length > 2048) throw fail("user_agent is longer than 2048 characters.", "shorten it.");
      config.userAgent = value;
      return;
    case "session_id":
      if (!UUID.test(value)) throw fail(`session_id "${value}" is not a UUID.`, "use a UUID such as 550e8400-e29b-41d4-a716-446655440000 (crypto.randomUUID()), or leave it out for a random one.");
      config.sessionId = value;
      return;
    case "grpc_max_message_size": {
      const size = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(size >= 1 && size <= MAX_INT32)) throw fail(`grpc_max_message_size "${value}" is not a positive integer of at most ${MAX_INT32}.`, "give a size in bytes, e.g. ;grpc_max_message_size=134217728 (128 MiB).");
      config.grpcMaxMessageSize = size;
      return;
    }
  }
}

function checkHeader(key: string, value: string, fail: Fail): void {
  const name = key.toLowerCase();
  if (!/^[0-9a-z_.-]+$/.test(name)) throw fail(`"${key}" is not a valid gRPC header name (unknown parameters become headers).`, "use letters, digits, '-', '_' and '.' only, or check the spelling of a known parameter.");
  if (name.endsWith("-bin")) throw fail(`header "${key}" is a binary header, which a URL cannot carry.`, "set binary metadata in code instead.");
  if (name.startsWith("grpc-") || RESERVED_HEADERS.has(name)) throw fail(`header "${key}" is reserved by gRPC/HTTP2.`, name === "user-agent" ? 'use ";user_agent=<name>".' : "remove it.");
  if (!PRINTABLE_ASCII.test(value)) throw fail(`the value of header "${key}" contains characters a header cannot carry.`, "use printable ASCII only.");
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch (err) {
    if (err instanceof URIError) return undefined;
    throw err;
  }
}

/**
 * The remote to use: the given one, else SPARK_REMOTE. "local", "local[N]" and "local[*]" mean
 * the embedded server (plain "local" takes it as it runs: all cores when one is started); anything else must be an sc:// URL.
 */
export function resolveRemote(remote?: string, env: NodeJS.ProcessEnv = process.env): ResolvedRemote {
  const given = remote?.trim();
  const fromEnv = env.SPARK_REMOTE?.trim();
  const value = given || fromEnv;
  if (!value) {
    throw new ConnectionStringError(
      "",
      "No Spark Connect server given: no remote was passed and SPARK_REMOTE is not set.",
      'pass remote("sc://host:15002"), set SPARK_REMOTE=sc://host:15002 in the environment, or use remote("local") for the embedded local server.',
    );
  }
  const source = given ? "remote" : "SPARK_REMOTE";
  const local = parseLocalMaster(value, source);
  if (local) return local.cores === undefined ? { kind: "local" } : { kind: "local", cores: local.cores };
  try {
    return { kind: "remote", config: parseConnectionString(value) };
  } catch (err) {
    if (!(err instanceof ConnectionStringError) || source === "remote") throw err;
    throw new ConnectionStringError(value, `SPARK_REMOTE: ${err.problem}`, `${err.fix} (Or unset SPARK_REMOTE and pass remote(...).)`, { cause: err });
  }
}

/**
 * The one parser of local masters: "local" → {} (the local server as it runs: all cores when one
 * is started), "local[N]" / "local[*]" → { cores }; undefined for anything else (an sc:// URL).
 */
export function parseLocalMaster(remote: string, source = "remote"): { cores?: number | "*" } | undefined {
  const value = remote.trim();
  if (value === "local") return {};
  if (!value.startsWith("local[")) return undefined;
  const inside = /^local\[(.*)\]$/.exec(value)?.[1];
  if (inside === "*") return { cores: "*" };
  const cores = inside !== undefined && /^\d+$/.test(inside) ? Number(inside) : NaN;
  if (cores >= 1 && Number.isSafeInteger(cores)) return { cores };
  throw new ConnectionStringError(
    value,
    `${source}: "${value}" is not a valid local master; the core count must be a whole number of at least 1, or "*".`,
    'use "local", "local[*]" (all cores) or "local[N]" with N >= 1, e.g. "local[4]" or "local[*]"; plain "local" takes the embedded server as it runs.',
  );
}
