import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExpressionSchema } from "../../../../src/gen/spark/connect/expressions_pb.js";
import { col, Column, lit, when } from "../../../../src/connect/sql/column/functions.js";
import { Types } from "../../../../src/connect/types/datatypes.js";
import { attr, fn } from "../../../helpers/plan-json.js";

const json = (c: Column) => toJson(ExpressionSchema, c.expr) as Record<string, unknown>;
const int = (n: number) => ({ literal: { integer: n } });

describe("Column operators use pyspark's Connect function names", () => {
  const a = col("a");
  const cases: [string, Column, string][] = [
    ["eq", a.eq(1), "=="],
    ["lt", a.lt(1), "<"],
    ["le", a.le(1), "<="],
    ["leq", a.leq(1), "<="],
    ["gt", a.gt(1), ">"],
    ["ge", a.ge(1), ">="],
    ["geq", a.geq(1), ">="],
    ["eqNullSafe", a.eqNullSafe(1), "<=>"],
    ["plus", a.plus(1), "+"],
    ["minus", a.minus(1), "-"],
    ["multiply", a.multiply(1), "*"],
    ["divide", a.divide(1), "/"],
    ["mod", a.mod(1), "%"],
    ["pow", a.pow(1), "power"],
    ["and", a.and(1), "and"],
    ["or", a.or(1), "or"],
    ["bitwiseOR", a.bitwiseOR(1), "|"],
    ["contains", a.contains(1), "contains"],
    ["startsWith", a.startsWith(1), "startsWith"],
    ["endsWith", a.endsWith(1), "endsWith"],
  ];
  for (const [method, column, name] of cases) {
    it(`${method} → "${name}"(a, 1)`, () => expect(json(column)).toEqual(fn(name, attr("a"), int(1))));
  }

  it("ne is not(==), as pyspark sends it", () => {
    expect(json(a.ne("x"))).toEqual(fn("not", fn("==", attr("a"), { literal: { string: "x" } })));
    expect(json(a.neq(2))).toEqual(json(a.ne(2)));
  });

  it("unary operators", () => {
    expect(json(a.not())).toEqual(fn("not", attr("a")));
    expect(json(a.negate())).toEqual(fn("negative", attr("a")));
    expect(json(a.isNull())).toEqual(fn("isNull", attr("a")));
    expect(json(a.isNotNull())).toEqual(fn("isNotNull", attr("a")));
  });

  it("Column operands stay expressions; other values become literals", () => {
    expect(json(a.plus(col("b")))).toEqual(fn("+", attr("a"), attr("b")));
    expect(json(a.eq(null))).toEqual(fn("==", attr("a"), { literal: { null: { null: {} } } }));
    expect(json(a.eq(2 ** 40))).toEqual(fn("==", attr("a"), { literal: { long: String(2 ** 40) } }));
    expect(json(a.eq(1.5))).toEqual(fn("==", attr("a"), { literal: { double: 1.5 } }));
  });

  it("isin takes values or one array; between is >= and <=", () => {
    const expected = fn("in", attr("a"), int(1), int(2), { literal: { string: "x" } });
    expect(json(a.isin(1, 2, "x"))).toEqual(expected);
    expect(json(a.isin([1, 2, "x"]))).toEqual(expected);
    expect(json(a.between(1, col("hi")))).toEqual(fn("and", fn(">=", attr("a"), int(1)), fn("<=", attr("a"), attr("hi"))));
  });

  it("like/rlike/substr/getItem/getField", () => {
    expect(json(a.like("x%"))).toEqual(fn("like", attr("a"), { literal: { string: "x%" } }));
    expect(json(a.rlike("^x"))).toEqual(fn("rlike", attr("a"), { literal: { string: "^x" } }));
    expect(json(a.substr(1, 3))).toEqual(fn("substr", attr("a"), int(1), int(3)));
    expect(() => a.substr(1, col("n"))).toThrow(/two numbers or two Columns/);
    expect(json(a.getItem(0))).toEqual({ unresolvedExtractValue: { child: attr("a"), extraction: int(0) } });
    expect(json(a.getField("f"))).toEqual({ unresolvedExtractValue: { child: attr("a"), extraction: { literal: { string: "f" } } } });
  });
});

