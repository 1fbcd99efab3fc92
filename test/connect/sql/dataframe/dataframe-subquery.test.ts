// Subqueries, lateral joins, repartitionById and MERGE INTO build the plans pyspark 4.1.4's Connect client
// builds for the same calls (pyspark/plans.json, written by pyspark/plans.py); executionInfo and toJSON.
import { readFileSync } from "node:fs";
import { create, toJson } from "@bufbuild/protobuf";
import { tableFromArrays } from "apache-arrow";
import { beforeEach, describe, expect, it } from "vitest";
import { ExecutePlanResponseSchema } from "../../../../src/gen/spark/connect/base_pb.js";
import { CommandSchema } from "../../../../src/gen/spark/connect/commands_pb.js";
import { ExpressionSchema } from "../../../../src/gen/spark/connect/expressions_pb.js";
import { RelationSchema } from "../../../../src/gen/spark/connect/relations_pb.js";
import { UDTFRegistration } from "../../../../src/connect/python/udtf.js";
import { Column } from "../../../../src/connect/sql/column/column.js";
import { col, count, lit, max, struct, sum } from "../../../../src/connect/sql/column/functions.js";
import { DataFrame } from "../../../../src/connect/sql/dataframe/dataframe.js";
import { CollectedMetrics, Observation } from "../../../../src/connect/sql/dataframe/observation.js";
import { rangeRelation, tableRelation } from "../../../../src/connect/sql/plans.js";
import { arrowBatch, RecordingCore } from "../../../helpers/recording-core.js";
import { normalizedPlanIds } from "../../../helpers/plan-json.js";

const PYSPARK = JSON.parse(readFileSync(new URL("./pyspark/plans.json", import.meta.url), "utf8")) as Record<string, unknown>;

let core: RecordingCore;
const range = (n: number) => new DataFrame(core, rangeRelation(core, 0n, BigInt(n), 1n));
const table = (name: string) => new DataFrame(core, tableRelation(core, name));

const normalized = normalizedPlanIds;
const ours = (df: DataFrame) => normalized(toJson(RelationSchema, df.relation));
const theirs = (name: string) => normalized(PYSPARK[name]);

beforeEach(() => {
  core = new RecordingCore();
  // Ids from 1: a subquery naming plan 0 sends plan_id 0, which proto3 JSON leaves out (the wire value is the same).
  core.nextPlanId();
});

