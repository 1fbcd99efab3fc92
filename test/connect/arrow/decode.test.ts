import { create } from "@bufbuild/protobuf";
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  DurationMicrosecond,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  IntervalYearMonth,
  List,
  Map_,
  makeData,
  makeVector,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
  type Vector,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { ExecutePlanResponseSchema, type ExecutePlanResponse } from "../../../src/gen/spark/connect/base_pb.js";
import { formatDecimal, readArrowTable, tableToRows } from "../../../src/connect/arrow/decode.js";
import { toProto, Types } from "../../../src/connect/types/datatypes.js";

function batchResponse(table: Table): ExecutePlanResponse {
  return create(ExecutePlanResponseSchema, {
    responseType: { case: "arrowBatch", value: { rowCount: BigInt(table.numRows), data: tableToIPC(table, "stream") } },
  });
}

async function* stream(...responses: ExecutePlanResponse[]): AsyncGenerator<ExecutePlanResponse> {
  for (const r of responses) yield r;
}

/** Decodes `columns` the way collect() does: IPC bytes in a response stream → Table → rows. */
async function decode(columns: Record<string, Vector>): Promise<Record<string, unknown>[]> {
  return tableToRows(await readArrowTable(stream(batchResponse(new Table(columns)))));
}

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) nullBitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap, nullCount: values.filter((v) => v === null).length };
}

/** Decimal128 words for unscaled values, two's complement little-endian, computed independently of the client. */
function decimalVector(unscaled: (bigint | null)[], precision: number, scale: number): Vector {
  const data = new Uint32Array(unscaled.length * 4);
  unscaled.forEach((u, i) => {
    const hex = BigInt.asUintN(128, u ?? 0n).toString(16).padStart(32, "0");
    for (let k = 0; k < 4; k++) data[i * 4 + k] = parseInt(hex.slice(24 - k * 8, 32 - k * 8), 16);
  });
  return makeVector(makeData({ type: new Decimal(scale, precision, 128), length: unscaled.length, ...validity(unscaled), data }));
}

function int64Vector(type: Int64 | TimestampMicrosecond | DurationMicrosecond, values: (bigint | null)[]): Vector {
  const data = BigInt64Array.from(values, (v) => v ?? 0n);
  return makeVector(makeData({ type, length: values.length, ...validity(values), data } as never));
}

