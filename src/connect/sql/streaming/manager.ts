// spark.streams, as pyspark's Connect StreamingQueryManager builds it: one StreamingQueryManagerCommand per
// call. Listeners are left out: pyspark's need a long-lived event stream and a thread to dispatch it.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  StreamingQueryManagerCommandResult,
  StreamingQueryManagerCommandResult_StreamingQueryInstance as QueryInstance,
  StreamingQueryManagerCommandSchema,
} from "../../../gen/spark/connect/commands_pb.js";
import type { SessionCore } from "../../core.js";
import { commandResponses } from "../plans.js";
import { findResult, missingResult, StreamingQuery, timeoutMsOf, type CaseValue } from "./query.js";

type ManagerCommand = NonNullable<Exclude<MessageInitShape<typeof StreamingQueryManagerCommandSchema>, { $typeName: string }>["command"]>;
type ResultCase = NonNullable<StreamingQueryManagerCommandResult["resultType"]["case"]>;

/** The streaming queries of a session: `spark.streams`. Every method asks the server, so returns a Promise. */
export class StreamingQueryManager {
  /** @internal Use spark.streams. */
  constructor(private readonly core: SessionCore) {}

  /** The session's running queries (pyspark's `active` property). */
  async active(): Promise<StreamingQuery[]> {
    const result = await this.run({ case: "active", value: true }, "active");
    return result.activeQueries.map((q) => this.query(q));
  }

  /** The query with this id (StreamingQuery.id) if it is active, or null. */
  async get(id: string): Promise<StreamingQuery | null> {
    if (typeof id !== "string" || id === "") throw new TypeError(`streams.get(id): pass a query's id (StreamingQuery.id), got ${String(id)}.`);
    const result = await this.send({ case: "getQuery", value: id });
    // A query that is not active gets an answer with no result at all.
    return result?.resultType.case === "query" ? this.query(result.resultType.value) : null;
  }

  /**
   * Waits until any query of the session stops (since the last resetTerminated); throws a failed one's
   * error. With `timeoutMs` (milliseconds; pyspark's is seconds), returns whether one stopped in time.
   */
  awaitAnyTermination(): Promise<void>;
  awaitAnyTermination(timeoutMs: number): Promise<boolean>;
  async awaitAnyTermination(timeoutMs?: number): Promise<boolean | void> {
    const timeout = timeoutMsOf("awaitAnyTermination", timeoutMs);
    const result = await this.run({ case: "awaitAnyTermination", value: { timeoutMs: timeout } }, "awaitAnyTermination");
    return timeout === undefined ? undefined : result.terminated;
  }

  /** Forgets the queries that stopped, so awaitAnyTermination waits for a new one. */
  async resetTerminated(): Promise<void> {
    await this.send({ case: "resetTerminated", value: true });
  }

  private query(q: QueryInstance): StreamingQuery {
    return new StreamingQuery(this.core, q.id?.id ?? "", q.id?.runId ?? "", q.name ?? null);
  }

  private async send(command: ManagerCommand): Promise<StreamingQueryManagerCommandResult | undefined> {
    const responses = await commandResponses(this.core, { case: "streamingQueryManagerCommand", value: { command } });
    return findResult(responses, "streamingQueryManagerCommandResult");
  }

  private async run<C extends ResultCase>(command: ManagerCommand, expect: C): Promise<CaseValue<StreamingQueryManagerCommandResult["resultType"], C>> {
    const result = await this.send(command);
    if (result?.resultType.case !== expect) throw missingResult(`spark.streams' ${expect}`, result?.resultType.case);
    return result.resultType.value as unknown as CaseValue<StreamingQueryManagerCommandResult["resultType"], C>;
  }
}
