import type { SparkConnectClient } from "./client.js";

/** spark.conf: the session's runtime SQL configuration, read and written on the server. */
export class RuntimeConfig {
  constructor(private readonly client: SparkConnectClient) {}

  /** The value of `key`; `defaultValue` when unset. Without a default, an unknown key is an error from Spark. */
  async get(key: string, defaultValue?: string): Promise<string | undefined> {
    const response =
      defaultValue === undefined
        ? await this.client.config({ opType: { case: "get", value: { keys: [key] } } })
        : await this.client.config({ opType: { case: "getWithDefault", value: { pairs: [{ key, value: defaultValue }] } } });
    return response.pairs[0]?.value;
  }

  /** The value of `key`, or undefined when it has none (never an error). */
  async getOption(key: string): Promise<string | undefined> {
    const response = await this.client.config({ opType: { case: "getOption", value: { keys: [key] } } });
    return response.pairs[0]?.value;
  }

  async set(key: string, value: string | number | boolean): Promise<void> {
    await this.client.config({ opType: { case: "set", value: { pairs: [{ key, value: String(value) }] } } });
  }

  async unset(key: string): Promise<void> {
    await this.client.config({ opType: { case: "unset", value: { keys: [key] } } });
  }

  async getAll(prefix?: string): Promise<Record<string, string>> {
    const response = await this.client.config({ opType: { case: "getAll", value: { prefix } } });
    return Object.fromEntries(response.pairs.map((p) => [p.key, p.value ?? ""]));
  }
}
