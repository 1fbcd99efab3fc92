import { call, Column, col, expression, toColumn, toExpr, type ColumnOrName } from "./column.js";
import type { DataFrame } from "../dataframe/dataframe.js";
import type { SparkDataType } from "../../types/datatypes.js";
import { describeJsValue, toLiteral } from "../../types/literal.js";
import { array } from "../../../gen/functions.js";

/**
 * pyspark.sql.functions. Almost all are generated (src/gen/functions.ts, from pyspark 4.1's own
 * signatures and the calls its Connect client sends): a ColumnOrName string is a column name; where
 * pyspark takes a Python value (a format, a pattern, a count) the JS value is sent as a literal.
 * Written here, by hand: what is not a plain call (lit, col, expr, when, sort orders, broadcast,
 * call_function), count("*"), and the escape hatch `fn`. Lambdas are in higher-order.ts.
 * Each is sent by name and never checked here, so a function the server lacks fails with Spark's own
 * error (UNRESOLVED_ROUTINE).
 */
export * from "../../../gen/functions.js";
export * from "./higher-order.js";
export { udf, pandas_udf, arrow_udf, udtf, arrow_udtf, PandasUDFType, ArrowUDFType, type UdtfOptions } from "../../python/factories.js";
export { UserDefinedFunction } from "../../python/udf.js";
export { UserDefinedTableFunction } from "../../python/udtf-function.js";
export { col, Column, type ColumnOrName };
export const column = col;

/**
 * A literal Column (see literal.ts for the JS → Spark mapping). Arrays become `array(lit(x), ...)` as in
 * pyspark; pass `type` for typed nulls or to force a type, e.g. `lit(null, Types.string)`, `lit(5, Types.long)`.
 */
export function lit(value: unknown, type?: SparkDataType): Column {
  if (value instanceof Column) return value;
  if (Array.isArray(value) && type === undefined) {
    if (value.some((v) => v instanceof Column)) throw new TypeError("lit() of an array cannot hold Columns; use array(...) instead.");
    return array(...value.map((v: unknown) => lit(v)));
  }
  return new Column(expression({ case: "literal", value: toLiteral(value, type) }));
}

/** A SQL expression parsed by the server, e.g. `expr("a + 1 AS b")`. */
export function expr(sql: string): Column {
  return new Column(expression({ case: "expressionString", value: { expression: sql } }));
}

/**
 * Any SQL function by name, for what the library lacks (a newer Spark's function, a session UDF).
 * A string argument is a column name; any other JS value (number, boolean, Date, ...) is a literal:
 * `fn("date_add", "d", 1)`. For a string literal wrap it: `fn("lpad", "s", 3, lit("x"))`.
 * `fn.distinct(name, ...)` is the DISTINCT form: `fn.distinct("count", "k")` is COUNT(DISTINCT k).
 */
export const fn = Object.assign(
  function fn(name: string, ...args: unknown[]): Column {
    return new Column(call(checkName(name), args.map(fnArgument)));
  },
  {
    distinct(name: string, ...args: unknown[]): Column {
      return new Column(call(checkName(name), args.map(fnArgument), true));
    },
  },
);

function checkName(name: unknown): string {
  if (typeof name !== "string" || name === "") throw new TypeError(`fn(name, ...args): name must be a function's name, got ${describeJsValue(name)}.`);
  return name;
}

function fnArgument(arg: unknown) {
  return typeof arg === "string" ? col(arg).expr : toExpr(arg);
}

/** Starts a CASE WHEN; continue with `.when(...)` and finish with `.otherwise(...)`. */
export function when(condition: Column, value: unknown): Column {
  if (!(condition instanceof Column)) throw new TypeError(`when(condition, value): condition must be a Column, got ${describeJsValue(condition)}.`);
  return new Column(call("when", [condition.expr, lit(value).expr]));
}

/** `count("*")` counts rows: pyspark sends it as count(1). */
export function count(c: ColumnOrName): Column {
  const column = toColumn(c);
  return new Column(call("count", [column.expr.exprType.case === "unresolvedStar" ? lit(1).expr : column.expr]));
}

/** Calls a function by its (possibly qualified) SQL name, resolved like SQL text (CallFunction). */
export function call_function(funcName: string, ...cols: ColumnOrName[]): Column {
  return new Column(expression({ case: "callFunction", value: { functionName: checkName(funcName), arguments: cols.map((c) => toColumn(c).expr) } }));
}

/** Calls a registered UDF (or any function) by name, with columns as arguments. */
export function call_udf(udfName: string, ...cols: ColumnOrName[]): Column {
  return new Column(call(checkName(udfName), cols.map((c) => toColumn(c).expr)));
}

/** Marks a DataFrame as small enough to broadcast in joins: `df.hint("broadcast")`, as pyspark does. */
export function broadcast(df: DataFrame): DataFrame {
  if (typeof (df as { hint?: unknown } | null)?.hint !== "function") throw new TypeError(`broadcast(df): pass a DataFrame, got ${describeJsValue(df)}.`);
  return df.hint("broadcast");
}

// Sort orders
export const asc = (c: ColumnOrName) => toColumn(c).asc();
export const desc = (c: ColumnOrName) => toColumn(c).desc();
export const asc_nulls_first = (c: ColumnOrName) => toColumn(c).asc_nulls_first();
export const asc_nulls_last = (c: ColumnOrName) => toColumn(c).asc_nulls_last();
export const desc_nulls_first = (c: ColumnOrName) => toColumn(c).desc_nulls_first();
export const desc_nulls_last = (c: ColumnOrName) => toColumn(c).desc_nulls_last();
