import { create } from "@bufbuild/protobuf";
import {
  AnalyzePlanResponseSchema,
  ConfigResponseSchema,
  ExecutePlanResponseSchema,
  type AnalyzePlanResponse,
  type ConfigResponse,
  type ExecutePlanResponse,
  type Plan,
} from "../../src/gen/spark/connect/base_pb.js";
import { GrpcCode, SESSION_CHANGED, SparkConnectError } from "../../src/connect/errors.js";
import type { AnalyzeInit, SessionChange, SparkConnectClient } from "../../src/connect/rpc/client.js";
import { SparkSession } from "../../src/connect/session.js";

/**
 * The one SparkConnectClient call a test is scripting. `fail` stands for the server's answer at that
 * point: for SESSION_CHANGED, the client's own conversion (listeners told, then the error thrown).
 */
export type Step =
  | { kind: "ok" }
  | { kind: "sessionChanged" }
  | { kind: "answerThenSessionChanged"; responses: number };

/**
 * Stands in for SparkConnectClient under a real SparkSession: a real server can't be made to lose
 * the session at an exact point of one call (before the answer, after the first batch). It records
 * every call in order (`calls`), answers as a server holding `conf` would, and fails where the test
 * scripts it to. Only what SparkSession uses is here; anything else throws.
 */
export class FakeConnectClient {
  readonly sessionId = "client-session";
  readonly displayUrl = "sc://fake:15002";
  /** One line per call, e.g. "execute #1", "config set k=v", "analyze schema". */
  readonly calls: string[] = [];
  /** What the current server-side session holds as runtime config. */
  readonly conf = new Map<string, string>();
  /** Scripted outcomes per method, taken in order; an empty script answers normally. */
  readonly script: Record<"execute" | "analyze" | "config", Step[]> = { execute: [], analyze: [], config: [] };
  private server = 1;
  private observed: string | undefined;
  private executes = 0;
  private readonly listeners = new Set<(change: SessionChange) => void>();

  get serverSessionId(): string | undefined {
    return this.observed;
  }

  onSessionChange(listener: (change: SessionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A SparkSession over this fake (renewal policy "renew", the default). */
  session(): SparkSession {
    return new SparkSession(this as unknown as SparkConnectClient, "4.1.4");
  }

  async *execute(plan: Plan): AsyncGenerator<ExecutePlanResponse> {
    const n = ++this.executes;
    this.calls.push(`execute #${n} ${plan.opType.case}`);
    const step = this.script.execute.shift() ?? { kind: "ok" };
    if (step.kind === "sessionChanged") throw this.restart();
    const batches = step.kind === "answerThenSessionChanged" ? step.responses : 2;
    for (let i = 0; i < batches; i++) yield this.stamp(create(ExecutePlanResponseSchema, { responseId: `#${n}.${i}`, responseType: { case: "arrowBatch", value: { rowCount: 1n } } }));
    if (step.kind === "answerThenSessionChanged") throw this.restart();
    yield this.stamp(create(ExecutePlanResponseSchema, { responseId: `#${n}.done`, responseType: { case: "resultComplete", value: {} } }));
  }

  async analyze(analyze: AnalyzeInit): Promise<AnalyzePlanResponse> {
    this.calls.push(`analyze ${analyze.case}`);
    if (this.script.analyze.shift()?.kind === "sessionChanged") throw this.restart();
    // Every plan here has one column, `id bigint` (spark.range's schema).
    const id = { name: "id", nullable: false, dataType: { kind: { case: "long" as const, value: {} } } };
    const result =
      analyze.case === "schema"
        ? { case: "schema" as const, value: { schema: { kind: { case: "struct" as const, value: { fields: [id] } } } } }
        : { case: "sparkVersion" as const, value: { version: "4.1.4" } };
    return this.stamp(create(AnalyzePlanResponseSchema, { result }));
  }

  async config(operation: { opType: { case: string; value: { pairs?: Array<{ key: string; value?: string }>; keys?: string[] } } }): Promise<ConfigResponse> {
    const { case: op, value } = operation.opType;
    const pairs = value.pairs ?? [];
    const keys = value.keys ?? [];
    this.calls.push(`config ${op} ${[...pairs.map((p) => `${p.key}=${p.value}`), ...keys].join(",")}`);
    if (this.script.config.shift()?.kind === "sessionChanged") throw this.restart();
    if (op === "set") for (const p of pairs) this.conf.set(p.key, p.value ?? "");
    if (op === "unset") for (const k of keys) this.conf.delete(k);
    const answer =
      op === "get" ? keys.map((key) => ({ key, value: this.conf.get(key) })) : op === "getWithDefault" ? pairs.map((p) => ({ key: p.key, value: this.conf.get(p.key) ?? p.value })) : [];
    return this.stamp(create(ConfigResponseSchema, { pairs: answer }));
  }

  /** The server restarted: its new session holds no config; the error is what SparkConnectClient.sessionChanged throws. */
  private restart(): SparkConnectError {
    const previous = this.observed ?? "(unknown)";
    this.server++;
    this.conf.clear();
    this.observed = undefined;
    for (const listener of this.listeners) listener({ previous, current: undefined });
    return new SparkConnectError(`The Spark Connect server no longer has this session (server-side session ${previous}).`, {
      errorClass: SESSION_CHANGED,
      grpcCode: GrpcCode.INTERNAL,
    });
  }

  private stamp<T extends { serverSideSessionId: string }>(response: T): T {
    response.serverSideSessionId = `server-session-${this.server}`;
    this.observed = response.serverSideSessionId;
    return response;
  }

  async releaseSession(): Promise<void> {}
  close(): void {}
}
