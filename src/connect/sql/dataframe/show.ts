import { create } from "@bufbuild/protobuf";
import {
  AnalyzePlanRequest_Explain_ExplainMode as ExplainMode,
  AnalyzePlanRequest_ExplainSchema,
  AnalyzePlanRequest_TreeStringSchema,
  type AnalyzePlanResponse,
} from "../../../gen/spark/connect/base_pb.js";
import type { Relation } from "../../../gen/spark/connect/relations_pb.js";
import { withDecoder } from "../../arrow/lazy.js";
import type { SessionCore } from "../../core.js";
import { executePlan, newRelation, rootPlan } from "../plans.js";
import type { ExecutionInfoSink } from "./observation.js";

export type ExplainModeName = "simple" | "extended" | "codegen" | "cost" | "formatted";

const EXPLAIN_MODES: Record<ExplainModeName, ExplainMode> = {
  simple: ExplainMode.SIMPLE,
  extended: ExplainMode.EXTENDED,
  codegen: ExplainMode.CODEGEN,
  cost: ExplainMode.COST,
  formatted: ExplainMode.FORMATTED,
};

/**
 * The text `df.show()` prints, formatted by the server (ShowString relation) so it matches Spark exactly.
 * `truncate`: true cuts cells to 20 characters, false not at all, a number to that many (pyspark's rule).
 */
export async function showString(
  core: SessionCore,
  input: Relation,
  numRows: number,
  truncate: boolean | number,
  vertical: boolean,
  signal?: AbortSignal,
  onExecutionInfo?: ExecutionInfoSink,
): Promise<string> {
  requireInt32("show(n)", numRows);
  if (typeof truncate !== "boolean") requireInt32("show(truncate)", truncate);
  if (typeof vertical !== "boolean") throw new TypeError(`show(vertical) must be a boolean, got ${typeof vertical}.`);
  const truncateChars = truncate === true ? 20 : truncate === false ? 0 : truncate;
  const relation = newRelation(core, { case: "showString", value: { input, numRows, truncate: truncateChars, vertical } });
  const { decode, responses } = await withDecoder(executePlan(core, rootPlan(relation), signal, onExecutionInfo));
  const table = await decode.readArrowTable(responses);
  const cell = table.getChildAt(0)?.get(0) as unknown;
  if (typeof cell !== "string") throw new Error("The server's ShowString result had no string cell; is the server a Spark Connect 3.4+ server?");
  return cell;
}

/** `printSchema()` text from the server (`root\n |-- a: integer (nullable = true)\n`). */
export async function treeString(core: SessionCore, input: Relation, level?: number): Promise<string> {
  if (level !== undefined) requireInt32("printSchema(level)", level);
  const response = await core.analyze({
    case: "treeString",
    value: create(AnalyzePlanRequest_TreeStringSchema, { plan: rootPlan(input), level }),
  });
  return expectResult(response, "treeString").treeString;
}

/** `explain()` text; `true` means "extended" and `false` "simple", as in pyspark. */
export async function explainString(core: SessionCore, input: Relation, mode: ExplainModeName | boolean = "simple"): Promise<string> {
  const name: ExplainModeName = mode === true ? "extended" : mode === false ? "simple" : mode;
  const explainMode = EXPLAIN_MODES[name];
  if (explainMode === undefined) {
    throw new TypeError(`explain(mode): unknown mode ${JSON.stringify(mode)}; use one of ${Object.keys(EXPLAIN_MODES).join(", ")}.`);
  }
  const response = await core.analyze({
    case: "explain",
    value: create(AnalyzePlanRequest_ExplainSchema, { plan: rootPlan(input), explainMode }),
  });
  return expectResult(response, "explain").explainString;
}

type AnalyzeResult = AnalyzePlanResponse["result"];
type AnalyzeResultValue<C> = Extract<AnalyzeResult, { case: C }> extends { value: infer V } ? V : never;

/** The typed result of an AnalyzePlan response, or an error naming what came instead. */
export function expectResult<C extends NonNullable<AnalyzeResult["case"]>>(response: AnalyzePlanResponse, expected: C): AnalyzeResultValue<C> {
  const result = response.result;
  if (result.case !== expected) throw new Error(`AnalyzePlan(${expected}) was answered with "${result.case ?? "nothing"}".`);
  return result.value as AnalyzeResultValue<C>;
}

export function requireInt32(what: string, n: unknown): asserts n is number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) {
    throw new TypeError(`${what} must be an integer (32-bit), got ${String(n)}.`);
  }
}
