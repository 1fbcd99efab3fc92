import { simpleString, Types, type SparkDataType, type StructField, type StructType } from "../types/datatypes.js";
import { describeJsValue, isPlainObject } from "../types/literal.js";

/** A createDataFrame row: a plain object keyed by column name, or an array of values by position. */
export type Row = Readonly<Record<string, unknown>> | readonly unknown[];

export const SUPPORTED_ROW_VALUES =
  "string, number, bigint, boolean, Date, Uint8Array, null, arrays, plain objects (structs) and Maps of those";

/**
 * Infers a schema from rows, like pyspark does for lists of dicts, with JS types:
 *
 * | JS value       | Spark type                                       |
 * | -------------- | ------------------------------------------------ |
 * | string         | string                                           |
 * | number         | bigint (long) if every value is a safe integer, else double |
 * | bigint         | bigint (long)                                    |
 * | boolean        | boolean                                          |
 * | Date           | timestamp                                        |
 * | Uint8Array     | binary                                           |
 * | array          | array<merged element type>                       |
 * | plain object   | struct (fields merged across rows, first-seen order) |
 * | Map            | map<merged key type, merged value type>          |
 *
 * Columns follow the first-seen key order (pyspark sorts dict keys; JS objects keep their order, which
 * is what JS users expect). Array rows name columns _1, _2, ... Everything is nullable. A column that is
 * only null (or only empty arrays) cannot be typed and is an error asking for a schema.
 */
export function inferSchema(rows: readonly Row[]): StructType {
  if (rows.length === 0) throw new TypeError("createDataFrame: cannot infer a schema from zero rows; pass a schema, e.g. \"name string, n int\".");
  const names = columnNames(rows);
  const fields: StructField[] = names.map((name, column) => {
    let type: SparkDataType | undefined;
    rows.forEach((row, rowIndex) => {
      const value = Array.isArray(row) ? row[column] : (row as Record<string, unknown>)[name];
      const where = { column: name, row: rowIndex };
      type = merge(type, inferValue(value, where), where, value);
    });
    if (type === undefined || containsUnknown(type)) {
      throw new TypeError(`createDataFrame: column "${name}" has only nulls (or empty arrays/maps), so its type cannot be inferred; pass a schema, e.g. "${name} string".`);
    }
    return { name, dataType: type, nullable: true };
  });
  return { type: "struct", fields };
}

interface Where {
  column: string;
  row: number;
}

// Marks "no value seen yet" inside arrays/maps, replaced when a later value shows the type.
const UNKNOWN: SparkDataType = Types.null;

function columnNames(rows: readonly Row[]): string[] {
  if (rows.every((r) => Array.isArray(r))) {
    const width = (rows[0] as readonly unknown[]).length;
    rows.forEach((r, i) => {
      if ((r as readonly unknown[]).length !== width) {
        throw new TypeError(`createDataFrame: row ${i} has ${(r as readonly unknown[]).length} values but row 0 has ${width}; array rows must all have the same length.`);
      }
    });
    return Array.from({ length: width }, (_, i) => `_${i + 1}`);
  }
  const names = new Set<string>();
  rows.forEach((row, i) => {
    if (!isPlainObject(row)) {
      throw new TypeError(`createDataFrame: row ${i} is ${describeJsValue(row)}; rows must all be plain objects keyed by column name (or all arrays).`);
    }
    for (const key of Object.keys(row)) names.add(key);
  });
  return [...names];
}

function inferValue(value: unknown, where: Where): SparkDataType | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case "string":
      return Types.string;
    case "boolean":
      return Types.boolean;
    case "bigint":
      return Types.long;
    case "number":
      return Number.isSafeInteger(value) ? Types.long : Types.double;
  }
  if (value instanceof Date) return Types.timestamp;
  if (value instanceof Uint8Array) return Types.binary;
  if (Array.isArray(value)) {
    let element: SparkDataType | undefined;
    for (const v of value) element = merge(element, inferValue(v, where), where, v);
    return Types.array(element ?? UNKNOWN);
  }
  if (value instanceof Map) {
    let key: SparkDataType | undefined;
    let val: SparkDataType | undefined;
    for (const [k, v] of value) {
      if (k === null || k === undefined) throw unsupported(where, k, "map keys must not be null");
      key = merge(key, inferValue(k, where), where, k);
      val = merge(val, inferValue(v, where), where, v);
    }
    return Types.map(key ?? UNKNOWN, val ?? UNKNOWN);
  }
  if (isPlainObject(value)) {
    return Types.struct(Object.entries(value).map(([k, v]) => ({ name: k, dataType: inferValue(v, where) ?? UNKNOWN, nullable: true })));
  }
  throw unsupported(where, value, "unsupported type");
}

function merge(a: SparkDataType | undefined, b: SparkDataType | undefined, where: Where, value: unknown): SparkDataType | undefined {
  if (a === undefined || a === UNKNOWN) return b ?? a;
  if (b === undefined || b === UNKNOWN) return a;
  if (a.type === b.type) {
    if (a.type === "array" && b.type === "array") return Types.array(merge(a.elementType, b.elementType, where, value) ?? UNKNOWN);
    if (a.type === "map" && b.type === "map") {
      return Types.map(merge(a.keyType, b.keyType, where, value) ?? UNKNOWN, merge(a.valueType, b.valueType, where, value) ?? UNKNOWN);
    }
    if (a.type === "struct" && b.type === "struct") return mergeStructs(a, b, where, value);
    return a;
  }
  const numbers = new Set([a.type, b.type]);
  if (numbers.size === 2 && numbers.has("long") && numbers.has("double")) return Types.double;
  throw unsupported(where, value, `it does not match the ${simpleString(a)} values before it; a column must hold one type`);
}

function mergeStructs(a: StructType, b: StructType, where: Where, value: unknown): StructType {
  const fields = a.fields.map((f) => {
    const other = b.fields.find((g) => g.name === f.name);
    return other ? { ...f, dataType: merge(f.dataType, other.dataType, where, value) ?? UNKNOWN } : f;
  });
  for (const g of b.fields) if (!a.fields.some((f) => f.name === g.name)) fields.push(g);
  return Types.struct(fields);
}

function containsUnknown(t: SparkDataType): boolean {
  if (t === UNKNOWN || t.type === "null") return true;
  if (t.type === "array") return containsUnknown(t.elementType);
  if (t.type === "map") return containsUnknown(t.keyType) || containsUnknown(t.valueType);
  if (t.type === "struct") return t.fields.some((f) => containsUnknown(f.dataType));
  return false;
}

function unsupported(where: Where, value: unknown, reason: string): TypeError {
  return new TypeError(
    `createDataFrame: column "${where.column}", row ${where.row}: ${describeJsValue(value)} — ${reason}. ` +
      `Supported values: ${SUPPORTED_ROW_VALUES}; or pass a schema to convert values.`,
  );
}
