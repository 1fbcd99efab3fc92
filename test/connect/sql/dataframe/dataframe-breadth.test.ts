// Plan shapes of na, stat, sampling, partitioning, pivots and observe: the relations pyspark 4.1's Connect
// client sends for the same calls (read from its dataframe.py / plan.py), checked without a server.
import { create, toJson } from "@bufbuild/protobuf";
import { beforeEach, describe, expect, it } from "vitest";
import { ExecutePlanResponseSchema } from "../../../../src/gen/spark/connect/base_pb.js";
import { RelationSchema } from "../../../../src/gen/spark/connect/relations_pb.js";
import { DataFrame } from "../../../../src/connect/sql/dataframe/dataframe.js";
import { col, count, lit } from "../../../../src/connect/sql/column/functions.js";
import { Observation } from "../../../../src/connect/sql/dataframe/observation.js";
import { rangeRelation } from "../../../../src/connect/sql/plans.js";
import { StorageLevel } from "../../../../src/connect/sql/dataframe/storage.js";
import { toLiteral } from "../../../../src/connect/types/literal.js";
import { RecordingCore } from "../../../helpers/recording-core.js";
import { attr, plan } from "../../../helpers/plan-json.js";

let core: RecordingCore;
let df: DataFrame;
const RANGE = { common: { planId: "0" }, range: { start: "0", end: "10", step: "1" } };

beforeEach(() => {
  core = new RecordingCore();
  df = new DataFrame(core, rangeRelation(core, 0n, 10n, 1n));
});

describe("na", () => {
  it("fill sends ints as longs and floats as doubles, a dict as cols + values", () => {
    expect(plan(df.fillna(0)).fillNa).toEqual({ input: RANGE, values: [{ long: "0" }] });
    expect(plan(df.na.fill(1.5, { subset: "a" })).fillNa).toEqual({ input: RANGE, cols: ["a"], values: [{ double: 1.5 }] });
    expect(plan(df.fillna({ a: "x", b: true })).fillNa).toEqual({ input: RANGE, cols: ["a", "b"], values: [{ string: "x" }, { boolean: true }] });
    expect(() => df.fillna({})).toThrow(/must not be empty/);
    expect(() => df.fillna(null as never)).toThrow(/number, string or boolean/);
  });

  it("drop maps how/thresh to min_non_nulls as pyspark does", () => {
    expect(plan(df.dropna()).dropNa).toEqual({ input: RANGE });
    expect(plan(df.dropna({ how: "all", subset: ["a"] })).dropNa).toEqual({ input: RANGE, cols: ["a"], minNonNulls: 1 });
    expect(plan(df.na.drop({ how: "all", thresh: 3 })).dropNa).toEqual({ input: RANGE, minNonNulls: 3 });
    expect(() => df.dropna({ how: "some" as never })).toThrow(/"any" or "all"/);
  });

  it("replace: numbers become doubles; dict, scalar, list and null forms; mixed types refused", () => {
    expect(plan(df.replace(1, 2)).replace).toEqual({ input: RANGE, replacements: [{ oldValue: { double: 1 }, newValue: { double: 2 } }] });
    expect(plan(df.replace({ a: "b", c: null }, { subset: ["s"] })).replace).toEqual({
      input: RANGE,
      cols: ["s"],
      replacements: [
        { oldValue: { string: "a" }, newValue: { string: "b" } },
        { oldValue: { string: "c" }, newValue: { null: expect.anything() } },
      ],
    });
    expect(plan(df.na.replace(["x", "y"], null)).replace.replacements).toHaveLength(2);
    expect(() => df.replace([1, 2], [3])).toThrow(/2 values but value has 1/);
    expect(() => df.replace({ a: 1 } as never)).toThrow(/mixed types/);
    expect(() => df.replace(1 as never, undefined as never)).toThrow(/pass the new value/);
  });
});