describe("subqueries travel in a WithRelations, as pyspark sends them", () => {
  it("scalar, exists (correlated), used twice, nested, in orderBy and in an aggregate", () => {
    const sub = range(3).select(max("id"));
    const df = range(5);
    const left = range(5).alias("l");
    const right = range(3).alias("r");
    expect(ours(df.select(sub.scalar().alias("m")))).toEqual(theirs("scalar"));
    expect(ours(left.where(right.where(col("r.id").eq(col("l.id").outer())).exists()))).toEqual(theirs("existsCorrelated"));
    expect(ours(df.select(sub.scalar(), sub.scalar().plus(1).alias("p")))).toEqual(theirs("twice"));
    const inner = range(3).withColumn("m", sub.scalar());
    expect(ours(df.where(col("id").lt(inner.select(max("m")).scalar())))).toEqual(theirs("nested"));
    expect(ours(df.orderBy(sub.scalar()))).toEqual(theirs("orderBy"));
    expect(ours(df.groupBy(col("id").mod(2)).agg(sum(sub.scalar()).alias("s")))).toEqual(theirs("groupByAgg"));
  });

  it("col.isin(df) is an IN subquery; a struct on the left sends its fields", () => {
    const df = range(5);
    expect(ours(df.where(col("id").isin(range(2))))).toEqual(theirs("inSubquery"));
    expect(ours(df.where(struct(col("id"), lit(1)).isin(range(2).select("id", lit(1)))))).toEqual(theirs("inStruct"));
    expect(toJson(ExpressionSchema, col("id").isin(1).expr)).toEqual({ unresolvedFunction: { functionName: "in", arguments: [{ unresolvedAttribute: { unparsedIdentifier: "id" } }, { literal: { integer: 1 } }] } });
  });

  it("the DataFrame keeps the wrapper's plan id, so df.col() names the whole plan", () => {
    const withSub = range(5).select(range(3).select(max("id")).scalar().alias("m"));
    expect(withSub.relation.relType.case).toBe("withRelations");
    expect(withSub.col("m").expr.exprType.value).toMatchObject({ planId: withSub.relation.common?.planId });
    // A plan without subqueries is not wrapped.
    expect(range(5).select("id").relation.relType.case).toBe("project");
  });

  it("asTable(): partitionBy/withSinglePartition, then orderBy, as pyspark's TableArg checks them", () => {
    const kv = table("kv");
    const arg = kv.asTable().partitionBy("k").orderBy(col("v").desc());
    expect(arg.expr.exprType.value).toMatchObject({ planId: kv.planId });
    // Any relation using the argument carries kv in its WithRelations.
    expect(toJson(RelationSchema, range(1).select(new Column(arg.expr)).relation)).toMatchObject({
      withRelations: { references: [{ read: { namedTable: { unparsedIdentifier: "kv" } } }] },
    });
    // A Python UDTF called with table arguments: pyspark's relation, apart from the function itself (filled by the
    // bundle hook) and `deterministic` (pyspark's udtf() defaults to false, spark.udtf.python to true).
    Object.assign(core, { udf: { pythonEnabled: true } });
    const counts = new UDTFRegistration(core).python("mod:Counts", "k int, n int");
    const withoutFunction = (json: any) => {
      const { pythonUdtf: _f, deterministic: _d, ...rest } = json.withRelations.root.commonInlineUserDefinedTableFunction;
      return { ...json, withRelations: { ...json.withRelations, root: { ...json.withRelations.root, commonInlineUserDefinedTableFunction: rest } } };
    };
    expect(withoutFunction(ours(counts(arg)))).toEqual(withoutFunction(theirs("udtfTableArg")));
    expect(withoutFunction(ours(counts(kv.asTable().withSinglePartition())))).toEqual(withoutFunction(theirs("udtfSinglePartition")));
    expect(() => kv.asTable().orderBy("v")).toThrow(/call partitionBy\(\) or withSinglePartition\(\) before orderBy/);
    expect(() => kv.asTable().withSinglePartition().partitionBy("k")).toThrow(/Cannot call partitionBy\(\) after/);
    expect(() => kv.asTable().partitionBy("k").withSinglePartition()).toThrow(/Cannot call withSinglePartition\(\) after/);
  });
});

describe("lateralJoin and repartitionById", () => {
  it("lateralJoin: correlated right side, on + left_outer, cross; other join types refused", () => {
    const left = range(5).alias("l");
    const right = range(3).alias("r");
    expect(ours(left.lateralJoin(right.where(col("r.id").le(col("l.id").outer())).select(col("r.id").alias("rid"))))).toEqual(theirs("lateral"));
    expect(ours(left.lateralJoin(right, col("l.id").eq(col("r.id")), "left_outer"))).toEqual(theirs("lateralOn"));
    expect(ours(left.lateralJoin(right, undefined, "cross"))).toEqual(theirs("lateralCross"));
    expect(() => left.lateralJoin(right, undefined, "right")).toThrow(/unsupported join type "right"; use one of 'inner', 'leftouter', 'left', 'left_outer', 'cross'/);
    expect(() => left.lateralJoin(right, "id" as never)).toThrow(/on must be a Column condition/);
  });

  it("repartitionById sends the id column inside DirectShufflePartitionID", () => {
    expect(ours(range(5).repartitionById(3, col("id").mod(3)))).toEqual(theirs("repartitionById"));
    expect(ours(range(5).repartitionById(2, "id"))).toEqual(theirs("repartitionByIdName"));
    expect(() => range(5).repartitionById(0, "id")).toThrow(/must be positive, got 0/);
    expect(() => range(5).repartitionById(1.5, "id")).toThrow(/must be an integer/);
  });
});

