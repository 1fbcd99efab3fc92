import { DateUnit, IntervalUnit, Precision, Schema, Table, tableFromIPC, TimeUnit, Type, Vector, type Data, type RecordBatch } from "apache-arrow";
import type { Date_, Decimal, FixedSizeList, Float, Int, Interval, Timestamp } from "apache-arrow";
import type { ExecutePlanResponse } from "../../gen/spark/connect/base_pb.js";
import * as Arrow from "apache-arrow";
import { arrowTypeMapping } from "./types.js";
import { fromProto } from "../types/datatypes.js";

/**
 * Collects an ExecutePlan response stream into one Arrow Table. Every `arrowBatch.data` is a complete IPC
 * stream (schema + batches); their batches are concatenated. With no batch at all, the table is empty
 * with the schema from `response.schema` when the server sent one.
 */
const { toArrowSchema } = arrowTypeMapping(Arrow);

/** apache-arrow's own IPC reader, for callers that load this module lazily (arrow/lazy.ts). */
export { tableFromIPC };

export async function readArrowTable(responses: AsyncIterable<ExecutePlanResponse>): Promise<Table> {
  const batches: RecordBatch[] = [];
  let schema: Schema | undefined;
  let sparkSchema: ExecutePlanResponse["schema"];
  for await (const response of responses) {
    if (response.schema) sparkSchema = response.schema;
    if (response.responseType.case !== "arrowBatch") continue;
    const table = tableFromIPC(response.responseType.value.data);
    schema ??= table.schema;
    batches.push(...table.batches);
  }
  if (batches.length > 0) return new Table(batches);
  if (schema) return new Table(schema);
  if (sparkSchema) {
    const type = fromProto(sparkSchema);
    if (type.type === "struct") return new Table(toArrowSchema(type));
  }
  return new Table(new Schema([]));
}

/**
 * Arrow table → plain objects keyed by column name, converting each Arrow type explicitly:
 *
 * | Spark type                 | Arrow type              | JS value                                   |
 * | -------------------------- | ----------------------- | ------------------------------------------ |
 * | tinyint/smallint/int       | Int8/Int16/Int32        | number                                     |
 * | bigint                     | Int64                   | bigint                                     |
 * | float/double               | Float32/Float64         | number                                     |
 * | decimal(p,s)               | Decimal128              | string, exact, with s fraction digits ("-1.50") |
 * | string                     | Utf8/LargeUtf8          | string                                     |
 * | binary                     | Binary/LargeBinary      | Uint8Array (a copy)                        |
 * | boolean                    | Bool                    | boolean                                    |
 * | date                       | Date32 (days)           | Date at UTC midnight                       |
 * | timestamp                  | Timestamp(µs, tz)       | Date (the instant; sub-ms digits floored)  |
 * | timestamp_ntz              | Timestamp(µs, no tz)    | Date (the wall clock read as UTC)          |
 * | interval year to month     | Interval(YEAR_MONTH)    | number of months                           |
 * | interval day to second     | Duration(µs)            | bigint microseconds                        |
 * | array                      | List                    | array                                      |
 * | struct                     | Struct                  | plain object                               |
 * | map                        | Map                     | Map                                        |
 * | void / any null            | Null / null slot        | null                                       |
 *
 * Other Arrow types fall back to apache-arrow's own value.
 *
 * `rowsAs: "array"` gives each row as an array in column order. As objects, a name that two columns share
 * (a self-join's `SELECT *`) keeps the first column's value, as pyspark's `row["id"]` / `row.id` do;
 * struct fields likewise.
 */
export function tableToRows(table: Table, rowsAs: "array"): unknown[][];
export function tableToRows(table: Table, rowsAs?: "object"): Record<string, unknown>[];
export function tableToRows(table: Table, rowsAs?: RowsAs): Record<string, unknown>[] | unknown[][];
export function tableToRows(table: Table, rowsAs: RowsAs = "object"): Record<string, unknown>[] | unknown[][] {
  const rows: (Record<string, unknown> | unknown[])[] = [];
  for (const batch of table.batches) for (const row of batchToRows(batch, rowsAs)) rows.push(row);
  return rows as Record<string, unknown>[] | unknown[][];
}

export type RowsAs = "object" | "array";

/** One record batch's rows (see tableToRows). */
export function batchToRows(batch: RecordBatch, rowsAs: RowsAs): (Record<string, unknown> | unknown[])[] {
  const readers = batch.data.children.map(readerFor);
  const rows: (Record<string, unknown> | unknown[])[] = new Array(batch.numRows);
  if (rowsAs === "array") {
    for (let i = 0; i < batch.numRows; i++) rows[i] = readers.map((read) => read(i));
    return rows;
  }
  const fields = firstOfEachName(batch.schema.fields.map((f) => f.name));
  for (let i = 0; i < batch.numRows; i++) rows[i] = Object.fromEntries(fields.map(([n, c]) => [n, readers[c]!(i)]));
  return rows;
}

