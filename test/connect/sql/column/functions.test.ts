import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExpressionSchema } from "../../../../src/gen/spark/connect/expressions_pb.js";
import { Types } from "../../../../src/connect/types/datatypes.js";
import * as F from "../../../../src/connect/sql/column/functions.js";
import type { Column } from "../../../../src/connect/sql/column/functions.js";
import { attr, fn } from "../../../helpers/plan-json.js";

const json = (c: Column) => toJson(ExpressionSchema, c.expr);
const literal = (c: Column) => (json(c) as { literal: unknown }).literal;

describe("lit() encodes JS values like pyspark's LiteralExpression", () => {
  it("numbers: int32 → integer, other safe integers → long, the rest → double", () => {
    expect(literal(F.lit(0))).toEqual({ integer: 0 });
    expect(literal(F.lit(2 ** 31 - 1))).toEqual({ integer: 2147483647 });
    expect(literal(F.lit(-(2 ** 31)))).toEqual({ integer: -2147483648 });
    expect(literal(F.lit(2 ** 31))).toEqual({ long: "2147483648" });
    expect(literal(F.lit(Number.MAX_SAFE_INTEGER))).toEqual({ long: "9007199254740991" });
    expect(literal(F.lit(2 ** 60))).toEqual({ double: 2 ** 60 });
    expect(literal(F.lit(1.5))).toEqual({ double: 1.5 });
    expect(literal(F.lit(Number.NaN))).toEqual({ double: "NaN" });
  });

  it("bigint → long; other scalar types", () => {
    expect(literal(F.lit(2n ** 63n - 1n))).toEqual({ long: "9223372036854775807" });
    expect(literal(F.lit(true))).toEqual({ boolean: true });
    expect(literal(F.lit("héllo"))).toEqual({ string: "héllo" });
    expect(literal(F.lit(new Uint8Array([1, 255])))).toEqual({ binary: "Af8=" });
    expect(literal(F.lit(new Date("2024-01-02T03:04:05.678Z")))).toEqual({ timestamp: String(Date.UTC(2024, 0, 2, 3, 4, 5, 678) * 1000) });
    expect(literal(F.lit(null))).toEqual({ null: { null: {} } });
    expect(literal(F.lit(undefined))).toEqual({ null: { null: {} } });
  });

  it("arrays become array(lit(x), ...) like pyspark's lit(list)", () => {
    expect(json(F.lit([1, "a"]))).toEqual(fn("array", { literal: { integer: 1 } }, { literal: { string: "a" } }));
    expect(() => F.lit([F.col("a")])).toThrow(/use array/);
  });

  it("typed literals: typed nulls, forced widths, decimals and dates", () => {
    expect(literal(F.lit(null, Types.string))).toEqual({ null: { string: {} } });
    expect(literal(F.lit(5, Types.long))).toEqual({ long: "5" });
    expect(literal(F.lit(5, Types.short))).toEqual({ short: 5 });
    expect(literal(F.lit("12.30", Types.decimal(5, 2)))).toEqual({ decimal: { value: "12.30", precision: 5, scale: 2 } });
    expect(literal(F.lit(new Date("1969-12-31T23:00:00Z"), Types.date))).toEqual({ date: -1 });
    expect(literal(F.lit(new Date(1), Types.timestampNtz))).toEqual({ timestampNtz: "1000" });
    expect(literal(F.lit([1, null], Types.array(Types.long)))).toEqual({
      array: { elementType: { long: {} }, elements: [{ long: "1" }, { null: { long: {} } }] },
    });
  });

  it("rejects values Spark cannot take, naming the value and the fix", () => {
    expect(() => F.lit(2n ** 63n)).toThrow(/bigint/);
    expect(() => F.lit(128, Types.byte)).toThrow(/Cannot make a tinyint literal from a number \(128\)/);
    expect(() => F.lit(1.5, Types.integer)).toThrow(/int literal/);
    expect(() => F.lit(new Map())).toThrow(/Cannot make a Spark literal from a Map; supported: null, boolean/);
    expect(() => F.lit(() => 1)).toThrow(/from a function/);
    expect(() => F.lit(Symbol("s"))).toThrow(/from a symbol/);
    expect(() => F.lit(new Date(Number.NaN))).toThrow(/invalid Date/);
    expect(() => F.lit("x", Types.map(Types.string, Types.string))).toThrow(/cast/);
  });
});

