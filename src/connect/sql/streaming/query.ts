// A running streaming query, built as pyspark's Connect client (its connect/streaming/query.py) does: each
// call is one StreamingQueryCommand naming the query by id and run id. Where pyspark has a property that
// asks the server (isActive, status, lastProgress, recentProgress), this is an async method.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecutePlanResponse } from "../../../gen/spark/connect/base_pb.js";
import {
  type StreamingQueryCommandResult,
  type StreamingQueryCommandSchema,
} from "../../../gen/spark/connect/commands_pb.js";
import type { SessionCore } from "../../core.js";
import { SparkConnectError } from "../../errors.js";
import { commandResponses } from "../plans.js";

/** pyspark's `query.status`. */
export interface StreamingQueryStatus {
  message: string;
  isDataAvailable: boolean;
  isTriggerActive: boolean;
}

/**
 * One trigger's progress, Spark's StreamingQueryProgress JSON as the server sends it (pyspark's
 * StreamingQueryProgress has the same camelCase names). The common fields are typed; the rest
 * (eventTime, stateOperators, observedMetrics...) is there as Spark sent it.
 */
export interface StreamingQueryProgress {
  id: string;
  runId: string;
  name: string | null;
  timestamp: string;
  batchId: number;
  numInputRows: number;
  inputRowsPerSecond?: number;
  processedRowsPerSecond?: number;
  durationMs: Record<string, number>;
  sources: Array<Record<string, unknown> & { description: string; numInputRows: number }>;
  sink: Record<string, unknown> & { description: string };
  [key: string]: unknown;
}

type QueryCommand = NonNullable<Exclude<MessageInitShape<typeof StreamingQueryCommandSchema>, { $typeName: string }>["command"]>;
type ResultCase = NonNullable<StreamingQueryCommandResult["resultType"]["case"]>;
/** The value of the oneof member `C` of the union `U`. */
export type CaseValue<U, C> = U extends { case: C; value: infer V } ? V : never;

type QueryCommandValue = { queryId: { id: string; runId: string }; command: QueryCommand };

/** Runs one query command; a failed query's error arrives as the server's SparkConnectError. */
async function queryCommand(core: SessionCore, value: QueryCommandValue): Promise<StreamingQueryCommandResult | undefined> {
  return findResult(await commandResponses(core, { case: "streamingQueryCommand", value }), "streamingQueryCommandResult");
}

/** The first response of kind `kind` among a command's responses. */
export function findResult<K extends NonNullable<ExecutePlanResponse["responseType"]["case"]>>(
  responses: readonly ExecutePlanResponse[],
  kind: K,
): CaseValue<ExecutePlanResponse["responseType"], K> | undefined {
  for (const r of responses) if (r.responseType.case === kind) return r.responseType.value as unknown as CaseValue<ExecutePlanResponse["responseType"], K>;
  return undefined;
}

export function missingResult(what: string, got: string | undefined): SparkConnectError {
  return new SparkConnectError(`The server answered without ${what}${got ? ` (it sent ${got})` : ""}.`, {
    errorClass: "UNEXPECTED_RESPONSE",
    fix: "Check that the server is a Spark Connect server of Spark 3.5 or later.",
  });
}

/** pyspark takes a timeout in seconds; ours is in milliseconds, like every JS timeout. */
export function timeoutMsOf(api: string, timeoutMs: number | undefined): bigint | undefined {
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`${api}(timeoutMs): pass a positive number of milliseconds, or nothing to wait without a limit; got ${String(timeoutMs)}.`);
  }
  return BigInt(Math.max(1, Math.round(timeoutMs)));
}

export class StreamingQuery {
  /** @internal Use df.writeStream...start(), or spark.streams.active()/get(id). */
  constructor(
    private readonly core: SessionCore,
    /** The query's id, kept across restarts from the same checkpoint. */
    readonly id: string,
    /** This run's id: a restart from the checkpoint gets a new one. */
    readonly runId: string,
    /** The name given with queryName(), or null. */
    readonly name: string | null,
  ) {}

  /** Whether the query is still running (pyspark's `isActive` property). */
  async isActive(): Promise<boolean> {
    return (await this.run({ case: "status", value: true }, "status")).isActive;
  }

