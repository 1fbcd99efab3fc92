import { beforeEach, describe, expect, it } from "vitest";
import { DataFrame } from "../../../../src/connect/sql/dataframe/dataframe.js";
import { col, count, lit, sum } from "../../../../src/connect/sql/column/functions.js";
import { rangeRelation, tableRelation } from "../../../../src/connect/sql/plans.js";
import { RecordingCore } from "../../../helpers/recording-core.js";
import { attr, fn, plan } from "../../../helpers/plan-json.js";

let core: RecordingCore;
let df: DataFrame;
const RANGE = { common: { planId: "0" }, range: { start: "0", end: "10", step: "1" } };

beforeEach(() => {
  core = new RecordingCore();
  df = new DataFrame(core, rangeRelation(core, 0n, 10n, 1n));
});

describe("transformations build pyspark's relations", () => {
  it("filter then select is Project(Filter(Range)), each with a fresh plan id", () => {
    expect(plan(df.filter(col("a").gt(1)).select("a"))).toEqual({
      common: { planId: "2" },
      project: {
        input: { common: { planId: "1" }, filter: { input: RANGE, condition: fn(">", attr("a"), { literal: { integer: 1 } }) } },
        expressions: [attr("a")],
      },
    });
  });

  it("select takes names, Columns or arrays; selectExpr and string filters send SQL text", () => {
    expect(plan(df.select(["a", col("b")])).project).toEqual({ input: RANGE, expressions: [attr("a"), attr("b")] });
    expect(plan(df.selectExpr("a + 1 AS b", ["c"])).project).toEqual({
      input: RANGE,
      expressions: [{ expressionString: { expression: "a + 1 AS b" } }, { expressionString: { expression: "c" } }],
    });
    expect(plan(df.where("id > 3")).filter).toEqual({ input: RANGE, condition: { expressionString: { expression: "id > 3" } } });
  });

  it("withColumn(s), withColumnRenamed and drop", () => {
    expect(plan(df.withColumn("x", lit(1))).withColumns).toEqual({ input: RANGE, aliases: [{ expr: { literal: { integer: 1 } }, name: ["x"] }] });
    expect(plan(df.withColumns(new Map([["a", col("id")], ["b", lit("s")]]))).withColumns).toMatchObject({
      aliases: [{ name: ["a"] }, { name: ["b"] }],
    });
    expect(() => df.withColumn("x", 1 as never)).toThrow(/must be a Column \(use lit\(\) for constants\)/);
    expect(plan(df.withColumnRenamed("id", "n")).withColumnsRenamed).toEqual({ input: RANGE, renameColumnsMap: { id: "n" } });
    expect(plan(df.drop("a", col("b"))).drop).toEqual({ input: RANGE, columns: [attr("b")], columnNames: ["a"] });
  });

  it("orderBy sorts globally: names ascending nulls first, sort orders kept", () => {
    expect(plan(df.orderBy("a", col("b").desc())).sort).toEqual({
      input: RANGE,
      order: [
        { child: attr("a"), direction: "SORT_DIRECTION_ASCENDING", nullOrdering: "SORT_NULLS_FIRST" },
        { child: attr("b"), direction: "SORT_DIRECTION_DESCENDING", nullOrdering: "SORT_NULLS_LAST" },
      ],
      isGlobal: true,
    });
    expect(() => df.orderBy()).toThrow(/at least one column/);
  });

  it("groupBy/agg are a GROUPBY Aggregate; count() aliases count(1) as \"count\"", () => {
    expect(plan(df.groupBy("k").agg(sum("v"))).aggregate).toEqual({
      input: RANGE,
      groupType: "GROUP_TYPE_GROUPBY",
      groupingExpressions: [attr("k")],
      aggregateExpressions: [fn("sum", attr("v"))],
    });
    expect(plan(df.groupBy(col("k")).count()).aggregate).toMatchObject({
      aggregateExpressions: [{ alias: { expr: fn("count", { literal: { integer: 1 } }), name: ["count"] } }],
    });
    expect(plan(df.agg({ v: "max", w: "avg" })).aggregate).toEqual({
      input: RANGE,
      groupType: "GROUP_TYPE_GROUPBY",
      aggregateExpressions: [fn("max", attr("v")), fn("avg", attr("w"))],
    });
    expect(plan(df.groupBy("k").mean("v")).aggregate).toMatchObject({ aggregateExpressions: [fn("avg", attr("v"))] });
    expect(() => df.groupBy("k").sum()).toThrow(/needs the columns to aggregate/);
    expect(() => df.agg()).toThrow(/at least one aggregate/);
    expect(() => df.groupBy("k").agg("v" as never)).toThrow(/argument 0 is a string/);
  });

  it("distinct, dropDuplicates, limit, offset, repartition, toDF, alias", () => {
    expect(plan(df.distinct()).deduplicate).toEqual({ input: RANGE, allColumnsAsKeys: true });
    expect(plan(df.dropDuplicates(["a"])).deduplicate).toEqual({ input: RANGE, columnNames: ["a"] });
    expect(plan(df.limit(5)).limit).toEqual({ input: RANGE, limit: 5 });
    expect(plan(df.offset(2)).offset).toEqual({ input: RANGE, offset: 2 });
    expect(plan(df.repartition(3)).repartition).toEqual({ input: RANGE, numPartitions: 3, shuffle: true });
    expect(plan(df.toDF("x")).toDf).toEqual({ input: RANGE, columnNames: ["x"] });
    expect(plan(df.alias("t")).subqueryAlias).toEqual({ input: RANGE, alias: "t" });
    expect(() => df.limit(1.5)).toThrow(/limit\(n\) must be an integer/);
    expect(() => df.repartition(0)).toThrow(/must be positive/);
  });

  it("df.col() carries the plan id so self-joins can tell sides apart", () => {
    const left = df.filter("id > 1");
    expect(plan(left).common).toEqual({ planId: "1" });
    expect(left.planId).toBe(1n);
    expect(plan(left.select(left.col("id"), left.col("*"))).project).toMatchObject({
      expressions: [attr("id", "1"), { unresolvedStar: { planId: "1" } }],
    });
  });
});

