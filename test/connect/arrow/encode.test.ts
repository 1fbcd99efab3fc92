import { tableFromIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { tableToRows } from "../../../src/connect/arrow/decode.js";
import { encodeRows } from "../../../src/connect/arrow/encode.js";
import { inferSchema } from "../../../src/connect/arrow/infer.js";
import type { SessionCore } from "../../../src/connect/core.js";
import { fromJSON } from "../../../src/connect/types/datatypes-json.js";
import { Types as T, type StructType } from "../../../src/connect/types/datatypes.js";
import { localRelationFromRows } from "../../../src/connect/sql/plans.js";

/** rows → IPC (our encoder) → apache-arrow's IPC reader → our decoder. */
function roundTrip(rows: Parameters<typeof encodeRows>[0], schema?: StructType) {
  const encoded = encodeRows(rows, schema);
  const table = tableFromIPC(encoded.ipc!);
  return { rows: tableToRows(table), arrow: table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`), schema: encoded.schema };
}

describe("schema inference", () => {
  it("maps JS types like pyspark maps Python types (int → bigint)", () => {
    const schema = inferSchema([
      { s: "a", n: 1, x: 1, big: 1n, ok: true, at: new Date(0), bytes: new Uint8Array(1), tags: ["t"], obj: { k: 1 }, m: new Map([["k", 2.5]]) },
      { s: null, n: 2, x: 2.5, big: null, ok: false, at: null, bytes: null, tags: [], obj: { k: null, j: "new" }, m: null },
    ]);
    expect(schema).toEqual(
      T.struct([
        T.field("s", T.string),
        T.field("n", T.long),
        T.field("x", T.double),
        T.field("big", T.long),
        T.field("ok", T.boolean),
        T.field("at", T.timestamp),
        T.field("bytes", T.binary),
        T.field("tags", T.array(T.string)),
        T.field("obj", T.struct([T.field("k", T.long), T.field("j", T.string)])),
        T.field("m", T.map(T.string, T.double)),
      ]),
    );
  });

  it("takes columns in first-seen key order, and _1, _2 for array rows", () => {
    expect(inferSchema([{ b: 1 }, { a: "x", b: 2 }]).fields.map((f) => f.name)).toEqual(["b", "a"]);
    expect(inferSchema([[1, "x"], [2, null]])).toEqual(T.struct([T.field("_1", T.long), T.field("_2", T.string)]));
  });

  it("explains what cannot be inferred: column, row, JS type, supported types", () => {
    expect(() => inferSchema([{ a: 1 }, { a: "x" }])).toThrow(/column "a", row 1: a string \(x\) — it does not match the bigint values before it.*Supported values: string, number/);
    expect(() => inferSchema([{ a: 1 }, { a: () => 0 }])).toThrow(/column "a", row 1: a function/);
    expect(() => inferSchema([{ a: Symbol("q") }])).toThrow(/row 0: a symbol/);
    expect(() => inferSchema([{ a: new (class Point {})() }])).toThrow(/an instance of Point/);
    expect(() => inferSchema([{ a: null }, { a: undefined }])).toThrow(/column "a" has only nulls.*pass a schema, e.g. "a string"/);
    expect(() => inferSchema([{ a: [] }])).toThrow(/column "a" has only nulls \(or empty arrays/);
    expect(() => inferSchema([])).toThrow(/zero rows; pass a schema/);
    expect(() => inferSchema([{ a: 1 }, 5 as never])).toThrow(/row 1 is a number/);
    expect(() => inferSchema([[1], [1, 2]])).toThrow(/row 1 has 2 values but row 0 has 1/);
  });
});

describe("encodeRows → Arrow IPC → decode", () => {
  it("round-trips inferred types, with the Arrow types Spark reads", () => {
    const when = new Date("2024-03-05T12:34:56.789Z");
    const rows = [
      { s: "héllo", n: 2 ** 53 - 1, big: -(2n ** 63n), f: 0.5, ok: true, at: when, bytes: new Uint8Array([7]), tags: [1, null], st: { x: "y" }, m: new Map([["k", 1]]) },
      { s: null, n: -1, big: null, f: null, ok: null, at: null, bytes: null, tags: null, st: null, m: new Map() },
    ];
    const out = roundTrip(rows);
    expect(out.arrow).toEqual([
      "s:Utf8:true",
      "n:Int64:true",
      "big:Int64:true",
      "f:Float64:true",
      "ok:Bool:true",
      "at:Timestamp<MICROSECOND, UTC>:true",
      "bytes:Binary:true",
      "tags:List<Int64>:true",
      "st:Struct<{x:Utf8}>:true",
      "m:Map<{key:Utf8, value:Int64}>:true",
    ]);
    expect(out.rows).toEqual([
      { s: "héllo", n: 2n ** 53n - 1n, big: -(2n ** 63n), f: 0.5, ok: true, at: when, bytes: new Uint8Array([7]), tags: [1n, null], st: { x: "y" }, m: new Map([["k", 1n]]) },
      { s: null, n: -1n, big: null, f: null, ok: null, at: null, bytes: null, tags: null, st: null, m: new Map() },
    ]);
  });

  it("coerces values to an explicit schema, keeping its nullability", () => {
    const schema = T.struct([
      T.field("i", T.integer, false),
      T.field("b", T.byte),
      T.field("sh", T.short),
      T.field("fl", T.float),
      T.field("dec", T.decimal(10, 3)),
      T.field("day", T.date),
      T.field("ntz", T.timestampNtz),
      T.field("obj_map", T.map(T.string, T.array(T.integer, false))),
      T.field("pos", T.struct([T.field("a", T.long, false), T.field("b", T.string)])),
    ]);
    const out = roundTrip(
      [
        { i: 7, b: -128, sh: 3n, fl: 1.5, dec: "-12.5", day: new Date("2024-02-29T23:59:59Z"), ntz: new Date(-1), obj_map: { k: [1, 2] }, pos: [1, "x"] },
        { i: -7, b: null, sh: null, fl: null, dec: 0.001, day: null, ntz: null, obj_map: null, pos: null },
      ],
      schema,
    );
    expect(out.arrow).toEqual([
      "i:Int32:false",
      "b:Int8:true",
      "sh:Int16:true",
      "fl:Float32:true",
      "dec:Decimal[10e+3]:true", // apache-arrow prints precision and scale this way
      "day:Date32<DAY>:true",
      "ntz:Timestamp<MICROSECOND>:true",
      "obj_map:Map<{key:Utf8, value:List<Int32>}>:true",
      "pos:Struct<{a:Int64, b:Utf8}>:true",
    ]);
    expect(out.rows).toEqual([
      { i: 7, b: -128, sh: 3, fl: 1.5, dec: "-12.500", day: new Date("2024-02-29T00:00:00Z"), ntz: new Date(-1), obj_map: new Map([["k", [1, 2]]]), pos: { a: 1n, b: "x" } },
      { i: -7, b: null, sh: null, fl: null, dec: "0.001", day: null, ntz: null, obj_map: null, pos: null },
    ]);
  });

  it("sends no data for zero rows with a schema, and errors without one", () => {
    expect(encodeRows([], T.struct([T.field("a", T.long)]))).toEqual({ ipc: undefined, schema: T.struct([T.field("a", T.long)]) });
    expect(() => encodeRows([])).toThrow(/zero rows/);
  });

  it("names the column, row, value and expected type when coercion fails", () => {
    const one = (type: Parameters<typeof T.field>[1], value: unknown, nullable = true) => () => encodeRows([{ v: 1 }, { v: value }], T.struct([T.field("v", type, nullable)]));
    expect(one(T.integer, 2 ** 31)).toThrow(/column "v", row 1: a number \(2147483648\) cannot be stored as int; expected an integer from -2147483648 to 2147483647/);
    expect(one(T.long, 2 ** 53)).toThrow(/cannot be stored as bigint; expected a safe-integer number or a bigint/);
    expect(one(T.decimal(4, 2), "1.234")).toThrow(/more than 2 fraction digits/);
    expect(one(T.decimal(4, 2), 123)).toThrow(/needs more than 4 digits/);
    expect(one(T.string, 5)).toThrow(/expected a string/);
    expect(one(T.long, null, false)).toThrow(/column "v", row 1: null in a NOT NULL field/);
    expect(() => encodeRows([{ v: [1] }, { v: [1, null] }], T.struct([T.field("v", T.array(T.long, false))]))).toThrow(/column "v\[\]", row 1: null in a NOT NULL field/);
    expect(() => encodeRows([{ v: 1, extra: 2 }], T.struct([T.field("v", T.long)]))).toThrow(/row 0 has key "extra", which is not in the schema \(v\)/);
    expect(() => encodeRows([[1, 2]], T.struct([T.field("v", T.long)]))).toThrow(/row 0 has 2 values but the schema has 1 columns/);
    expect(() => encodeRows([{ v: 1 }], T.struct([T.field("v", T.dayTimeInterval())]))).toThrow(/interval day to second/);
  });

  it("lets a null struct hold NOT NULL children", () => {
    const schema = T.struct([T.field("s", T.struct([T.field("a", T.long, false)]))]);
    expect(roundTrip([{ s: null }, { s: { a: 1 } }], schema).rows).toEqual([{ s: null }, { s: { a: 1n } }]);
  });
});

describe("localRelationFromRows", () => {
  let ids = 10n;
  const core: SessionCore = {
    nextPlanId: () => ids++,
    execute: () => {
      throw new Error("not used");
    },
    analyze: () => {
      throw new Error("not used");
    },
  };

  it("sends Arrow data plus the schema as Spark JSON, with a plan id", () => {
    const relation = localRelationFromRows(core, [{ name: "a", n: 1 }]);
    expect(relation.common?.planId).toBe(10n);
    if (relation.relType.case !== "localRelation") throw new Error("expected a local relation");
    const { data, schema } = relation.relType.value;
    expect(fromJSON(schema!)).toEqual(T.struct([T.field("name", T.string), T.field("n", T.long)]));
    expect(tableToRows(tableFromIPC(data!))).toEqual([{ name: "a", n: 1n }]);
  });

  it("parses a DDL string schema client-side; a bare type names one column \"value\"", () => {
    const relation = localRelationFromRows(core, [{ name: "a", n: 1 }], "name string, n int");
    if (relation.relType.case !== "localRelation") throw new Error("expected a local relation");
    expect(relation.relType.value.schema).toBe(
      '{"fields":[{"metadata":{},"name":"name","nullable":true,"type":"string"},{"metadata":{},"name":"n","nullable":true,"type":"integer"}],"type":"struct"}',
    );
    const single = localRelationFromRows(core, [{ value: 1 }], "bigint");
    if (single.relType.case !== "localRelation") throw new Error("expected a local relation");
    expect(fromJSON(single.relType.value.schema!)).toEqual(T.struct([T.field("value", T.long)]));
  });
});