  /** What the query is doing now (pyspark's `status` property). */
  async status(): Promise<StreamingQueryStatus> {
    const s = await this.run({ case: "status", value: true }, "status");
    return { message: s.statusMessage, isDataAvailable: s.isDataAvailable, isTriggerActive: s.isTriggerActive };
  }

  /** The last trigger's progress, or null before the first one (pyspark's `lastProgress` property). */
  async lastProgress(): Promise<StreamingQueryProgress | null> {
    const progress = (await this.run({ case: "lastProgress", value: true }, "recentProgress")).recentProgressJson;
    return progress.length === 0 ? null : (JSON.parse(progress[progress.length - 1]!) as StreamingQueryProgress);
  }

  /** The recent triggers' progress, oldest first (pyspark's `recentProgress` property). */
  async recentProgress(): Promise<StreamingQueryProgress[]> {
    const progress = (await this.run({ case: "recentProgress", value: true }, "recentProgress")).recentProgressJson;
    return progress.map((p) => JSON.parse(p) as StreamingQueryProgress);
  }

  /**
   * Waits until the query stops; throws the query's failure as a SparkConnectError. With `timeoutMs`
   * (milliseconds; pyspark's is seconds), returns whether it stopped within that time.
   */
  awaitTermination(): Promise<void>;
  awaitTermination(timeoutMs: number): Promise<boolean>;
  async awaitTermination(timeoutMs?: number): Promise<boolean | void> {
    const timeout = timeoutMsOf("awaitTermination", timeoutMs);
    const result = await this.run({ case: "awaitTermination", value: { timeoutMs: timeout } }, "awaitTermination");
    return timeout === undefined ? undefined : result.terminated;
  }

  /** Blocks until everything available at the sources now has been processed (for tests); throws a failure. */
  async processAllAvailable(): Promise<void> {
    await queryCommand(this.core, this.command({ case: "processAllAvailable", value: true }));
  }

  /** Stops the query (waits for the running trigger to end, as Spark does). */
  async stop(): Promise<void> {
    await queryCommand(this.core, this.command({ case: "stop", value: true }));
  }

  /**
   * The failure that stopped the query, or null while it has none (pyspark's StreamingQueryException):
   * the server's message without its exception class prefix, its error class and JVM stack.
   */
  async exception(): Promise<SparkConnectError | null> {
    // Without a failure the server sets no result at all (pyspark reads that as None too).
    const result = await queryCommand(this.core, this.command({ case: "exception", value: true }));
    const e = result?.resultType.case === "exception" ? result.resultType.value : undefined;
    if (e?.exceptionMessage === undefined) return null;
    const [exceptionClass, ...rest] = e.exceptionMessage.split(": ");
    const message = rest.length ? rest.join(": ") : e.exceptionMessage;
    return new SparkConnectError(message, {
      errorClass: e.errorClass,
      errorClassSource: e.errorClass === undefined ? undefined : "server",
      exceptionClasses: rest.length && exceptionClass ? [exceptionClass] : [],
      serverStackTrace: e.stackTrace,
    });
  }

  /** Prints the query's physical plan (the logical plans too with `extended`) and returns it. */
  async explain(extended = false): Promise<string> {
    const text = (await this.run({ case: "explain", value: { extended: Boolean(extended) } }, "explain")).result;
    console.log(text);
    return text;
  }

  toString(): string {
    return `StreamingQuery(id=${this.id}, runId=${this.runId}${this.name === null ? "" : `, name=${this.name}`})`;
  }

  private command(command: QueryCommand): QueryCommandValue {
    return { queryId: { id: this.id, runId: this.runId }, command };
  }

  /** Runs `command` and returns its result of kind `expect`. */
  private async run<C extends ResultCase>(command: QueryCommand, expect: C): Promise<CaseValue<StreamingQueryCommandResult["resultType"], C>> {
    const result = await queryCommand(this.core, this.command(command));
    if (result?.resultType.case !== expect) throw missingResult(`the query's ${expect}`, result?.resultType.case);
    return result.resultType.value as unknown as CaseValue<StreamingQueryCommandResult["resultType"], C>;
  }
}
