import { create } from "@bufbuild/protobuf";
import type { Table } from "apache-arrow";
import { AnalyzePlanRequest_SchemaSchema } from "../../../gen/spark/connect/base_pb.js";
import { Aggregate_GroupType } from "../../../gen/spark/connect/relations_pb.js";
import type { Relation } from "../../../gen/spark/connect/relations_pb.js";
import type { RowsAs } from "../../arrow/decode.js";
import { withDecoder } from "../../arrow/lazy.js";
import { call, toExpr } from "../column/column.js";
import type { SessionCore } from "../../core.js";
import { fromProto, type StructType } from "../../types/datatypes.js";
import { executePlan, newRelation, rootPlan, runCommand } from "../plans.js";
import { expectResult } from "./show.js";
import type { ExecutionInfoSink } from "./observation.js";

/** Options every action takes. */
export interface ActionOptions {
  /** Cancels the running operation. */
  signal?: AbortSignal;
}

/** @internal What a DataFrame's action passes down: the caller's options plus where its ExecutionInfo goes. */
export interface RunOptions extends ActionOptions {
  onExecutionInfo?: ExecutionInfoSink;
}

/** collect() and toLocalIterator() options. */
export interface CollectOptions extends ActionOptions {
  /** "object" (default): rows keyed by column name; "array": values in column order, duplicates kept. */
  rowsAs?: RowsAs;
}

export async function executeToArrow(core: SessionCore, relation: Relation, options: RunOptions = {}): Promise<Table> {
  const { decode, responses } = await withDecoder(executePlan(core, rootPlan(relation), options.signal, options.onExecutionInfo));
  return await decode.readArrowTable(responses);
}

export async function collectRows(core: SessionCore, relation: Relation, options: CollectOptions & RunOptions = {}): Promise<Record<string, unknown>[] | unknown[][]> {
  const rowsAs = rowsAsOption(options);
  const { decode, responses } = await withDecoder(executePlan(core, rootPlan(relation), options.signal, options.onExecutionInfo));
  return decode.tableToRows(await decode.readArrowTable(responses), rowsAs);
}

/**
 * toLocalIterator: each response's Arrow batch is decoded when it arrives and its rows handed out before the
 * next is read, so only one batch (the server's ~4 MiB) is held; grpc-js applies back-pressure meanwhile.
 */
export async function* localIterator(core: SessionCore, relation: Relation, options: CollectOptions & RunOptions = {}): AsyncGenerator<Record<string, unknown> | unknown[]> {
  const rowsAs = rowsAsOption(options);
  const { decode, responses } = await withDecoder(executePlan(core, rootPlan(relation), options.signal, options.onExecutionInfo));
  for await (const response of responses) {
    if (response.responseType.case !== "arrowBatch") continue;
    for (const batch of decode.tableFromIPC(response.responseType.value.data).batches) yield* decode.batchToRows(batch, rowsAs);
  }
}

function rowsAsOption(options: CollectOptions): RowsAs {
  const { rowsAs = "object" } = options;
  if (rowsAs !== "object" && rowsAs !== "array") throw new TypeError(`rowsAs must be "object" or "array", got ${JSON.stringify(rowsAs)}.`);
  return rowsAs;
}

/** Rows the server sends, counted from batch headers without decoding them (for isEmpty). */
export async function countReturnedRows(core: SessionCore, relation: Relation, options: RunOptions = {}): Promise<bigint> {
  let rows = 0n;
  for await (const response of executePlan(core, rootPlan(relation), options.signal, options.onExecutionInfo)) {
    if (response.responseType.case === "arrowBatch") rows += response.responseType.value.rowCount;
  }
  return rows;
}

/**
 * `count()` the way pyspark does it, as `agg(count(1))`. Returns a number; a count beyond
 * Number.MAX_SAFE_INTEGER throws rather than silently rounding.
 */
export async function countAll(core: SessionCore, input: Relation, options: RunOptions = {}): Promise<number> {
  const relation = newRelation(core, {
    case: "aggregate",
    value: {
      input,
      groupType: Aggregate_GroupType.GROUPBY,
      groupingExpressions: [],
      aggregateExpressions: [call("count", [toExpr(1)])],
    },
  });
  const table = await executeToArrow(core, relation, options);
  const cell = table.getChildAt(0)?.get(0) as unknown;
  if (typeof cell !== "bigint" && typeof cell !== "number") throw new Error("The server's count() result had no numeric cell.");
  const n = Number(cell);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`count() is ${String(cell)}, beyond Number.MAX_SAFE_INTEGER; use df.agg(count(lit(1))).collect() to get it as a bigint.`);
  }
  return n;
}

export async function analyzeSchema(core: SessionCore, relation: Relation): Promise<StructType> {
  const response = await core.analyze({ case: "schema", value: create(AnalyzePlanRequest_SchemaSchema, { plan: rootPlan(relation) }) });
  const proto = expectResult(response, "schema").schema;
  if (proto === undefined) throw new Error("AnalyzePlan(schema) returned no schema.");
  const type = fromProto(proto);
  if (type.type !== "struct") throw new Error(`AnalyzePlan(schema) returned a ${type.type}, not a struct.`);
  return type;
}

export interface ViewOptions {
  isGlobal: boolean;
  replace: boolean;
}

/** createTempView & co.: a CreateDataFrameViewCommand, run to completion. */
export async function createView(core: SessionCore, input: Relation, name: string, view: ViewOptions, options: RunOptions = {}): Promise<void> {
  if (typeof name !== "string" || name === "") throw new TypeError("A view needs a non-empty name.");
  await runCommand(core, { case: "createDataframeView", value: { input, name, isGlobal: view.isGlobal, replace: view.replace } }, options.signal, options.onExecutionInfo);
}
