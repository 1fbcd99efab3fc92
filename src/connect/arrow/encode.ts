import { createRequire } from "node:module";
import type { Data, DataType as ArrowDataType, Field, Struct } from "apache-arrow";
import { inferSchema, type Row } from "./infer.js";
import { arrowTypeMapping, type ArrowModule } from "./types.js";
import { simpleString, type SparkDataType, type StructType } from "../types/datatypes.js";
import { describeJsValue, isPlainObject } from "../types/literal.js";

export type { Row } from "./infer.js";

// apache-arrow is ~150 modules, about a third of this package's import time (issue 19), and only
// createDataFrame encodes rows. createDataFrame is synchronous, like pyspark's, so the encoder can't
// await an ESM import: it requires apache-arrow's CommonJS build on first use. Only IPC bytes leave this
// module, so its Arrow objects never meet the ESM instance that decodes results (arrow/decode.ts).
const requireCjs = createRequire(import.meta.url);
let loaded: (ArrowModule & ReturnType<typeof arrowTypeMapping>) | undefined;
function arrow(): ArrowModule & ReturnType<typeof arrowTypeMapping> {
  if (loaded === undefined) {
    const module = requireCjs("apache-arrow") as ArrowModule;
    loaded = { ...module, ...arrowTypeMapping(module) };
  }
  return loaded;
}

/**
 * Rows → one Arrow IPC stream for a LocalRelation. Values are converted explicitly to the Arrow layout
 * Spark reads (see arrow-types.ts), not through apache-arrow's builders, whose value conventions
 * (ms vs µs, number vs bigint) vary between versions:
 *
 * | Spark type              | accepted JS values                                          |
 * | ----------------------- | ----------------------------------------------------------- |
 * | tinyint/smallint/int    | integral number (or bigint) in range                        |
 * | bigint                  | safe-integer number, or bigint                              |
 * | float/double            | number (or a bigint that is a safe integer)                 |
 * | decimal(p,s)            | number, bigint or decimal string; must fit exactly          |
 * | string/char/varchar     | string                                                      |
 * | binary                  | Uint8Array                                                  |
 * | boolean                 | boolean                                                     |
 * | date                    | Date (its UTC calendar day)                                 |
 * | timestamp/timestamp_ntz | Date (µs since the epoch; NTZ takes the UTC wall clock)     |
 * | array                   | array                                                       |
 * | map                     | Map, or a plain object (string keys)                        |
 * | struct                  | plain object by field name, or array by position            |
 *
 * Zero rows send no data, only the schema (as pyspark does). Errors name the column, the row, the JS
 * value and what would be accepted.
 */
export function encodeRows(rows: readonly Row[], schema?: StructType): { ipc: Uint8Array | undefined; schema: StructType } {
  const struct = schema ?? inferSchema(rows);
  if (rows.length === 0) return { ipc: undefined, schema: struct };
  const columns = struct.fields.map((f) => ({ field: f, values: [] as unknown[] }));
  rows.forEach((row, r) => splitRow(row, r, struct, columns));
  const rowIndexes = rows.map((_, r) => r);
  const children = columns.map(({ field, values }) => build(field.dataType, values, rowIndexes, field.name, field.nullable));
  const { toArrowSchema, makeData, Struct, tableToIPC, Table, RecordBatch } = arrow();
  const arrowSchema = toArrowSchema(struct);
  const data = makeData({ type: new Struct(arrowSchema.fields as Field[]), length: rows.length, nullCount: 0, children });
  return { ipc: tableToIPC(new Table([new RecordBatch(arrowSchema, data)]), "stream"), schema: struct };
}

function splitRow(row: Row, r: number, struct: StructType, columns: { values: unknown[] }[]): void {
  const names = struct.fields.map((f) => f.name);
  if (Array.isArray(row)) {
    if (row.length !== names.length) {
      throw new TypeError(`createDataFrame: row ${r} has ${row.length} values but the schema has ${names.length} columns (${names.join(", ")}).`);
    }
    row.forEach((v, i) => columns[i]!.values.push(v));
    return;
  }
  if (!isPlainObject(row)) throw new TypeError(`createDataFrame: row ${r} is ${describeJsValue(row)}; rows must be plain objects or arrays.`);
  for (const key of Object.keys(row)) {
    if (!names.includes(key)) {
      throw new TypeError(`createDataFrame: row ${r} has key "${key}", which is not in the schema (${names.join(", ")}); add it to the schema or drop it.`);
    }
  }
  names.forEach((name, i) => columns[i]!.values.push(row[name]));
}

// Children of a null struct/list/map slot: present in Arrow's layout but never read, so NOT NULL does not apply.
const UNDER_NULL_PARENT = Symbol("under null parent");

