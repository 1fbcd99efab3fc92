// Which Spark Connect server a verb talks to: --remote, else SPARK_REMOTE; "local" is the embedded one.
import { randomUUID } from "node:crypto";

import { isSessionClosed, sessionClosedError } from "../connect/errors.js";
import { isLoopbackHost, parseConnectionString, redactUrl, resolveRemote } from "../connect/rpc/connection.js";
import { SparkSession } from "../connect/session.js";
import { ensureLocalServer, localServerStatus, type LocalServer } from "../server/index.js";
import { launched } from "../server/launcher.js";
import { stderrProgress } from "../server/process/progress.js";
import { UsageError, type CliContext } from "./command.js";

export interface CliTarget {
  /** The sc:// URL to connect to, always with a session_id. Holds secrets. */
  url: string;
  /** The same URL for printing: complete for loopback hosts (a local token), secrets redacted otherwise. */
  shownUrl: string;
  sessionId: string;
  /** The embedded server, when the remote was "local"/"local[N]". */
  embedded: LocalServer | undefined;
  /** The id is the user's (the URL's session_id, or --session-id <uuid>), not one made up for this run. */
  pinned: boolean;
}

/**
 * Resolves the remote; for "local" starts (or reuses) the embedded server, with its progress
 * lines on stderr. The URL gets ";session_id=<uuid>": `sessionId`, else the one it has, else a new one,
 * so what the verb prints lets a script join the very session the verb used.
 */
export async function resolveTarget(remote: string | undefined, sessionId: string | undefined, context: CliContext, pinnedId = sessionId !== undefined): Promise<CliTarget> {
  const resolved = resolveRemote(remote, context.env);
  let url: string;
  let embedded: LocalServer | undefined;
  if (resolved.kind === "local") {
    const progress = stderrProgress(context.stderr as NodeJS.WriteStream);
    try {
      embedded = await ensureLocalServer({ cores: resolved.cores, env: context.env, onProgress: progress });
    } finally {
      progress.end();
    }
    url = embedded.url;
  } else {
    url = (remote?.trim() || context.env.SPARK_REMOTE?.trim())!;
  }
  const config = parseConnectionString(url);
  if (sessionId !== undefined && config.sessionId !== undefined && config.sessionId.toLowerCase() !== sessionId.toLowerCase()) {
    throw new UsageError(`--session-id ${sessionId} differs from the session_id ${config.sessionId} already in the remote URL: give only one of them`);
  }
  const chosen = config.sessionId ?? sessionId ?? randomUUID();
  if (config.sessionId === undefined) url = withSessionId(url, chosen);
  const shownUrl = isLoopbackHost(config.host) ? url : redactUrl(url);
  return { url, shownUrl, sessionId: chosen, embedded, pinned: config.sessionId !== undefined || pinnedId };
}

/**
 * Spark's own error for a closed session id (INVALID_HANDLE.SESSION_CLOSED) names neither why nor
 * what to do; this one does. Anything else comes back unchanged.
 */
export function explainClosedSession(error: unknown, target: CliTarget): unknown {
  if (!isSessionClosed(error)) return error;
  return sessionClosedError(
    target.sessionId,
    error,
    "Fix: use a new id, `--session-id new` (or another UUID, e.g. from `uuidgen`), and connect scripts with the session_id this command prints. " +
      "`watch --session-id <uuid>` keeps its session open when it stops, so that id works again until the server closes it after idling.",
  );
}

/** sc://h:p → sc://h:p/;session_id=ID; sc://h:p/;token=t → sc://h:p/;token=t;session_id=ID. */
export function withSessionId(url: string, sessionId: string): string {
  const trimmed = url.trim().replace(/;+$/, "");
  if (trimmed.includes(";")) return `${trimmed};session_id=${sessionId}`;
  return `${trimmed.endsWith("/") ? trimmed : `${trimmed}/`};session_id=${sessionId}`;
}

/** A new session on the target (never a cached one: the CLI owns its lifetime). */
export function connect(target: CliTarget): Promise<SparkSession> {
  const builder = SparkSession.builder();
  const server = target.embedded;
  if (!server) return builder.remote(target.url).create();
  // The embedded server this verb already started, reached as remote("local") would be, so the
  // engine knows its workers' Python (no probe job).
  return builder.remote("local").localLauncher(async () => launched(server, target.url)).create();
}

/** The embedded server's URL when it runs for this env's home; never starts one. */
export async function runningEmbeddedServer(context: CliContext): Promise<LocalServer | undefined> {
  const status = await localServerStatus({ env: context.env });
  return status.state === "running" ? status.server : undefined;
}
