import type { SparkConnectClient } from "./rpc/client.js";
import type { SessionState } from "./session-state.js";

/** Runs a call again on a renewed session when the server lost the old one (see SessionState). */
export type Renewing = <T>(op: () => Promise<T>) => Promise<T>;

/** spark.conf: the session's runtime SQL configuration, read and written on the server. */
export class RuntimeConfig {
  constructor(
    private readonly client: SparkConnectClient,
    private readonly state: SessionState,
    private readonly renewing: Renewing,
  ) {}

  /** The value of `key`; `defaultValue` when unset. Without a default, an unknown key is an error from Spark. */
  async get(key: string, defaultValue?: string): Promise<string | undefined> {
    const response = await this.renewing(() =>
      defaultValue === undefined
        ? this.client.config({ opType: { case: "get", value: { keys: [key] } } })
        : this.client.config({ opType: { case: "getWithDefault", value: { pairs: [{ key, value: defaultValue }] } } }),
    );
    return response.pairs[0]?.value;
  }

  /** The value of `key`, or undefined when it has none (never an error). */
  async getOption(key: string): Promise<string | undefined> {
    const response = await this.renewing(() => this.client.config({ opType: { case: "getOption", value: { keys: [key] } } }));
    return response.pairs[0]?.value;
  }

  /** Sets `key` for this session; a renewed session (after a server restart) gets it again. */
  async set(key: string, value: string | number | boolean): Promise<void> {
    await this.renewing(() => this.client.config({ opType: { case: "set", value: { pairs: [{ key, value: String(value) }] } } }));
    this.state.noteConf(key, String(value));
  }

  async unset(key: string): Promise<void> {
    await this.renewing(() => this.client.config({ opType: { case: "unset", value: { keys: [key] } } }));
    this.state.noteConf(key, undefined);
  }

  async getAll(prefix?: string): Promise<Record<string, string>> {
    const response = await this.renewing(() => this.client.config({ opType: { case: "getAll", value: { prefix } } }));
    return Object.fromEntries(response.pairs.map((p) => [p.key, p.value ?? ""]));
  }
}