/** Builds one Arrow column; `rows[i]` is the top-level row of `values[i]`, for error messages. */
function build(type: SparkDataType, values: readonly unknown[], rows: readonly number[], path: string, nullable: boolean): Data {
  const length = values.length;
  const nullBitmap = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined || v === UNDER_NULL_PARENT) {
      if (v !== UNDER_NULL_PARENT && !nullable) {
        throw new TypeError(`createDataFrame: column "${path}", row ${rows[i]}: null in a NOT NULL field; give a value or make the field nullable.`);
      }
      nullCount++;
    } else {
      nullBitmap[i >> 3]! |= 1 << (i & 7);
    }
  });
  const present = (i: number) => (nullBitmap[i >> 3]! & (1 << (i & 7))) !== 0;
  const fail = (i: number, accepted: string) =>
    new TypeError(
      `createDataFrame: column "${path}", row ${rows[i]}: ${describeJsValue(values[i])} cannot be stored as ${simpleString(type)}; ` +
        `expected ${accepted}.`,
    );
  const arrowType = arrow().toArrowType(type);
  const base = { type: arrowType, length, nullCount, nullBitmap } as const;
  const fixed = <A extends { [i: number]: unknown }>(array: A, convert: (v: unknown, i: number) => A[number]): A => {
    for (let i = 0; i < length; i++) if (present(i)) array[i] = convert(values[i], i);
    return array;
  };

  switch (type.type) {
    case "null":
      for (let i = 0; i < length; i++) if (present(i)) throw fail(i, "null");
      return arrowData({ type: arrowType, length });
    case "boolean": {
      const bits = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) {
        if (!present(i)) continue;
        if (typeof values[i] !== "boolean") throw fail(i, "a boolean");
        if (values[i]) bits[i >> 3]! |= 1 << (i & 7);
      }
      return arrowData({ ...base, data: bits });
    }
    case "byte":
    case "short":
    case "integer": {
      const bits = { byte: 8, short: 16, integer: 32 }[type.type];
      const array = { byte: Int8Array, short: Int16Array, integer: Int32Array }[type.type];
      const [min, max] = [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
      const data = fixed(new array(length), (v, i) => {
        const n = typeof v === "bigint" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw fail(i, `an integer from ${min} to ${max}`);
        return n;
      });
      return arrowData({ ...base, data });
    }
    case "long": {
      const data = fixed(new BigInt64Array(length), (v, i) => {
        if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
        if (typeof v === "bigint" && BigInt.asIntN(64, v) === v) return v;
        throw fail(i, "a safe-integer number or a bigint in the int64 range");
      });
      return arrowData({ ...base, data });
    }
    case "float":
    case "double": {
      const data = fixed(type.type === "float" ? new Float32Array(length) : new Float64Array(length), (v, i) => {
        if (typeof v === "number") return v;
        if (typeof v === "bigint" && Number.isSafeInteger(Number(v))) return Number(v);
        throw fail(i, "a number");
      });
      return arrowData({ ...base, data });
    }
    case "decimal": {
      const data = new Uint32Array(length * 4);
      for (let i = 0; i < length; i++) {
        if (!present(i)) continue;
        const unscaled = decimalToUnscaled(values[i], type.precision, type.scale);
        if (typeof unscaled === "string") throw fail(i, unscaled);
        writeInt128(data, i, unscaled);
      }
      return arrowData({ ...base, data });
    }
    case "string":
    case "char":
    case "varchar":
    case "binary": {
      const isString = type.type !== "binary";
      const encoder = new TextEncoder();
      const chunks: Uint8Array[] = [];
      const valueOffsets = new Int32Array(length + 1);
      let offset = 0;
      for (let i = 0; i < length; i++) {
        if (present(i)) {
          const v = values[i];
          if (isString && typeof v !== "string") throw fail(i, "a string");
          if (!isString && !(v instanceof Uint8Array)) throw fail(i, "a Uint8Array");
          const bytes = isString ? encoder.encode(v as string) : (v as Uint8Array);
          chunks.push(bytes);
          offset += bytes.length;
        }
        valueOffsets[i + 1] = offset;
      }
      return arrowData({ ...base, valueOffsets, data: concatBytes(chunks, offset) });
    }
    case "date": {
      const data = fixed(new Int32Array(length), (v, i) => Math.floor(validDate(v, () => fail(i, "a valid Date")).getTime() / 86_400_000));
      return arrowData({ ...base, data });
    }
    case "timestamp":
    case "timestamp_ntz": {
      const data = fixed(new BigInt64Array(length), (v, i) => BigInt(validDate(v, () => fail(i, "a valid Date")).getTime()) * 1000n);
      return arrowData({ ...base, data });
    }
    case "array":
    case "map": {
      const childValues: unknown[] = [];
      const childKeys: unknown[] = [];
      const childRows: number[] = [];
      const valueOffsets = new Int32Array(length + 1);
      for (let i = 0; i < length; i++) {
        if (present(i)) {
          const v = values[i];
          if (type.type === "array") {
            if (!Array.isArray(v)) throw fail(i, "an array");
            childValues.push(...(v as unknown[]));
            for (let k = 0; k < v.length; k++) childRows.push(rows[i]!);
          } else {
            if (!(v instanceof Map) && !isPlainObject(v)) throw fail(i, "a Map or a plain object");
            for (const [k, val] of v instanceof Map ? v : Object.entries(v)) {
              childKeys.push(k);
              childValues.push(val);
              childRows.push(rows[i]!);
            }
          }
        }
        valueOffsets[i + 1] = childValues.length;
      }
      if (type.type === "array") {
        const child = build(type.elementType, childValues, childRows, `${path}[]`, type.containsNull);
        return arrowData({ ...base, valueOffsets, child });
      }
      const keys = build(type.keyType, childKeys, childRows, `${path}.key`, false);
      const vals = build(type.valueType, childValues, childRows, `${path}.value`, type.valueContainsNull);
      const entriesType = arrowType.children[0]!.type as Struct;
      const entries = arrow().makeData({ type: entriesType, length: childValues.length, nullCount: 0, children: [keys, vals] });
      return arrowData({ ...base, valueOffsets, child: entries });
    }
    case "struct": {
      const fieldValues = type.fields.map(() => [] as unknown[]);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (!present(i)) fieldValues.forEach((fv) => fv.push(UNDER_NULL_PARENT));
        else if (Array.isArray(v) && v.length === type.fields.length) fieldValues.forEach((fv, k) => fv.push(v[k]));
        else if (isPlainObject(v)) {
          const extra = Object.keys(v).find((k) => !type.fields.some((f) => f.name === k));
          if (extra !== undefined) throw fail(i, `an object with only the fields ${type.fields.map((f) => f.name).join(", ")} (found "${extra}")`);
          type.fields.forEach((f, k) => fieldValues[k]!.push(v[f.name]));
        } else throw fail(i, `a plain object with fields ${type.fields.map((f) => f.name).join(", ")}, or an array of ${type.fields.length} values`);
      }
      const children = type.fields.map((f, k) => build(f.dataType, fieldValues[k]!, rows, `${path}.${f.name}`, f.nullable));
      return arrowData({ ...base, children });
    }
    default:
      throw new TypeError(`createDataFrame: column "${path}" has type ${simpleString(type)}, which this client cannot send; use a supported type and cast on the server.`);
  }
}

