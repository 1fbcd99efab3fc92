import { call, Column, col, expression, toColumn, type ColumnOrName } from "./column.js";
import type { SparkDataType } from "../types/datatypes.js";
import { describeJsValue, toLiteral } from "../types/literal.js";

/**
 * Spark SQL built-in functions, built the way pyspark's Connect client builds them: an unresolved
 * function by name (read by Spark 3.5 and 4.x alike). String arguments are column names, except where
 * pyspark takes a literal (patterns, formats, separators), noted per function. Use `fn(name, ...)` for
 * any built-in not listed here.
 */
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

/** Any function by name, with columns (or column names) as arguments. */
export function fn(name: string, ...cols: ColumnOrName[]): Column {
  return new Column(call(name, cols.map((c) => toColumn(c).expr)));
}

/** Starts a CASE WHEN; continue with `.when(...)` and finish with `.otherwise(...)`. */
export function when(condition: Column, value: unknown): Column {
  if (!(condition instanceof Column)) throw new TypeError(`when(condition, value): condition must be a Column, got ${describeJsValue(condition)}.`);
  return new Column(call("when", [condition.expr, lit(value).expr]));
}

function invoke(name: string, ...args: Column[]): Column {
  return new Column(call(name, args.map((a) => a.expr)));
}

// Strings
export const upper = (c: ColumnOrName) => fn("upper", c);
export const lower = (c: ColumnOrName) => fn("lower", c);
export const length = (c: ColumnOrName) => fn("length", c);
export const ltrim = (c: ColumnOrName) => fn("ltrim", c);
export const rtrim = (c: ColumnOrName) => fn("rtrim", c);
export const concat = (...cols: ColumnOrName[]) => fn("concat", ...cols);
/** `trimChars` (a column or name) is what to strip; pyspark passes it first. */
export const trim = (c: ColumnOrName, trimChars?: ColumnOrName) => (trimChars === undefined ? fn("trim", c) : fn("trim", trimChars, c));
/** `sep` is a literal string. */
export const concat_ws = (sep: string, ...cols: ColumnOrName[]) => invoke("concat_ws", lit(sep), ...cols.map(toColumn));
/** 1-based `pos`; numbers are literals, strings column names. */
export const substring = (c: ColumnOrName, pos: number | ColumnOrName, len: number | ColumnOrName) =>
  invoke("substring", toColumn(c), intOrColumn(pos), intOrColumn(len));
/** `pattern` is a literal regex. */
export const regexp_extract = (c: ColumnOrName, pattern: string, idx: number) => invoke("regexp_extract", toColumn(c), lit(pattern), lit(idx));
/** `pattern` and `replacement` are literals unless given as Columns. */
export const regexp_replace = (c: ColumnOrName, pattern: string | Column, replacement: string | Column) =>
  invoke("regexp_replace", toColumn(c), lit(pattern), lit(replacement));
/** `pattern` is a literal regex; `limit` -1 means no limit. */
export const split = (c: ColumnOrName, pattern: string | Column, limit: number | ColumnOrName = -1) =>
  invoke("split", toColumn(c), lit(pattern), intOrColumn(limit));

// Dates and times; `format` is a literal Spark datetime pattern.
export const to_date = (c: ColumnOrName, format?: string) => (format === undefined ? fn("to_date", c) : invoke("to_date", toColumn(c), lit(format)));
export const to_timestamp = (c: ColumnOrName, format?: string) =>
  format === undefined ? fn("to_timestamp", c) : invoke("to_timestamp", toColumn(c), lit(format));
export const date_format = (c: ColumnOrName, format: string) => invoke("date_format", toColumn(c), lit(format));
export const year = (c: ColumnOrName) => fn("year", c);
export const month = (c: ColumnOrName) => fn("month", c);
export const dayofmonth = (c: ColumnOrName) => fn("dayofmonth", c);
export const current_date = () => fn("current_date");
export const current_timestamp = () => fn("current_timestamp");

// Math
export const abs = (c: ColumnOrName) => fn("abs", c);
export const sqrt = (c: ColumnOrName) => fn("sqrt", c);
/** `scale` is a literal number of decimal places. */
export const round = (c: ColumnOrName, scale?: number) => (scale === undefined ? fn("round", c) : invoke("round", toColumn(c), lit(scale)));
export const floor = (c: ColumnOrName, scale?: number) => (scale === undefined ? fn("floor", c) : invoke("floor", toColumn(c), lit(scale)));
export const ceil = (c: ColumnOrName, scale?: number) => (scale === undefined ? fn("ceil", c) : invoke("ceil", toColumn(c), lit(scale)));
export const coalesce = (...cols: ColumnOrName[]) => fn("coalesce", ...cols);

// Aggregates
/** `count("*")` counts rows: pyspark sends it as count(1). */
export function count(c: ColumnOrName): Column {
  const column = toColumn(c);
  return column.expr.exprType.case === "unresolvedStar" ? invoke("count", lit(1)) : invoke("count", column);
}
export function countDistinct(c: ColumnOrName, ...cols: ColumnOrName[]): Column {
  return new Column(call("count", [c, ...cols].map((x) => toColumn(x).expr), true));
}
export const count_distinct = countDistinct;
export const sum = (c: ColumnOrName) => fn("sum", c);
export const avg = (c: ColumnOrName) => fn("avg", c);
export const mean = (c: ColumnOrName) => fn("mean", c);
export const min = (c: ColumnOrName) => fn("min", c);
export const max = (c: ColumnOrName) => fn("max", c);
export const first = (c: ColumnOrName, ignoreNulls = false) => invoke("first", toColumn(c), lit(ignoreNulls));
export const last = (c: ColumnOrName, ignoreNulls = false) => invoke("last", toColumn(c), lit(ignoreNulls));
export const collect_list = (c: ColumnOrName) => fn("collect_list", c);
export const collect_set = (c: ColumnOrName) => fn("collect_set", c);

// Collections
export const explode = (c: ColumnOrName) => fn("explode", c);
export const size = (c: ColumnOrName) => fn("size", c);
export const array = (...cols: ColumnOrName[]) => fn("array", ...cols);
export const struct = (...cols: ColumnOrName[]) => fn("struct", ...cols);

// Sorting
export const asc = (c: ColumnOrName) => toColumn(c).asc();
export const desc = (c: ColumnOrName) => toColumn(c).desc();

function intOrColumn(value: number | ColumnOrName): Column {
  return typeof value === "number" ? lit(value) : toColumn(value);
}