describe("tableToRows converts each Arrow type explicitly", () => {
  it("integers: 8/16/32-bit → number, 64-bit → bigint (beyond 2^53 exactly)", async () => {
    const rows = await decode({
      b: vectorFromArray([1, -128, null], new Int8()),
      s: vectorFromArray([2, -32768, null], new Int16()),
      i: vectorFromArray([3, 2147483647, null], new Int32()),
      l: int64Vector(new Int64(), [2n ** 62n + 1n, -(2n ** 63n), null]),
    });
    expect(rows).toEqual([
      { b: 1, s: 2, i: 3, l: 2n ** 62n + 1n },
      { b: -128, s: -32768, i: 2147483647, l: -(2n ** 63n) },
      { b: null, s: null, i: null, l: null },
    ]);
  });

  it("floats, booleans, strings and binary", async () => {
    const bin = makeVector(
      makeData({ type: new Binary(), length: 3, ...validity([1, null, 1]), valueOffsets: new Int32Array([0, 2, 2, 2]), data: new Uint8Array([0xca, 0xfe]) }),
    );
    const rows = await decode({
      f: vectorFromArray([1.5, null, -0.25], new Float32()),
      d: vectorFromArray([0.1, Number.NaN, null], new Float64()),
      ok: vectorFromArray([true, false, null], new Bool()),
      s: vectorFromArray(["a", null, "ünï"], new Utf8()),
      bin,
    });
    expect(rows[0]).toEqual({ f: 1.5, d: 0.1, ok: true, s: "a", bin: new Uint8Array([0xca, 0xfe]) });
    expect(rows[1]).toEqual({ f: null, d: Number.NaN, ok: false, s: null, bin: null });
    expect(rows[2]).toEqual({ f: -0.25, d: null, ok: null, s: "ünï", bin: new Uint8Array([]) });
    // Binary values are copies, not views pinning the whole response buffer.
    expect((rows[0]!.bin as Uint8Array).buffer.byteLength).toBe(2);
  });

  it("decimals → exact strings with the column's scale, negatives included", async () => {
    const rows = await decode({
      a: decimalVector([-150n, 0n, 42n, null], 10, 2),
      b: decimalVector([10n ** 37n + 1n, -1n, -(10n ** 38n - 1n), 7n], 38, 18),
      c: decimalVector([42n, -42n, 0n, 1n], 5, 0),
    });
    expect(rows.map((r) => r.a)).toEqual(["-1.50", "0.00", "0.42", null]);
    expect(rows.map((r) => r.b)).toEqual([
      "10000000000000000000.000000000000000001",
      "-0.000000000000000001",
      "-99999999999999999999.999999999999999999",
      "0.000000000000000007",
    ]);
    expect(rows.map((r) => r.c)).toEqual(["42", "-42", "0", "1"]);
    expect(formatDecimal(5n, -2)).toBe("500");
  });

  it("dates → UTC midnight; timestamps → the instant, sub-millisecond digits floored", async () => {
    const micros = [1n, -1n, 1_700_000_000_123_456n, null];
    const rows = await decode({
      day: makeVector(makeData({ type: new DateDay(), length: 4, ...validity([1, 1, 1, null]), data: new Int32Array([-1, 0, 19_782, 0]) })),
      ts: int64Vector(new TimestampMicrosecond("America/Los_Angeles"), micros),
      ntz: int64Vector(new TimestampMicrosecond(null), micros),
    });
    expect(rows.map((r) => (r.day as Date | null)?.toISOString() ?? null)).toEqual(["1969-12-31T00:00:00.000Z", "1970-01-01T00:00:00.000Z", "2024-02-29T00:00:00.000Z", null]);
    const expected = ["1970-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2023-11-14T22:13:20.123Z", null];
    expect(rows.map((r) => (r.ts as Date | null)?.toISOString() ?? null)).toEqual(expected);
    expect(rows.map((r) => (r.ntz as Date | null)?.toISOString() ?? null)).toEqual(expected);
  });

  it("intervals: year-month → months, day-time → bigint microseconds", async () => {
    const rows = await decode({
      ym: makeVector(makeData({ type: new IntervalYearMonth(), length: 2, ...validity([1, null]), data: new Int32Array([14, 0]) })),
      dt: int64Vector(new DurationMicrosecond(), [86_400_000_001n, null]),
    });
    expect(rows).toEqual([
      { ym: 14, dt: 86_400_000_001n },
      { ym: null, dt: null },
    ]);
  });

  it("arrays → arrays, structs → plain objects, maps → Map, void → null", async () => {
    const entries = new Field("entries", new Struct([new Field("key", new Utf8(), false), new Field("value", new Int32(), true)]), false);
    const rows = await decode({
      list: vectorFromArray([[1, null, 3], null, []], new List(new Field("element", new Int32(), true))),
      st: vectorFromArray([{ a: 1, b: { c: "x" } }, null, { a: null, b: null }], new Struct([
        new Field("a", new Int32(), true),
        new Field("b", new Struct([new Field("c", new Utf8(), true)]), true),
      ])),
      m: vectorFromArray([new Map([["k", 1], ["z", null]]), null, new Map()], new Map_(entries)),
      v: makeVector(makeData({ type: new Null(), length: 3 })),
    });
    expect(rows).toEqual([
      { list: [1, null, 3], st: { a: 1, b: { c: "x" } }, m: new Map([["k", 1], ["z", null]]), v: null },
      { list: null, st: null, m: null, v: null },
      { list: [], st: { a: null, b: null }, m: new Map(), v: null },
    ]);
  });

  it("reads sliced data at the right offsets", async () => {
    const table = new Table({
      ok: vectorFromArray([true, false, true, null, false, true, true, false, true, false], new Bool()),
      list: vectorFromArray([[0], [1, 1], [2], [3], [4], [5], [6], [7], [8], [9, 9]], new List(new Field("element", new Int32(), true))),
    });
    expect(tableToRows(table.slice(8))).toEqual([
      { ok: true, list: [8] },
      { ok: false, list: [9, 9] },
    ]);
  });

  it("duplicate column names: objects keep the first column's value (pyspark's row[name]); arrays keep all", () => {
    const id = new Field("id", new Int32(), true);
    const one = makeData({ type: new Int32(), length: 1, nullCount: 0, data: new Int32Array([1]) });
    const two = makeData({ type: new Int32(), length: 1, nullCount: 0, data: new Int32Array([2]) });
    const batch = new RecordBatch(new Schema([id, id]), makeData({ type: new Struct([id, id]), length: 1, nullCount: 0, children: [one, two] }));
    expect(tableToRows(new Table([batch]))).toEqual([{ id: 1 }]);
    expect(tableToRows(new Table([batch]), "array")).toEqual([[1, 2]]);
  });
});

describe("readArrowTable", () => {
  it("concatenates the batches of every response, in order", async () => {
    const first = new Table({ id: int64Vector(new Int64(), [1n, 2n]) });
    const second = new Table({ id: int64Vector(new Int64(), [3n]) });
    const table = await readArrowTable(stream(batchResponse(first), create(ExecutePlanResponseSchema, {}), batchResponse(second)));
    expect(tableToRows(table)).toEqual([{ id: 1n }, { id: 2n }, { id: 3n }]);
  });

  it("keeps the schema of a batch-less IPC stream (an empty result)", async () => {
    const empty = new Table(new Table({ id: int64Vector(new Int64(), [1n]) }).schema);
    const table = await readArrowTable(stream(batchResponse(empty)));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["id:Int64"]);
  });

  it("falls back to response.schema when no Arrow batch arrives", async () => {
    const schema = toProto(Types.struct([Types.field("name", Types.string), Types.field("n", Types.long, false)]));
    const table = await readArrowTable(stream(create(ExecutePlanResponseSchema, { schema, responseType: { case: "resultComplete", value: {} } })));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual(["name:Utf8:true", "n:Int64:false"]);
    expect((await readArrowTable(stream())).schema.fields).toEqual([]);
  });
});
