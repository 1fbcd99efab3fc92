import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { PlanSchema, type Plan } from "../../gen/spark/connect/base_pb.js";
import { CommandSchema, type Command } from "../../gen/spark/connect/commands_pb.js";
import { RelationSchema, type Relation } from "../../gen/spark/connect/relations_pb.js";
import { encodeRows, type Row } from "../arrow/encode.js";
import type { SessionCore } from "../core.js";
import { fromProto, type DataTypeInput, type StructType } from "../types/datatypes.js";
import { toJSON } from "../types/datatypes-json.js";
import { parseTypeString } from "../types/typestring.js";
import { SparkConnectError } from "../errors.js";
import type { ExecutePlanResponse } from "../../gen/spark/connect/base_pb.js";
import { observationAliases, withExecutionInfo, withObservations, type ExecutionInfoSink } from "./dataframe/observation.js";
import { subqueryReferences } from "./column/subquery-ref.js";

export type RelTypeInit = NonNullable<Exclude<MessageInitShape<typeof RelationSchema>, Relation>["relType"]>;
export type CommandTypeInit = NonNullable<Exclude<MessageInitShape<typeof CommandSchema>, Command>["commandType"]>;

/**
 * A new Relation with a fresh plan id, so columns can name it (self-joins, df.col()). When its expressions
 * use DataFrames as subqueries (df.scalar() & co.), it is wrapped, as pyspark does, in a WithRelations
 * carrying those DataFrames' relations, under a second fresh id that the new DataFrame is known by.
 */
export function newRelation(core: SessionCore, relType: RelTypeInit): Relation {
  const relation = create(RelationSchema, { common: { planId: core.nextPlanId() }, relType });
  const references = subqueryReferences(relation);
  if (references.length === 0) return relation;
  return create(RelationSchema, { common: { planId: core.nextPlanId() }, relType: { case: "withRelations", value: { root: relation, references } } });
}

export function rootPlan(relation: Relation): Plan {
  return create(PlanSchema, { opType: { case: "root", value: relation } });
}

export function commandPlan(commandType: CommandTypeInit): Plan {
  return create(PlanSchema, { opType: { case: "command", value: create(CommandSchema, { commandType }) } });
}

/**
 * Runs a plan: every job goes through here so that Observations in it (df.observe) receive the metrics
 * the server reports at the end, whichever action ran it; `onExecutionInfo` receives the action's metrics.
 */
export function executePlan(core: SessionCore, plan: Plan, signal?: AbortSignal, onExecutionInfo?: ExecutionInfoSink): AsyncIterable<ExecutePlanResponse> {
  const responses = withObservations(plan, core.execute(plan, { signal }));
  if (onExecutionInfo === undefined) return responses;
  let aliases: Map<string, string[]> | undefined;
  return withExecutionInfo(responses, onExecutionInfo, () => (aliases ??= observationAliases(plan)));
}

/** Runs a command plan to completion; most commands answer with nothing the caller needs. */
export async function runCommand(core: SessionCore, commandType: CommandTypeInit, signal?: AbortSignal, onExecutionInfo?: ExecutionInfoSink): Promise<void> {
  await commandResponses(core, commandType, signal, onExecutionInfo);
}

/** Runs a command plan to completion and returns its responses (a few: a result, metrics, completion). */
export async function commandResponses(core: SessionCore, commandType: CommandTypeInit, signal?: AbortSignal, onExecutionInfo?: ExecutionInfoSink): Promise<ExecutePlanResponse[]> {
  const responses: ExecutePlanResponse[] = [];
  for await (const response of executePlan(core, commandPlan(commandType), signal, onExecutionInfo)) responses.push(response);
  return responses;
}

/**
 * For what older servers lack: a clear error naming the feature and the version it needs, instead of
 * the server's "unknown relation" (3.5 rejects messages it has no case for). Unknown versions pass.
 */
export function requireServerVersion(core: SessionCore, minimum: "4.0" | "4.1", feature: string): void {
  const version = core.version;
  if (!serverPredates(version, minimum)) return;
  throw new SparkConnectError(`${feature} needs Spark ${minimum}+; this server runs Spark ${version}.`, {
    errorClass: "UNSUPPORTED_BY_SERVER_VERSION",
    messageParameters: { feature, serverVersion: String(version), minimumVersion: minimum },
    fix: `Use a Spark ${minimum}+ server, or leave out ${feature}.`,
  });
}

/** Whether a server of `version` ("3.5.7") is older than `minimum` ("4.1"); an unknown version is not. */
export function serverPredates(version: string | undefined, minimum: "4.0" | "4.1"): boolean {
  const [major = NaN, minor = NaN] = (version ?? "").split(".").map((n) => Number.parseInt(n, 10));
  const [wantMajor = 0, wantMinor = 0] = minimum.split(".").map(Number);
  return Number.isFinite(major) && (major < wantMajor || (major === wantMajor && minor < wantMinor));
}

/** `spark.range`: one LongType column `id` from start (inclusive) to end (exclusive). */
export function rangeRelation(core: SessionCore, start: bigint, end: bigint, step: bigint = 1n, numPartitions?: number): Relation {
  if (step === 0n) throw new RangeError("range(): step must not be 0.");
  return newRelation(core, { case: "range", value: { start, end, step, numPartitions } });
}

/** `spark.table(name)` / `spark.read.table(name)`. */
export function tableRelation(core: SessionCore, name: string, options: Record<string, string> = {}): Relation {
  return newRelation(core, { case: "read", value: { readType: { case: "namedTable", value: { unparsedIdentifier: name, options } } } });
}

/**
 * `spark.createDataFrame(rows, schema?)` as a LocalRelation: rows as an Arrow IPC stream plus the schema's
 * JSON (as pyspark sends it), so the server applies exact names, types and nullability. Without a schema
 * one is inferred (see arrow-encode.ts). A DDL string schema is parsed client-side by typestring.ts; a
 * single type ("int") becomes one column named "value", as in pyspark.
 */
export function localRelationFromRows(core: SessionCore, rows: readonly Row[], schema?: DataTypeInput): Relation {
  const struct = schema === undefined ? undefined : asStruct(schema);
  const encoded = encodeRows(rows, struct);
  return newRelation(core, {
    case: "localRelation",
    value: { data: encoded.ipc, schema: toJSON(encoded.schema) },
  });
}

function asStruct(schema: DataTypeInput): StructType {
  const type = typeof schema === "string" ? fromProto(parseTypeString(schema)) : schema;
  return type.type === "struct" ? type : { type: "struct", fields: [{ name: "value", dataType: type, nullable: true }] };
}
