import { SparkConnectClient } from "./rpc/client.js";
import { resolveRemote, parseConnectionString, type ConnectionConfig } from "./rpc/connection.js";
import { channelCredentials, clientType } from "./rpc/credentials.js";
import { SparkConnectError } from "./errors.js";
import type { RetryPolicy } from "./rpc/retry.js";
import { SparkSession } from "./session.js";
import type { SessionLostPolicy } from "./session-state.js";

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

  private embedded: SparkSession["embeddedServer"];

  private async connectionConfig(): Promise<ConnectionConfig> {
    const resolved = resolveRemote(this.remoteUrl);
    if (resolved.kind === "remote") return resolved.config;
    // Loaded lazily: only embedded-server users pay for it.
    const { ensureLocalServer } = await import("../server/index.js");
    const server = await ensureLocalServer({ cores: resolved.cores, onProgress: this.progress });
    this.embedded = { pythonVersion: server.pythonVersion, pythonExecutable: server.pythonExecutable, logFile: server.logFile };
    return parseConnectionString(server.url);
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
      unreachableFix: this.embedded
        ? `The embedded Spark server stopped answering; its log is ${this.embedded.logFile}. Restart it with \`spark-autobundle server start\`.`
        : undefined,
    });
    try {
      const response = await client.analyze({ case: "sparkVersion", value: {} });
      const version = response.result.case === "sparkVersion" ? response.result.value.version : "";
      if (!version) throw new SparkConnectError(`The server at ${config.url} did not report a Spark version; is it a Spark Connect server?`);
      const session = new SparkSession(client, version, onStop, this.lostPolicy);
      session.embeddedServer = this.embedded;
      return session;
    } catch (err) {
      client.close();
      throw err;
    }
  }
}