/** [name, index] of the first column of each name, in column order. */
function firstOfEachName(names: readonly string[]): [string, number][] {
  const seen = new Set<string>();
  const kept: [string, number][] = [];
  names.forEach((n, i) => {
    if (!seen.has(n)) kept.push([n, i]);
    seen.add(n);
  });
  return kept;
}

type Reader = (index: number) => unknown;

function readerFor(data: Data): Reader {
  const read = valueReader(data);
  return data.typeId === Type.Null ? () => null : (i) => (data.getValid(i) ? read(i) : null);
}

function valueReader(data: Data): Reader {
  const type = data.type;
  const values = data.values as ArrayLike<number | bigint>;
  switch (data.typeId) {
    case Type.Int:
      return (type as Int).bitWidth === 64 ? (i) => BigInt(values[i]!) : (i) => Number(values[i]);
    case Type.Float:
      return (type as Float).precision === Precision.HALF ? vectorReader(data) : (i) => Number(values[i]);
    case Type.Bool:
      return (i) => {
        const bit = data.offset + i;
        return (data.values[bit >> 3]! & (1 << (bit & 7))) !== 0;
      };
    case Type.Decimal: {
      const { bitWidth, scale } = type as Decimal;
      const stride = bitWidth / 32;
      return (i) => formatDecimal(readSignedWords(data.values as Uint32Array, i * stride, stride), scale);
    }
    case Type.Date:
      return (type as Date_).unit === DateUnit.DAY ? (i) => new Date(Number(values[i]) * 86_400_000) : (i) => new Date(Number(values[i]));
    case Type.Timestamp: {
      const toMs = timestampToMs((type as Timestamp).unit);
      return (i) => new Date(Number(toMs(BigInt(values[i]!))));
    }
    case Type.Duration:
      return (i) => BigInt(values[i]!);
    case Type.Binary:
    case Type.LargeBinary: {
      const vector = new Vector([data]);
      return (i) => (vector.get(i) as Uint8Array).slice();
    }
    case Type.List:
    case Type.LargeList: {
      const child = readerFor(data.children[0]!);
      const offsets = data.valueOffsets as ArrayLike<number | bigint>;
      return (i) => range(Number(offsets[i]), Number(offsets[i + 1])).map(child);
    }
    case Type.FixedSizeList: {
      const child = readerFor(data.children[0]!);
      const size = (type as FixedSizeList).listSize;
      return (i) => range(i * size, (i + 1) * size).map(child);
    }
    case Type.Struct: {
      const fields = firstOfEachName((type.children as { name: string }[]).map((f) => f.name));
      const children = data.children.map(readerFor);
      return (i) => Object.fromEntries(fields.map(([n, k]) => [n, children[k]!(i)]));
    }
    case Type.Map: {
      const entries = data.children[0]!;
      const key = readerFor(entries.children[0]!);
      const value = readerFor(entries.children[1]!);
      const offsets = data.valueOffsets as Int32Array;
      return (i) => new Map(range(offsets[i]!, offsets[i + 1]!).map((j) => [key(j), value(j)]));
    }
    case Type.Interval:
      return (type as Interval).unit === IntervalUnit.YEAR_MONTH ? (i) => Number(values[i]) : vectorReader(data);
    default:
      return vectorReader(data);
  }
}

function vectorReader(data: Data): Reader {
  const vector = new Vector([data]);
  return (i) => vector.get(i);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

function timestampToMs(unit: TimeUnit): (value: bigint) => bigint {
  switch (unit) {
    case TimeUnit.SECOND:
      return (v) => v * 1000n;
    case TimeUnit.MILLISECOND:
      return (v) => v;
    case TimeUnit.MICROSECOND:
      return (v) => floorDiv(v, 1000n);
    case TimeUnit.NANOSECOND:
      return (v) => floorDiv(v, 1_000_000n);
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** A little-endian two's-complement integer of `count` 32-bit words. */
function readSignedWords(words: Uint32Array, start: number, count: number): bigint {
  let v = 0n;
  for (let k = count - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[start + k]!);
  return BigInt.asIntN(count * 32, v);
}

/** "-1.50" for unscaled -150 at scale 2; Spark's Decimal.toString keeps trailing zeros. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  let text: string;
  if (scale <= 0) text = digits + "0".repeat(-scale);
  else {
    const padded = digits.padStart(scale + 1, "0");
    text = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  }
  return negative ? `-${text}` : text;
}
