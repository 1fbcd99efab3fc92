import { SparkConnectClient } from "./rpc/client.js";
import { resolveRemote, parseConnectionString, type ConnectionConfig } from "./rpc/connection.js";
import { channelCredentials, clientType } from "./rpc/credentials.js";
import { SparkConnectError } from "./errors.js";
import type { RetryPolicy } from "./rpc/retry.js";
import type { SparkSession } from "./session.js";
import type { SessionLostPolicy } from "./session-state.js";
import { timed } from "../shared/debug.js";

/** What whoever started (or found) a local server knows about it beyond its URL. */
export interface ServerFacts {
  /** The Python workers' "major.minor", known without running a job. */
  pythonVersion?: string;
  /** The Python the workers run, when it is on this machine. */
  pythonExecutable?: string;
  /** The server's log file. */
  logFile?: string;
  /**
   * The embedded server's state file (it names the running server's pid and start time): tools that
   * keep files per server (spare sessions) keep them beside it.
   */
  stateFile?: string;
}

/** A server a LocalServerLauncher started or found. */
export interface LaunchedServer {
  /** sc:// URL to connect to. */
  url: string;
  facts?: ServerFacts;
  /** What to tell the user when the server stops answering (e.g. where its log is, how to restart it). */
  unreachableFix?: string;
  /**
   * Called after a session of this server is released, with its server-side id: the launcher may free what
   * Spark keeps for a released session (the embedded server ends its Python daemon, which Spark never does).
   */
  afterRelease?: (serverSideSessionId: string) => void | Promise<void>;
}

/**
 * How remote("local") / remote("local[N]") reaches a server: the port this client takes, so it knows
 * nothing of how one is provisioned. `cores` is absent for plain "local" (the server as it runs).
 * The package entry (src/index.ts) wires in the embedded server; SparkSessionBuilder.localLauncher() overrides it.
 */
export type LocalServerLauncher = (request: { cores?: number | "*"; onProgress?: (line: string) => void }) => Promise<LaunchedServer>;

/**
 * For a server reached by its sc:// URL: its release hook when the URL is one the package knows (the entry
 * wires the embedded server's, found by port and token), else undefined.
 */
export type ReleaseHookFinder = (config: ConnectionConfig) => LaunchedServer["afterRelease"];

/** Makes the session object once the server answered (SparkSession's constructor, passed in by SparkSession.builder()). */
export type SessionOpener = (client: SparkConnectClient, version: string, onStop: () => void, policy: SessionLostPolicy, facts: ServerFacts | undefined) => SparkSession;

// One live session per (remote, session id) in this process, like pyspark's getOrCreate.
const active = new Map<string, Promise<SparkSession>>();

/** Configures and creates a SparkSession: SparkSession.builder().remote(url).config(k, v).getOrCreate(). */
export class SparkSessionBuilder {
  private remoteUrl: string | undefined;
  private readonly confs = new Map<string, string>();
  private caCertificate: Buffer | string | undefined;
  private retry: RetryPolicy | undefined;
  private progress: ((line: string) => void) | undefined;
  private lostPolicy: SessionLostPolicy = "renew";
  private launched: LaunchedServer | undefined;

  /** @internal Use SparkSession.builder(). */
  constructor(
    private readonly open: SessionOpener,
    private launcher: LocalServerLauncher | undefined,
    private readonly releaseHookOf: ReleaseHookFinder | undefined = undefined,
  ) {}

  /**
   * "sc://host:port/;key=value", or "local" / "local[N]" for the embedded server.
   * Without it, SPARK_REMOTE is used.
   */
  remote(url: string): this {
    this.remoteUrl = url;
    return this;
  }

  /** A runtime SQL conf set on the session as it is created. */
  config(key: string, value: string | number | boolean): this {
    this.confs.set(key, String(value));
    return this;
  }