describe("stat and summaries", () => {
  it("describe, summary, crosstab, freqItems build Stat relations", () => {
    expect(plan(df.describe("a", ["b"])).describe).toEqual({ input: RANGE, cols: ["a", "b"] });
    expect(plan(df.summary("count", "75%")).summary).toEqual({ input: RANGE, statistics: ["count", "75%"] });
    expect(plan(df.stat.crosstab("a", "b")).crosstab).toEqual({ input: RANGE, col1: "a", col2: "b" });
    expect(plan(df.freqItems(["a"])).freqItems).toEqual({ input: RANGE, cols: ["a"], support: 0.01 });
  });

  it("sampleBy sends literal strata and a seed, drawn when none is given", () => {
    const s = plan(df.sampleBy("k", new Map<number, number>([[0, 0.5], [1, 1]]), 7)).sampleBy;
    expect(s).toEqual({ input: RANGE, col: attr("k"), fractions: [{ stratum: { integer: 0 }, fraction: 0.5 }, { stratum: { integer: 1 }, fraction: 1 }], seed: "7" });
    expect(BigInt(plan(df.sampleBy("k", { a: 0.1 })).sampleBy.seed)).toBeGreaterThanOrEqual(0n);
    expect(() => df.sampleBy("k", { a: 2 })).toThrow(/must be in \[0, 1\]/);
  });

  it("approxQuantile validates before any job", async () => {
    await expect(df.approxQuantile("a", [1.5], 0.1)).rejects.toThrow(/numbers in \[0, 1\]/);
    await expect(df.stat.corr("a", "b", "spearman" as never)).rejects.toThrow(/only "pearson"/);
    expect(core.executed).toHaveLength(0);
  });
});

describe("sampling", () => {
  it("sample: both overloads, lower bound 0, the seed kept in the plan", () => {
    expect(plan(df.sample(0.1, 42)).sample).toEqual({ input: RANGE, upperBound: 0.1, withReplacement: false, seed: "42" });
    expect(plan(df.sample(true, 0.5, 7n)).sample).toEqual({ input: RANGE, upperBound: 0.5, withReplacement: true, seed: "7" });
    const drawn = BigInt(plan(df.sample(0.5)).sample.seed);
    expect(drawn >= 0n && drawn < 2n ** 63n).toBe(true);
    expect(() => df.sample(1.5)).toThrow(/in \[0, 1\]/);
    expect(() => df.sample("x" as never)).toThrow(/sample\(0.1, 42\)/);
  });

  it("randomSplit: cumulative normalized bounds, one seed, deterministic order", () => {
    const parts = df.randomSplit([2, 1, 1], 5).map((d) => plan(d).sample);
    expect(parts.map((p) => [p.lowerBound ?? 0, p.upperBound])).toEqual([[0, 0.5], [0.5, 0.75], [0.75, 1]]);
    expect(parts.every((p) => p.seed === "5" && p.deterministicOrder === true && p.withReplacement === false)).toBe(true);
    expect(() => df.randomSplit([0, 0])).toThrow(/sum to more than 0/);
  });
});

describe("partitioning and hints", () => {
  it("repartition by count, count + columns, or columns; by range as sort orders; coalesce without shuffle", () => {
    expect(plan(df.repartition(3)).repartition).toEqual({ input: RANGE, numPartitions: 3, shuffle: true });
    expect(plan(df.repartition(3, "a")).repartitionByExpression).toEqual({ input: RANGE, numPartitions: 3, partitionExprs: [attr("a")] });
    expect(plan(df.repartition("a", col("b"))).repartitionByExpression).toEqual({ input: RANGE, partitionExprs: [attr("a"), attr("b")] });
    expect(plan(df.repartitionByRange(2, "a")).repartitionByExpression).toEqual({
      input: RANGE,
      numPartitions: 2,
      partitionExprs: [{ sortOrder: { child: attr("a"), direction: "SORT_DIRECTION_ASCENDING", nullOrdering: "SORT_NULLS_FIRST" } }],
    });
    expect(plan(df.coalesce(1)).repartition).toEqual({ input: RANGE, numPartitions: 1, shuffle: false });
    expect(plan(df.sortWithinPartitions("a")).sort).toMatchObject({ isGlobal: false });
    expect(() => df.repartitionByRange(2)).toThrow(/at least one column/);
  });

  it("hint parameters are literals, Columns as they are, one array as the list", () => {
    expect(plan(df.hint("repartition", 4, col("a"))).hint).toEqual({ input: RANGE, name: "repartition", parameters: [{ literal: { integer: 4 } }, attr("a")] });
    expect(plan(df.hint("x", [1, 2])).hint.parameters).toHaveLength(2);
    expect(() => df.hint("x", {} as never)).toThrow(/string, number, Column/);
  });
});

