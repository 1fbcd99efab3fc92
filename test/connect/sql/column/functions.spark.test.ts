// Integration: the function library, windows, lambdas and Column methods on a real server, in five
// jobs, compared with what pyspark 4.1.4 returned for the same jobs on the same server
// (pyspark/functions.py wrote pyspark/functions.json). Every output is cast to string by the server,
// so both clients compare Spark's own rendering.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { onSpark35 } from "../../../helpers/spark-line.js";
import * as F from "../../../../src/index.js";
import { col, lit, SparkConnectError, SparkSession, Window, type Column, type DataFrame } from "../../../../src/index.js";

type Rows = Record<string, string | null>[];
const expected = JSON.parse(readFileSync(new URL("./pyspark/functions.json", import.meta.url), "utf8")) as Record<string, Rows>;

let spark: SparkSession;
let df: DataFrame;
beforeAll(async () => {
  spark = await SparkSession.builder().remote(inject("sparkRemote")).create();
  df = spark.createDataFrame(
    [
      { k: "a", t: 1, x: 10.5, s: "hello world", ds: "2024-01-31", xs: [3, 1, 2], j: '{"a": 1, "b": "x"}' },
      { k: "a", t: 2, x: 20.0, s: "Spark", ds: "2024-02-29", xs: [5, 4, 5], j: '{"a": 2}' },
      { k: "b", t: 3, x: null, s: "x", ds: "2023-12-25", xs: [], j: "{}" },
    ],
    "k string, t int, x double, s string, ds string, xs array<int>, j string",
  );
});
afterAll(async () => {
  await spark?.stop();
});

const asStrings = async (frame: DataFrame) => frame.select(...(await frame.columns()).map((c) => col(`\`${c}\``).cast("string")));
const rows = async (frame: DataFrame, order: string) => (await (await asStrings(frame)).orderBy(order).collect()) as Rows;