function validDate(v: unknown, fail: () => Error): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw fail();
  return v;
}

function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The exact unscaled integer of a decimal value, or a description of what is acceptable. */
export function decimalToUnscaled(value: unknown, precision: number, scale: number): bigint | string {
  const expected = `a number, bigint or decimal string with at most ${precision - scale} integer and ${scale} fraction digits`;
  let text: string;
  if (typeof value === "bigint") text = value.toString();
  else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
  else if (typeof value === "string") text = value.trim();
  else return expected;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return expected;
  const exponent = Number(m[4] ?? 0);
  let digits = `${m[2]}${m[3] ?? ""}`;
  // Digits after the decimal point once the exponent is applied; pad or check the excess is zeros.
  const fraction = (m[3] ?? "").length - exponent;
  if (fraction < scale) digits += "0".repeat(scale - fraction);
  else if (fraction > scale) {
    const dropped = digits.slice(digits.length - (fraction - scale));
    if (/[^0]/.test(dropped)) return `${expected} (${text} has more than ${scale} fraction digits)`;
    digits = digits.slice(0, digits.length - (fraction - scale));
  }
  const unscaled = BigInt(digits === "" ? "0" : digits);
  if (unscaled.toString().length > precision && unscaled !== 0n) return `${expected} (${text} needs more than ${precision} digits)`;
  return m[1] === "-" ? -unscaled : unscaled;
}

function writeInt128(words: Uint32Array, index: number, value: bigint): void {
  let v = BigInt.asUintN(128, value);
  for (let k = 0; k < 4; k++) {
    words[index * 4 + k] = Number(v & 0xffffffffn);
    v >>= 32n;
  }
}

// makeData's overloads need a concrete Arrow type; here the type is chosen at run time from the Spark type.
function arrowData(props: { type: ArrowDataType; length: number } & Record<string, unknown>): Data {
  const { makeData } = arrow();
  return makeData(props as Parameters<typeof makeData>[0]);
}
