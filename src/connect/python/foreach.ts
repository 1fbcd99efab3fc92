// df.foreach / df.foreachPartition by reference, built as pyspark's Connect client builds them
// (its dataframe.py): foreach is a row-at-a-time UDF over struct(*columns) AS row returning an empty
// struct, foreachPartition a mapInArrow returning no batches; both then run as a job whose rows are
// dropped. On the worker the project's function is handed to a wrapper of the bundle's
// worker/python/foreach.py (PythonFunctionRef.wrapper), which drops its return value.
import { create } from "@bufbuild/protobuf";
import { CommonInlineUserDefinedFunctionSchema } from "../../gen/spark/connect/expressions_pb.js";
import { struct } from "../../gen/functions.js";
import { Column, col, expression } from "../sql/column/column.js";
import type { DataFrame } from "../sql/dataframe/dataframe.js";
import { countReturnedRows, type ActionOptions } from "../sql/dataframe/dataframe-actions.js";
import { pythonTarget, pythonUdfPlaceholder, SQL_BATCHED_UDF, type PythonWrapper } from "./udf.js";
import { SQL_MAP_ARROW_ITER_UDF } from "./vectorized.js";

/** Calls the project's function `ref` with each row (a pyspark Row) on the workers; resolves when all ran. */
export async function foreachRow(df: DataFrame, ref: string, options: ActionOptions = {}): Promise<void> {
  const func = wrapped(df, "foreach", ref, "foreach_row", SQL_BATCHED_UDF);
  const names = await df.columns();
  const rows = df.select(struct(...names.map((name) => col(`\`${name.replaceAll("`", "``")}\``))).alias("row"));
  func.arguments = [col("row").expr];
  await countReturnedRows(df.core, rows.select(new Column(expression({ case: "commonInlineUserDefinedFunction", value: func }))).relation, options);
}

/** Calls the project's function `ref` once per partition with an iterator of its rows (pyspark Rows). */
export async function foreachPartition(df: DataFrame, ref: string, options: ActionOptions = {}): Promise<void> {
  const func = wrapped(df, "foreachPartition", ref, "foreach_partition", SQL_MAP_ARROW_ITER_UDF);
  await countReturnedRows(df.core, df.derive({ case: "mapPartitions", value: { input: df.relation, func } }).relation, options);
}

/** The function message: the project's function behind `wrapper`, returning an empty struct (no columns). */
function wrapped(df: DataFrame, api: string, ref: string, wrapper: PythonWrapper, evalType: number) {
  const { target, outputType } = pythonTarget(df.core.udf?.pythonEnabled ?? false, api, ref, "struct<>");
  const name = target.qualname.slice(target.qualname.lastIndexOf(".") + 1);
  return create(CommonInlineUserDefinedFunctionSchema, {
    functionName: name,
    deterministic: true,
    function: { case: "pythonUdf", value: pythonUdfPlaceholder({ ...target, wrapper }, outputType, evalType) },
  });
}
