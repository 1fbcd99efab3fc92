import type { AnalyzePlanResponse, ExecutePlanResponse, Plan } from "../gen/spark/connect/base_pb.js";
import type { AnalyzeInit } from "./rpc/client.js";

/** What the DataFrame layer needs from a session: run plans and ask about them. */
export interface SessionCore {
  /** Runs a plan (reattachably), yielding every response; errors arrive as SparkConnectError. */
  execute(plan: Plan, options?: { signal?: AbortSignal }): AsyncIterable<ExecutePlanResponse>;
  /** One AnalyzePlan call; `analyze` is the request's oneof. */
  analyze(analyze: AnalyzeInit): Promise<AnalyzePlanResponse>;
  /** A fresh plan id, unique within this session, for RelationCommon.plan_id. */
  nextPlanId(): bigint;
  /** The server's Spark version ("4.1.4"), for features older servers lack; absent in plan-only tests. */
  readonly version?: string;
  /** Whether by-reference Python functions can resolve (the session ships the project's code). */
  readonly udf?: { readonly pythonEnabled: boolean };
}