describe("mergeInto", () => {
  async function sentCommand(run: () => Promise<void>) {
    core.answerWith();
    await run();
    const plan = core.executed.at(-1)!;
    if (plan.opType.case !== "command") throw new Error("expected a command");
    return normalized(toJson(CommandSchema, plan.opType.value));
  }

  it("every clause kind, in order, with schema evolution: pyspark's MergeIntoTableCommand", async () => {
    const source = table("kv").alias("source");
    const writer = source
      .mergeInto("t", col("source.k").eq(col("t.k")))
      .whenMatched(col("source.v").gt(5)).update({ v: col("source.v"), k: lit(0) })
      .whenMatched().delete()
      .whenNotMatched().insertAll()
      .whenNotMatched(col("source.v").lt(0)).insert({ k: col("source.k") })
      .whenNotMatchedBySource(col("t.v").gt(1)).updateAll()
      .whenNotMatchedBySource().update({ v: lit(-1) })
      .whenNotMatchedBySource().delete()
      .withSchemaEvolution();
    expect(await sentCommand(() => writer.merge())).toEqual(theirs("merge"));
    expect(await sentCommand(() => source.mergeInto("t", col("source.k").eq(col("t.k"))).whenMatched().updateAll().merge())).toEqual(theirs("mergePlain"));
  });

  it("bad arguments name what to pass", () => {
    const source = table("kv");
    expect(() => source.mergeInto("t", "k = k" as never)).toThrow(/the condition must be a Column/);
    expect(() => source.mergeInto("", col("a"))).toThrow(/table must be the target table's name/);
    expect(() => source.mergeInto("t", col("a")).whenMatched().update({ v: 1 as never })).toThrow(/the value for "v" must be a Column \(use lit\(\) for constants\)/);
  });
});

describe("versions", () => {
  it("on Spark 3.5 each 4.x method names the version it needs; repartitionById needs 4.1", () => {
    Object.assign(core, { version: "3.5.7" });
    const df = range(3);
    for (const [run, name] of [
      [() => df.scalar(), "scalar\\(\\)"],
      [() => df.exists(), "exists\\(\\)"],
      [() => df.asTable(), "asTable\\(\\)"],
      [() => df.lateralJoin(range(1)), "lateralJoin\\(\\)"],
      [() => df.mergeInto("t", col("a")), "mergeInto\\(\\)"],
      [() => col("id").isin(df), "isin\\(DataFrame\\)"],
    ] as const) {
      expect(run).toThrow(new RegExp(`${name} needs Spark 4.0\\+; this server runs Spark 3.5.7`));
    }
    expect(() => df.repartitionById(2, "id")).toThrow(/repartitionById\(\) needs Spark 4.1\+; this server runs Spark 3.5.7/);
    Object.assign(core, { version: "4.0.1" });
    expect(() => df.repartitionById(2, "id")).toThrow(/repartitionById\(\) needs Spark 4.1\+; this server runs Spark 4.0.1/);
    expect(df.scalar()).toBeDefined();
  });
});

describe("toJSON and executionInfo", () => {
  it("toJSON is one string column value = to_json(struct(*))", () => {
    expect(toJson(RelationSchema, range(2).toJSON().relation)).toMatchObject({
      project: {
        expressions: [{ alias: { name: ["value"], expr: { unresolvedFunction: { functionName: "to_json", arguments: [{ unresolvedFunction: { functionName: "struct", arguments: [{ unresolvedStar: {} }] } }] } } } }],
      },
    });
  });

  it("the last action's metrics and observations land on the DataFrame that ran it", async () => {
    const df = range(5);
    expect(df.executionInfo).toBeNull();
    const metrics = create(ExecutePlanResponseSchema, {
      metrics: {
        metrics: [
          { name: "WholeStageCodegen (1)", planId: 7n, parent: 7n, executionMetrics: { pipelineTime: { name: "duration", value: 1n, metricType: "timing" } } },
          { name: "Range", planId: 6n, parent: 7n, executionMetrics: { numOutputRows: { name: "number of output rows", value: 5n, metricType: "sum" } } },
        ],
      },
      observedMetrics: [{ name: "obs", values: [{ literalType: { case: "long", value: 5n } }], keys: ["rows"] }],
    });
    core.answerWith(arrowBatch(tableFromArrays({ id: BigInt64Array.from([0n]) })), metrics);
    await df.collect();
    const info = df.executionInfo!;
    expect(info.metrics?.plans.map((p) => [p.name, p.planId, p.parentPlanId, p.metrics])).toEqual([
      ["WholeStageCodegen (1)", 7, 7, [{ name: "pipelineTime", value: 1, metricType: "timing" }]],
      ["Range", 6, 7, [{ name: "numOutputRows", value: 5, metricType: "sum" }]],
    ]);
    // pyspark 4.1.4's toText() of the same two PlanMetrics.
    expect(info.metrics?.toText()).toBe("+- WholeStageCodegen (1)()\n+- Range(numOutputRows: 5 (sum))\n");
    expect(info.flows).toEqual([["obs", { rows: 5n }]]);
    // take() runs a limit of df, yet the info is df's, replaced by the newer action.
    core.answerWith();
    await df.take(1);
    const afterTake = df.executionInfo;
    expect(afterTake).not.toBe(info);
    expect(afterTake?.metrics).toBeNull();
    // Commands too: a write, a view.
    core.answerWith(metrics);
    await df.write.mode("overwrite").parquet("/tmp/out");
    expect(df.executionInfo?.metrics?.plans).toHaveLength(2);
    core.answerWith();
    await df.createOrReplaceTempView("v");
    expect(df.executionInfo?.metrics).toBeNull();
  });

  it("observed values without keys (Spark 3.5) are named by the Observation's aliases, else observed_metric_<i>", async () => {
    const observed = range(5).observe(new Observation("o"), count(lit(1)).alias("rows")).observe("named", max("id").alias("top"));
    const keyless = (name: string) => ({ name, values: [{ literalType: { case: "long" as const, value: 5n } }] });
    core.answerWith(create(ExecutePlanResponseSchema, { observedMetrics: [keyless("o"), keyless("named")] }));
    await observed.collect();
    expect(observed.executionInfo?.flows).toEqual([["o", { rows: 5n }], ["named", { observed_metric_0: 5n }]]);
  });

  it("CollectedMetrics.toText prints the tree line for line as pyspark's (its indentation rule included)", () => {
    const m = (name: string, planId: number, parentPlanId: number, metrics: [string, number, string][] = []) => ({
      name, planId, parentPlanId, metrics: metrics.map(([n, value, metricType]) => ({ name: n, value, metricType })),
    });
    const collected = new CollectedMetrics([
      m("Filter", 3, 1, [["numOutputRows", 2, "sum"]]),
      m("WholeStageCodegen (1)", 1, 1, [["pipelineTime", 0, "timing"]]),
      m("Range", 4, 3, [["numOutputRows", 5, "sum"], ["peakMemory", 64, "size"]]),
      m("Project", 5, 1),
    ]);
    // pyspark 4.1.4: CollectedMetrics([...the same PlanMetrics...]).toText()
    expect(collected.toText()).toBe("+- WholeStageCodegen (1)()\n  +- Filter(numOutputRows: 2 (sum))\n  +- Range(numOutputRows: 5 (sum),peakMemory: 64 (size))\n+- Project()\n");
  });
});