describe("functions build pyspark's unresolved functions", () => {
  it("count(\"*\") is count(1); countDistinct sets is_distinct", () => {
    expect(json(F.count("*"))).toEqual(fn("count", { literal: { integer: 1 } }));
    expect(json(F.count("a"))).toEqual(fn("count", attr("a")));
    expect(json(F.countDistinct("a", F.col("b")))).toEqual({
      unresolvedFunction: { functionName: "count", arguments: [attr("a"), attr("b")], isDistinct: true },
    });
  });

  it("string arguments are columns, except pyspark's literal parameters", () => {
    expect(json(F.upper("name"))).toEqual(fn("upper", attr("name")));
    expect(json(F.concat("a", F.lit("-"), "b"))).toEqual(fn("concat", attr("a"), { literal: { string: "-" } }, attr("b")));
    expect(json(F.concat_ws("-", "a", "b"))).toEqual(fn("concat_ws", { literal: { string: "-" } }, attr("a"), attr("b")));
    expect(json(F.substring("s", 2, 3))).toEqual(fn("substring", attr("s"), { literal: { integer: 2 } }, { literal: { integer: 3 } }));
    expect(json(F.regexp_extract("s", "(\\d+)", 1))).toEqual(
      fn("regexp_extract", attr("s"), { literal: { string: "(\\d+)" } }, { literal: { integer: 1 } }),
    );
    expect(json(F.split("s", ","))).toEqual(fn("split", attr("s"), { literal: { string: "," } }, { literal: { integer: -1 } }));
    expect(json(F.date_format("d", "yyyy"))).toEqual(fn("date_format", attr("d"), { literal: { string: "yyyy" } }));
    expect(json(F.to_date("d"))).toEqual(fn("to_date", attr("d")));
    expect(json(F.round("x", 2))).toEqual(fn("round", attr("x"), { literal: { integer: 2 } }));
    expect(json(F.first("x", true))).toEqual(fn("first", attr("x"), { literal: { boolean: true } }));
    expect(json(F.trim("s", "chars"))).toEqual(fn("trim", attr("chars"), attr("s")));
    expect(json(F.current_date())).toEqual({ unresolvedFunction: { functionName: "current_date" } });
  });

  it("fn() calls any function; expr() sends SQL text; asc/desc sort", () => {
    expect(json(F.fn("nvl", "a", F.lit(0)))).toEqual(fn("nvl", attr("a"), { literal: { integer: 0 } }));
    expect(json(F.expr("a + 1 AS b"))).toEqual({ expressionString: { expression: "a + 1 AS b" } });
    expect(json(F.desc("a"))).toMatchObject({ sortOrder: { child: attr("a"), direction: "SORT_DIRECTION_DESCENDING" } });
    expect(() => F.upper(1 as unknown as string)).toThrow(/upper\(\): col must be a Column or a column name \(wrap a value with lit\(\)\), got a number/);
  });
});

describe("generated functions wrap literals exactly where pyspark does", () => {
  const args = (c: Column) => (json(c) as { unresolvedFunction: { functionName: string; arguments?: unknown[] } }).unresolvedFunction;
  const L = (v: object) => ({ literal: v });

  it("Python values are literals, ColumnOrName strings column names", () => {
    expect(args(F.date_add("d", 1))).toEqual({ functionName: "date_add", arguments: [attr("d"), L({ integer: 1 })] });
    expect(args(F.date_add("d", "n"))).toEqual({ functionName: "date_add", arguments: [attr("d"), attr("n")] });
    expect(args(F.lpad("s", 3, "x"))).toEqual({ functionName: "lpad", arguments: [attr("s"), L({ integer: 3 }), L({ string: "x" })] });
    expect(args(F.date_trunc("month", "t"))).toEqual({ functionName: "date_trunc", arguments: [L({ string: "month" }), attr("t")] });
    expect(args(F.element_at("m", "key")).arguments).toEqual([attr("m"), L({ string: "key" })]);
    expect(args(F.locate("b", "s")).arguments).toEqual([L({ string: "b" }), attr("s"), L({ integer: 1 })]);
    expect(args(F.months_between("a", "b")).arguments).toEqual([attr("a"), attr("b"), L({ boolean: true })]);
  });

  it("float parameters are doubles; log(x) is ln, log(base, x) log", () => {
    expect(args(F.log("x"))).toEqual({ functionName: "ln", arguments: [attr("x")] });
    expect(args(F.log(2, "x"))).toEqual({ functionName: "log", arguments: [L({ double: 2 }), attr("x")] });
    expect(args(F.approx_count_distinct("x", 1)).arguments).toEqual([attr("x"), L({ double: 1 })]);
    expect(args(F.percentile_approx("x", [0.5, 1])).arguments).toEqual([
      attr("x"),
      { unresolvedFunction: { functionName: "array", arguments: [L({ double: 0.5 }), L({ double: 1 })] } },
      L({ integer: 10000 }),
    ]);
  });

  it("options become map(k, v, ...) of strings; schemas a DDL or JSON string; DISTINCT variants", () => {
    expect(args(F.from_json("j", "a INT", { mode: "FAILFAST" })).arguments).toEqual([
      attr("j"),
      L({ string: "a INT" }),
      { unresolvedFunction: { functionName: "map", arguments: [L({ string: "mode" }), L({ string: "FAILFAST" })] } },
    ]);
    expect(args(F.from_json("j", Types.struct([Types.field("a", Types.integer)]))).arguments?.[1]).toEqual(
      L({ string: '{"fields":[{"metadata":{},"name":"a","nullable":true,"type":"integer"}],"type":"struct"}' }),
    );
    expect(json(F.sum_distinct("x"))).toEqual({ unresolvedFunction: { functionName: "sum", arguments: [attr("x")], isDistinct: true } });
    expect(json(F.count_distinct("x"))).toEqual(json(F.countDistinct("x")));
  });

  it("array/struct take columns or one list; bad arguments name the function, parameter and fix", () => {
    expect(json(F.array(["a", "b"]))).toEqual(json(F.array("a", "b")));
    expect(() => F.date_add(1 as never, 1)).toThrow(/date_add\(\): start must be a Column or a column name \(wrap a value with lit\(\)\), got a number/);
    expect(() => F.from_json("j", 5 as never)).toThrow(/from_json\(\): schema must be a DDL string/);
  });

  it("fn(): strings are columns, other JS values literals; fn.distinct", () => {
    expect(json(F.fn("date_add", "d", 1))).toEqual(fn("date_add", attr("d"), L({ integer: 1 })));
    expect(json(F.fn("lpad", "s", 3, F.lit("x")))).toEqual(fn("lpad", attr("s"), L({ integer: 3 }), L({ string: "x" })));
    expect(json(F.fn.distinct("count", "k"))).toEqual({ unresolvedFunction: { functionName: "count", arguments: [attr("k")], isDistinct: true } });
  });
});