describe("set operations", () => {
  it("union is UNION ALL by position, as Spark's union; the others set is_all/by_name", () => {
    const other = new DataFrame(core, tableRelation(core, "t"));
    const OTHER = { common: { planId: "1" }, read: { namedTable: { unparsedIdentifier: "t" } } };
    const setOp = (d: DataFrame) => plan(d).setOp;
    const base = { leftInput: RANGE, rightInput: OTHER };
    expect(setOp(df.union(other))).toEqual({ ...base, setOpType: "SET_OP_TYPE_UNION", isAll: true, byName: false, allowMissingColumns: false });
    expect(setOp(df.unionAll(other))).toEqual(setOp(df.union(other)));
    expect(setOp(df.unionByName(other, true))).toEqual({ ...base, setOpType: "SET_OP_TYPE_UNION", isAll: true, byName: true, allowMissingColumns: true });
    expect(setOp(df.intersect(other))).toMatchObject({ setOpType: "SET_OP_TYPE_INTERSECT", isAll: false });
    expect(setOp(df.intersectAll(other))).toMatchObject({ setOpType: "SET_OP_TYPE_INTERSECT", isAll: true });
    expect(setOp(df.exceptAll(other))).toMatchObject({ setOpType: "SET_OP_TYPE_EXCEPT", isAll: true });
    expect(setOp(df.subtract(other))).toMatchObject({ setOpType: "SET_OP_TYPE_EXCEPT", isAll: false });
  });

  it("refuses DataFrames of another session", () => {
    const foreign = new DataFrame(new RecordingCore(), rangeRelation(core, 0n, 1n, 1n));
    expect(() => df.union(foreign)).toThrow(/same SparkSession/);
    expect(() => df.join(foreign)).toThrow(/same SparkSession/);
  });
});

describe("join", () => {
  const cases: [string, string][] = [
    ["inner", "JOIN_TYPE_INNER"],
    ["outer", "JOIN_TYPE_FULL_OUTER"],
    ["full", "JOIN_TYPE_FULL_OUTER"],
    ["full_outer", "JOIN_TYPE_FULL_OUTER"],
    ["FullOuter", "JOIN_TYPE_FULL_OUTER"],
    ["left", "JOIN_TYPE_LEFT_OUTER"],
    ["left_outer", "JOIN_TYPE_LEFT_OUTER"],
    ["right", "JOIN_TYPE_RIGHT_OUTER"],
    ["right_outer", "JOIN_TYPE_RIGHT_OUTER"],
    ["left_semi", "JOIN_TYPE_LEFT_SEMI"],
    ["semi", "JOIN_TYPE_LEFT_SEMI"],
    ["left_anti", "JOIN_TYPE_LEFT_ANTI"],
    ["anti", "JOIN_TYPE_LEFT_ANTI"],
    ["cross", "JOIN_TYPE_CROSS"],
  ];
  for (const [how, joinType] of cases) {
    it(`how="${how}" → ${joinType}`, () => expect(plan(df.join(df, "id", how)).join).toMatchObject({ joinType, usingColumns: ["id"] }));
  }

  it("names are USING columns; Columns are ANDed into one condition; default is inner", () => {
    const other = df.alias("o");
    expect(plan(df.join(other, ["a", "b"])).join).toEqual({
      left: RANGE,
      right: plan(other),
      joinType: "JOIN_TYPE_INNER",
      usingColumns: ["a", "b"],
    });
    expect(plan(df.join(other, [col("a").eq(col("o.a")), col("b").eq(1)])).join).toMatchObject({
      joinCondition: fn("and", fn("==", attr("a"), attr("o.a")), fn("==", attr("b"), { literal: { integer: 1 } })),
    });
    expect(plan(df.crossJoin(other)).join).toEqual({ left: RANGE, right: plan(other), joinType: "JOIN_TYPE_CROSS" });
  });

  it("rejects an unknown join type listing the valid ones, and mixed `on`", () => {
    expect(() => df.join(df, "id", "sideways")).toThrow(/unsupported join type "sideways"; use one of inner, outer, full.*left_anti, cross/);
    expect(() => df.join(df, ["a", col("b")] as never)).toThrow(/not a mix/);
  });

  it("count(\"*\") inside agg is count(1)", () => {
    expect(plan(df.agg(count("*").alias("n"))).aggregate).toMatchObject({
      aggregateExpressions: [{ alias: { expr: fn("count", { literal: { integer: 1 } }), name: ["n"] } }],
    });
  });
});