describe("functions, windows and lambdas give pyspark's values", () => {
  it("one select: dates, strings, math, arrays, maps, JSON and Column methods", async () => {
    const d = F.to_date("ds");
    const st = F.struct(col("k").alias("a"), col("t").alias("b"));
    const m = F.map_from_arrays(F.array(lit("p"), lit("q")), F.array(lit(1), col("t")));
    const big: [string, Column][] = [
      ["date_add", F.date_add(d, 1)], ["date_sub", F.date_sub(d, 1)], ["add_months", F.add_months(d, 1)],
      ["datediff", F.datediff(d, F.to_date(lit("2024-01-01")))], ["months_between", F.months_between(d, F.to_date(lit("2024-01-01")))],
      ["date_trunc", F.date_trunc("month", d)], ["trunc", F.trunc(d, "year")], ["last_day", F.last_day(d)],
      ["next_day", F.next_day(d, "Mon")], ["dayofweek", F.dayofweek(d)], ["weekofyear", F.weekofyear(d)],
      ["dayofyear", F.dayofyear(d)], ["make_date", F.make_date(lit(2024), "t", "t")],
      ["lpad", F.lpad("s", 13, "*")], ["rpad", F.rpad("s", 7, "-")], ["format_string", F.format_string("%s-%d", "s", "t")],
      ["regexp_like", F.regexp_like("s", lit("^[hS]"))], ["substring_index", F.substring_index("s", "l", 2)],
      ["instr", F.instr("s", "o")], ["locate", F.locate("o", "s", 6)], ["translate", F.translate("s", "lo", "01")],
      ["initcap", F.initcap("s")], ["reverse", F.reverse("s")], ["repeat", F.repeat("k", 3)],
      ["format_number", F.format_number("x", 2)], ["levenshtein", F.levenshtein("s", lit("Spark"))],
      ["greatest", F.greatest("t", lit(2))], ["least", F.least("t", lit(2))], ["nvl", F.nvl("x", lit(-1.0))],
      ["nvl2", F.nvl2("x", lit("y"), lit("n"))], ["log2base", F.log(2, "t")], ["ln", F.log("t")],
      ["array_contains", F.array_contains("xs", 1)], ["try_element_at", F.try_element_at("xs", lit(2))],
      ["map_at", F.element_at(m, "q")], ["map_keys", F.map_keys(m)], ["map_values", F.map_values(m)],
      ["create_map", F.create_map(lit("t"), "t")], ["sort_array", F.sort_array("xs", false)],
      ["array_join", F.array_join(F.array(lit("a"), lit(null).cast("string")), ",", "?")],
      ["slice", F.slice("xs", 2, 5)], ["array_position", F.array_position("xs", 5)], ["array_remove", F.array_remove("xs", 5)],
      ["array_distinct", F.array_distinct("xs")], ["array_union", F.array_union("xs", F.array(lit(9)))],
      ["flatten", F.flatten(F.array("xs", "xs"))], ["arrays_zip", F.arrays_zip("xs", "xs")],
      ["sequence", F.sequence(lit(1), "t")], ["array_repeat", F.array_repeat("k", "t")],
      ["from_json", F.from_json("j", "a INT, b STRING")], ["to_json", F.to_json(st)],
      ["get_json_object", F.get_json_object("j", "$.a")], ["schema_of_json", F.schema_of_json('{"a": [1]}')],
      ["withField", st.withField("c", lit(1))], ["dropFields", st.dropFields("a")], ["try_cast", col("s").try_cast("int")],
      ["getField", st.getField("b")], ["getItem", m.getItem("p")], ["isin", col("t").isin(1, 3)],
      ["between", col("t").between(2, 3)], ["like", col("s").like("h%")], ["rlike", col("s").rlike("^S")],
      ["ilike", col("s").ilike("SP%")], ["startswith", col("s").startswith("he")], ["endswith", col("s").endswith("k")],
      ["contains", col("s").contains("o")], ["substr", col("s").substr(2, 3)], ["eqNullSafe", col("x").eqNullSafe(null)],
      ["isNull", col("x").isNull()], ["isNaN", col("x").isNaN()], ["bitwiseAND", col("t").bitwiseAND(2)],
      ["spark_partition_id", F.spark_partition_id().ge(0)], ["mono_id", F.monotonically_increasing_id().ge(0)],
    ];
    expect(await rows(df.select("t", ...big.map(([name, c]) => c.alias(name))), "t")).toEqual(expected.big);
  });

  it("window functions and aggregates over windows, with rows and range frames", async () => {
    const w = Window.partitionBy("k").orderBy("t");
    const frame = df.select(
      "t",
      F.row_number().over(w).alias("row_number"), F.rank().over(w).alias("rank"), F.dense_rank().over(w).alias("dense_rank"),
      F.percent_rank().over(w).alias("percent_rank"), F.cume_dist().over(w).alias("cume_dist"), F.ntile(2).over(w).alias("ntile"),
      F.lag("t").over(w).alias("lag"), F.lead("t", 1, -1).over(w).alias("lead"),
      F.nth_value("t", 2).over(w.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)).alias("nth_value"),
      F.sum("t").over(w.rowsBetween(Window.unboundedPreceding, Window.currentRow)).alias("running"),
      F.sum("t").over(Window.orderBy("t").rangeBetween(-1, 0)).alias("range_sum"),
      F.count("*").over(Window.partitionBy("k")).alias("per_k"),
    );
    expect(await rows(frame, "t")).toEqual(expected.window);
  });

  it("higher-order functions with JS lambdas (and a generator, json_tuple)", async () => {
    const m = F.map_from_arrays(F.array(lit("p"), lit("q")), F.array(lit(1), col("t")));
    const frame = df.select(
      "t",
      F.transform("xs", (x) => x.plus(1)).alias("transform"),
      F.transform("xs", (x, i) => x.multiply(i)).alias("transform_i"),
      F.filter("xs", (x) => x.gt(2)).alias("filter"),
      F.filter("xs", (_x, i) => i.gt(0)).alias("filter_i"),
      F.exists("xs", (x) => x.gt(4)).alias("exists"),
      F.forall("xs", (x) => x.gt(2)).alias("forall"),
      F.aggregate("xs", lit(0), (acc, x) => acc.plus(x)).alias("aggregate"),
      F.aggregate("xs", lit(0), (acc, x) => acc.plus(x), (acc) => acc.multiply(10)).alias("aggregate_finish"),
      F.zip_with("xs", "xs", (a, b) => a.multiply(b)).alias("zip_with"),
      F.map_filter(m, (_k, v) => v.gt(1)).alias("map_filter"),
      F.transform_values(F.create_map(lit("v"), col("t")), (_k, v) => v.multiply(100)).alias("transform_values"),
      F.transform_keys(F.create_map(lit("v"), col("t")), (k) => F.concat(k, lit("!"))).alias("transform_keys"),
      F.map_zip_with(F.create_map(lit("v"), col("t")), F.create_map(lit("v"), lit(1)), (_k, a, b) => a.plus(b)).alias("map_zip_with"),
      F.array_sort("xs", (l, r) => r.minus(l)).alias("array_sort"),
      F.reduce("xs", lit(1), (acc, x) => acc.multiply(x)).alias("reduce"),
      F.json_tuple("j", "a", "b"),
    );
    expect(await rows(frame, "t")).toEqual(expected.lambda);
  });

  it("aggregates, DISTINCT variants and grouping_id", async () => {
    // pyspark 4.1 sends mode(col, deterministic); 3.5's mode takes one argument and says so
    // (WRONG_NUM_ARGS), as it does for pyspark 4.1 itself. The one-argument call has the same value.
    const mode = onSpark35 ? F.fn("mode", "k") : F.mode("k");
    const agg = df.groupBy("k").agg(
      F.sum_distinct("t").alias("sum_distinct"), F.approx_count_distinct("t", 0.05).alias("approx_count_distinct"),
      F.percentile_approx("t", 0.5).alias("percentile_approx"), F.percentile_approx("t", [0, 1], 100).alias("percentiles"),
      F.median("t").alias("median"), mode.alias("mode"), F.max_by("s", "t").alias("max_by"), F.min_by("s", "t").alias("min_by"),
      F.count_if(col("t").gt(1)).alias("count_if"), F.stddev("t").alias("stddev"), F.corr("t", "x").alias("corr"),
      F.countDistinct("t").alias("countDistinct"), F.count_distinct("s", "t").alias("count_distinct"),
    );
    expect(await rows(agg, "k")).toEqual(expected.agg);
    const cube = (await asStrings(df.cube("k").agg(F.grouping_id().alias("gid"), F.sum("t").alias("n")))).orderBy("gid", "k");
    expect(await cube.collect()).toEqual(expected.cube);
  });

  it("a function the server lacks fails with Spark's own error", async () => {
    const missing = onSpark35 ? F.randstr(lit(5)) : F.fn("sab_no_such_function", "t");
    const error = await df.select(missing).collect().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SparkConnectError);
    expect((error as Error).message).toMatch(onSpark35 ? /randstr/ : /sab_no_such_function/);
    if (!onSpark35) expect((error as SparkConnectError).errorClass).toBe("UNRESOLVED_ROUTINE");
  });
});