describe("grouping, unpivot, observe, metadata", () => {
  it("pivot after groupBy; cube, rollup; groupingSets on 4.x, a version error on 3.5", () => {
    expect(plan(df.groupBy("g").pivot("p", ["x", 1]).count()).aggregate).toMatchObject({
      groupType: "GROUP_TYPE_PIVOT",
      pivot: { col: attr("p", "0"), values: [{ string: "x" }, { integer: 1 }] },
    });
    expect(() => df.cube("a").pivot("p")).toThrow(/only after groupBy/);
    expect(plan(df.cube("a").count()).aggregate.groupType).toBe("GROUP_TYPE_CUBE");
    expect(plan(df.rollup("a").count()).aggregate.groupType).toBe("GROUP_TYPE_ROLLUP");
    expect(plan(df.groupingSets([["a"], []], "a").count()).aggregate).toMatchObject({
      groupType: "GROUP_TYPE_GROUPING_SETS",
      groupingExpressions: [attr("a")],
      groupingSets: [{ groupingSet: [attr("a")] }, {}],
    });
    const old = Object.assign(new RecordingCore(), { version: "3.5.7" });
    expect(() => new DataFrame(old, rangeRelation(old, 0n, 1n)).groupingSets([["a"]])).toThrow(/groupingSets\(\) needs Spark 4.0\+; this server runs Spark 3.5.7/);
  });

  it("unpivot/melt: values null leaves them unset", () => {
    expect(plan(df.unpivot("id", ["a", "b"], "k", "v")).unpivot).toEqual({
      input: RANGE,
      ids: [attr("id")],
      values: { values: [attr("a"), attr("b")] },
      variableColumnName: "k",
      valueColumnName: "v",
    });
    expect(plan(df.melt(["id"], null, "k", "v")).unpivot.values).toBeUndefined();
  });

  it("observe: a CollectMetrics relation whose metrics reach the Observation after the action", async () => {
    const obs = new Observation("m");
    const observed = df.observe(obs, count(lit(1)).alias("rows"));
    expect(plan(observed).collectMetrics).toMatchObject({ name: "m", metrics: [{ alias: { name: ["rows"] } }] });
    expect(() => obs.get).toThrow(/no action on the observed DataFrame has completed/);
    expect(() => df.observe(obs, count(lit(1)).alias("x"))).toThrow(/already used/);
    // 3.5 sends values without keys: they are matched to the aliases.
    core.answerWith(create(ExecutePlanResponseSchema, { observedMetrics: [{ name: "m", values: [toLiteral(5n)] }] }));
    await observed.collect();
    expect(obs.get).toEqual({ rows: 5n });
  });

  it("withMetadata sends the JSON in the alias; tail is a Tail relation", async () => {
    expect(plan(df.withMetadata("id", { k: 1 })).withColumns.aliases).toEqual([{ expr: attr("id", "0"), name: ["id"], metadata: '{"k":1}' }]);
    core.answerWithTable(null);
    await df.tail(2);
    expect(toJson(RelationSchema, core.executed[0]!.opType.value as never)).toMatchObject({ tail: { input: RANGE, limit: 2 } });
  });
});

describe("storage", () => {
  it("StorageLevel has pyspark's constants and text", () => {
    expect(String(StorageLevel.MEMORY_AND_DISK_DESER)).toBe("Disk Memory Deserialized 1x Replicated");
    expect(String(StorageLevel.MEMORY_ONLY_2)).toBe("Memory Serialized 2x Replicated");
    expect(StorageLevel.NONE.equals(new StorageLevel(false, false, false, false))).toBe(true);
  });

  it("persist is an AnalyzePlan call resolving to the same DataFrame; checkpoint needs 4.0", async () => {
    core.answerAnalyze({ case: "persist", value: {} });
    expect(await df.persist(StorageLevel.DISK_ONLY)).toBe(df);
    expect(core.analyzed[0]).toMatchObject({ case: "persist", value: { storageLevel: { useDisk: true, useMemory: false, replication: 1 } } });
    const old = Object.assign(new RecordingCore(), { version: "3.5.7" });
    await expect(new DataFrame(old, rangeRelation(old, 0n, 1n)).localCheckpoint()).rejects.toThrow(/localCheckpoint\(\) needs Spark 4.0\+/);
  });
});