  /** Trust this CA (PEM text, bytes, or a file path) for use_ssl=true connections. */
  tlsCaCertificate(pemOrPath: Buffer | string): this {
    this.caCertificate = pemOrPath;
    return this;
  }

  retryPolicy(policy: RetryPolicy): this {
    this.retry = policy;
    return this;
  }

  /**
   * When the server no longer has the session (it restarted, or the session expired): "renew" (the
   * default) puts back runtime config, Java UDFs and, with withAutoBundle, the code and Python
   * functions, then runs the job again; a session that held temporary views or ran SQL commands
   * gets an error naming them instead. "fail": every lost session is an error
   * (INVALID_HANDLE.SESSION_CHANGED), and the next call starts afresh.
   */
  onSessionLost(policy: SessionLostPolicy): this {
    if (policy !== "renew" && policy !== "fail") throw new TypeError(`onSessionLost("${String(policy)}"): use "renew" or "fail".`);
    this.lostPolicy = policy;
    return this;
  }

  /** How "local" / "local[N]" reaches a server (default: the embedded server, wired in by the package entry). */
  localLauncher(launcher: LocalServerLauncher): this {
    this.launcher = launcher;
    return this;
  }

  /** Progress lines from provisioning the embedded server (default: stderr). */
  onProgress(listener: (line: string) => void): this {
    this.progress = listener;
    return this;
  }

  /** The live session for this remote, or a new one. */
  async getOrCreate(): Promise<SparkSession> {
    const config = await this.connectionConfig();
    const key = `${config.url}#${config.sessionId ?? ""}`;
    let session = active.get(key);
    if (!session) {
      session = this.connect(config, () => active.delete(key));
      active.set(key, session);
      session.catch(() => active.delete(key));
    }
    const live = await session;
    for (const [k, v] of this.confs) await live.conf.set(k, v);
    return live;
  }

  /** Always a new session, even when one for this remote is live. */
  async create(): Promise<SparkSession> {
    const live = await this.connect(await this.connectionConfig(), () => {});
    for (const [k, v] of this.confs) await live.conf.set(k, v);
    return live;
  }

  private async connectionConfig(): Promise<ConnectionConfig> {
    const resolved = resolveRemote(this.remoteUrl);
    if (resolved.kind === "remote") return resolved.config;
    if (!this.launcher) {
      throw new SparkConnectError(`remote("${this.remoteUrl ?? "local"}") needs a local server launcher, and this builder has none.`, {
        fix: 'Import SparkSession from "spark-autobundle" (its entry wires in the embedded server), or pass one with SparkSession.builder().localLauncher(...).',
      });
    }
    this.launched = await timed("local-server", () => this.launcher!({ cores: resolved.cores, onProgress: this.progress }));
    return parseConnectionString(this.launched.url);
  }

  private async connect(config: ConnectionConfig, onStop: () => void): Promise<SparkSession> {
    const setup = channelCredentials(config, { caCertificate: this.caCertificate });
    const client = new SparkConnectClient({
      channel: { address: setup.target, credentials: setup.channel, options: setup.options, metadata: () => setup.callMetadata() },
      sessionId: config.sessionId,
      userId: config.userId,
      clientType: clientType(config),
      retryPolicy: this.retry,
      displayUrl: config.url,
      unreachableFix: this.launched?.unreachableFix,
    });
    try {
      const response = await timed("connect", () => client.analyze({ case: "sparkVersion", value: {} }));
      const version = response.result.case === "sparkVersion" ? response.result.value.version : "";
      if (!version) throw new SparkConnectError(`The server at ${config.url} did not report a Spark version; is it a Spark Connect server?`);
      const session = this.open(client, version, onStop, this.lostPolicy, this.launched?.facts);
      const afterRelease = this.launched?.afterRelease ?? this.releaseHookOf?.(config);
      if (afterRelease) session.onReleased(afterRelease);
      return session;
    } catch (err) {
      client.close();
      throw err;
    }
  }
}