describe("Column alias, cast and sort order", () => {
  it("alias/as/name make an Alias", () => {
    expect(json(col("a").alias("b"))).toEqual({ alias: { expr: attr("a"), name: ["b"] } });
    expect(json(col("a").as("b"))).toEqual(json(col("a").name("b")));
    expect(() => col("a").alias()).toThrow(/at least one name/);
  });

  it("cast sends a string as type_str and an object as a typed DataType", () => {
    expect(json(col("a").cast("decimal(10,2)"))).toEqual({ cast: { expr: attr("a"), typeStr: "decimal(10,2)" } });
    expect(json(col("a").cast(Types.array(Types.long)))).toEqual({
      cast: { expr: attr("a"), type: { array: { elementType: { long: {} }, containsNull: true } } },
    });
  });

  it("asc is nulls first, desc nulls last, as in Spark", () => {
    const order = (c: Column) => json(c).sortOrder;
    expect(order(col("a").asc())).toEqual({ child: attr("a"), direction: "SORT_DIRECTION_ASCENDING", nullOrdering: "SORT_NULLS_FIRST" });
    expect(order(col("a").desc())).toEqual({ child: attr("a"), direction: "SORT_DIRECTION_DESCENDING", nullOrdering: "SORT_NULLS_LAST" });
    expect(order(col("a").ascNullsLast())).toMatchObject({ nullOrdering: "SORT_NULLS_LAST" });
    expect(order(col("a").descNullsFirst())).toMatchObject({ direction: "SORT_DIRECTION_DESCENDING", nullOrdering: "SORT_NULLS_FIRST" });
    // Re-sorting a sort order replaces it rather than nesting.
    expect(order(col("a").asc().desc())).toMatchObject({ child: attr("a") });
  });
});

describe("CASE WHEN", () => {
  it("chains into one function \"when\" with (cond, value) pairs and an else", () => {
    const c = when(col("a").gt(1), "big").when(col("a").gt(0), "small").otherwise(lit(null));
    expect(json(c)).toEqual(
      fn("when", fn(">", attr("a"), int(1)), { literal: { string: "big" } }, fn(">", attr("a"), int(0)), { literal: { string: "small" } }, {
        literal: { null: { null: {} } },
      }),
    );
  });

  it("refuses when()/otherwise() on other columns or after otherwise()", () => {
    expect(() => col("a").when(col("b"), 1)).toThrow(/only to a Column made by when\(\)/);
    expect(() => col("a").otherwise(1)).toThrow(/only to a Column made by when\(\)/);
    const done = when(col("a"), 1).otherwise(2);
    expect(() => done.when(col("b"), 3)).toThrow(/before otherwise/);
    expect(() => done.otherwise(3)).toThrow(/before otherwise/);
    expect(() => when("a" as unknown as Column, 1)).toThrow(/condition must be a Column/);
  });
});

describe("col() and toString()", () => {
  it("stars and qualified stars", () => {
    expect(json(col("*"))).toEqual({ unresolvedStar: {} });
    expect(json(col("t.*"))).toEqual({ unresolvedStar: { unparsedTarget: "t.*" } });
    expect(json(col("t.a"))).toEqual(attr("t.a"));
  });

  it("renders readable SQL-like text", () => {
    const c = when(col("a").ge(1).and(col("b").isin("x", "y")), col("c").cast("int")).otherwise(lit(2).alias("z"));
    expect(String(c)).toBe("Column<'CASE WHEN ((a >= 1) AND (b IN ('x', 'y'))) THEN CAST(c AS INT) ELSE 2 AS z END'>");
    expect(String(col("a").ne(1).not().desc())).toBe("Column<'(NOT (NOT (a = 1))) DESC NULLS LAST'>");
  });
});

describe("Column struct fields, try_cast and pyspark's method names", () => {
  const j = (c: Column) => toJson(ExpressionSchema, c.expr) as Record<string, any>;
  const a = (name: string) => ({ unresolvedAttribute: { unparsedIdentifier: name } });

  it("withField sets a field; dropFields nests one UpdateFields per name, as pyspark", () => {
    expect(j(col("s").withField("b", lit(2)))).toEqual({ updateFields: { structExpression: a("s"), fieldName: "b", valueExpression: { literal: { integer: 2 } } } });
    expect(j(col("s").dropFields("a", "b"))).toEqual({ updateFields: { structExpression: { updateFields: { structExpression: a("s"), fieldName: "a" } }, fieldName: "b" } });
    expect(() => col("s").withField("b", 2 as never)).toThrow(/col must be a Column \(use lit\(\) for a value\)/);
    expect(() => col("s").dropFields()).toThrow(/at least one field name/);
  });

  it("try_cast is a Cast with eval mode TRY", () => {
    expect(j(col("x").try_cast("int"))).toEqual({ cast: { expr: a("x"), typeStr: "int", evalMode: "EVAL_MODE_TRY" } });
  });

  it("startswith/endswith and the snake_case sort orders, as pyspark names them", () => {
    expect(j(col("s").startswith("a")).unresolvedFunction.functionName).toBe("startsWith");
    expect(j(col("s").endswith("a")).unresolvedFunction.functionName).toBe("endsWith");
    expect(j(col("s").asc_nulls_last()).sortOrder.nullOrdering).toBe("SORT_NULLS_LAST");
    expect(j(col("s").desc_nulls_first()).sortOrder).toMatchObject({ direction: "SORT_DIRECTION_DESCENDING", nullOrdering: "SORT_NULLS_FIRST" });
  });
});
