import { create } from "@bufbuild/protobuf";
import {
  CommonInlineUserDefinedFunctionSchema,
  type CommonInlineUserDefinedFunction,
  type Expression,
} from "../../gen/spark/connect/expressions_pb.js";
import type { SessionCore } from "../core.js";
import type { DataTypeInput } from "../types/datatypes.js";
import { SparkConnectError } from "../errors.js";
import { pythonTarget, pythonUdfPlaceholder } from "./udf.js";

// pyspark's PythonEvalType values for the relation-level vectorized functions.
export const SQL_GROUPED_MAP_PANDAS_UDF = 201;
export const SQL_GROUPED_MAP_ARROW_UDF = 209;
export const SQL_MAP_PANDAS_ITER_UDF = 205;
export const SQL_MAP_ARROW_ITER_UDF = 207;
export const SQL_COGROUPED_MAP_PANDAS_UDF = 206;
export const SQL_COGROUPED_MAP_ARROW_UDF = 210;

/**
 * The function message of mapInPandas / mapInArrow / applyInPandas: a PythonUDF placeholder (the bundle
 * hook fills its (func, return_type) command per job) whose output type is the result schema.
 * Like pyspark, the arguments are the input's columns when given; the server reads the input itself otherwise.
 */
export function vectorizedFunction(
  core: SessionCore,
  api: string,
  ref: string,
  schema: DataTypeInput,
  evalType: number,
  args: Expression[] = [],
): CommonInlineUserDefinedFunction {
  const { target, outputType } = pythonTarget(core.udf?.pythonEnabled ?? false, api, ref, schema);
  if (target.returnType.type !== "struct") {
    throw new SparkConnectError(`${api}("${ref}", ...): the schema must be a struct of the result's columns, not ${target.returnType.type}.`, {
      errorClass: "INVALID_RESULT_SCHEMA",
      fix: 'Pass the output columns, e.g. "id long, label string" or "struct<id:bigint,label:string>".',
    });
  }
  const name = target.qualname.slice(target.qualname.lastIndexOf(".") + 1);
  return create(CommonInlineUserDefinedFunctionSchema, {
    functionName: name,
    deterministic: true,
    arguments: args,
    function: { case: "pythonUdf", value: pythonUdfPlaceholder(target, outputType, evalType) },
  });
}
