// pyspark.sql.functions' UDF factories (udf, pandas_udf, arrow_udf, udtf, arrow_udtf) by reference.
// Like pyspark's they need no session: what they make is a plan fragment whose command the bundle hook
// of the session it runs on fills. A session without the hook refuses the plan (AUTOBUNDLE_NOT_ENABLED).
// Python type hints can't be read from here, so a vectorized UDF's kind is `functionType` (pyspark's
// PandasUDFType / ArrowUDFType values), SCALAR by default.
import { SparkConnectError } from "../errors.js";
import type { DataTypeInput } from "../types/datatypes.js";
import { parsePythonTarget, pythonUdf, SQL_ARROW_BATCHED_UDF, SQL_BATCHED_UDF, type UserDefinedFunction } from "./udf.js";
import { activeHost, makeUdtf, SQL_ARROW_TABLE_UDF, SQL_ARROW_UDTF, SQL_TABLE_UDF, tableFunction, type UserDefinedTableFunction } from "./udtf-function.js";

/** pyspark's PandasUDFType: the kinds of pandas_udf (PythonEvalType values). */
export const PandasUDFType = Object.freeze({ SCALAR: 200, SCALAR_ITER: 204, GROUPED_MAP: 201, GROUPED_AGG: 202 } as const);
/** pyspark's ArrowUDFType: the kinds of arrow_udf (PythonEvalType values; Spark 4.1+). */
export const ArrowUDFType = Object.freeze({ SCALAR: 250, SCALAR_ITER: 251, GROUPED_AGG: 252 } as const);

/**
 * A row-at-a-time Python UDF of the project's function: `udf("mylib.text:normalize", "string")`.
 * `returnType` defaults to "string" as in pyspark; `useArrow` feeds it through Arrow (pyspark's useArrow).
 */
export function udf(ref: string, returnType: DataTypeInput = "string", options: { useArrow?: boolean } = {}): UserDefinedFunction {
  return pythonUdf(ref, returnType, options.useArrow ? SQL_ARROW_BATCHED_UDF : SQL_BATCHED_UDF);
}

/**
 * A pandas UDF of the project's function: `pandas_udf("mylib.vec:scaled", "double")`. `functionType` is a
 * PandasUDFType (SCALAR by default; SCALAR_ITER, GROUPED_AGG for groupBy().agg(), GROUPED_MAP for
 * groupBy().apply()); pyspark infers it from type hints, which can't be read from JavaScript.
 */
export function pandas_udf(ref: string, returnType: DataTypeInput, functionType: number = PandasUDFType.SCALAR): UserDefinedFunction {
  return vectorized("pandas_udf", "PandasUDFType", PandasUDFType, ref, returnType, functionType);
}

/** An Arrow UDF (pyarrow.Array in and out; Spark 4.1+): `arrow_udf(ref, "double", ArrowUDFType.SCALAR)`. */
export function arrow_udf(ref: string, returnType: DataTypeInput, functionType: number = ArrowUDFType.SCALAR): UserDefinedFunction {
  return vectorized("arrow_udf", "ArrowUDFType", ArrowUDFType, ref, returnType, functionType);
}

function vectorized(api: string, kinds: string, allowed: Readonly<Record<string, number>>, ref: string, returnType: DataTypeInput, functionType: number): UserDefinedFunction {
  if (returnType === undefined || returnType === null) {
    throw new SparkConnectError(`${api}("${ref}"): returnType can't be left out.`, { errorClass: "CANNOT_BE_NONE", fix: `Pass the type the function returns, e.g. ${api}("${ref}", "double").` });
  }
  if (!Object.values(allowed).includes(functionType)) {
    const names = Object.entries(allowed).map(([name, value]) => `${kinds}.${name} (${value})`).join(", ");
    throw new SparkConnectError(`${api}("${ref}"): functionType ${String(functionType)} is not one of ${names}.`, {
      errorClass: "INVALID_PANDAS_UDF_TYPE",
      fix: `Pass one of ${kinds}'s values, e.g. ${kinds}.SCALAR.`,
    });
  }
  return pythonUdf(ref, returnType, functionType);
}

/** udtf() and arrow_udtf() options. */
export interface UdtfOptions {
  /** The struct of each output row ("n int, square int"); left out, the class's static analyze() decides (Spark 4.0+). */
  returnType?: DataTypeInput;
  /** Rows through Arrow (pyspark's useArrow; udtf() only). */
  useArrow?: boolean;
}

/**
 * A Python table function of the project's handler class: `udtf("mylib.gen:Ranges", { returnType: "n int" })`.
 * Called, it runs on the newest live session (pyspark: the active one); `spark.udtf.python` binds one.
 */
export function udtf(ref: string, options: UdtfOptions = {}): UserDefinedTableFunction {
  return tableFunctionOf("udtf", ref, options, options.useArrow ? SQL_ARROW_TABLE_UDF : SQL_TABLE_UDF);
}

/** A UDTF whose eval() takes and yields pyarrow batches (pyspark's arrow_udtf; Spark 4.1+). */
export function arrow_udtf(ref: string, options: Omit<UdtfOptions, "useArrow"> = {}): UserDefinedTableFunction {
  return tableFunctionOf("arrow_udtf", ref, options, SQL_ARROW_UDTF);
}

function tableFunctionOf(api: string, ref: string, options: UdtfOptions, evalType: number): UserDefinedTableFunction {
  // With no returnType the type is a placeholder; only the reference is kept (the class alone is sent).
  const { target, outputType } = parsePythonTarget(ref, options.returnType ?? "struct<>");
  if (options.returnType !== undefined && target.returnType.type !== "struct") {
    throw new SparkConnectError(`${api}("${ref}"): returnType must be a struct of the output columns, not ${target.returnType.type}.`, {
      errorClass: "INVALID_RESULT_SCHEMA",
      fix: 'Pass the output columns, e.g. { returnType: "n int, square int" }, or leave it out for a class with analyze().',
    });
  }
  const toFunction = tableFunction(target, options.returnType === undefined ? undefined : outputType, evalType, true);
  const name = target.qualname.slice(target.qualname.lastIndexOf(".") + 1);
  return makeUdtf(name, evalType, ref, toFunction, (fn) => activeHost(ref).tableFunctionDataFrame(fn, ref));
}
