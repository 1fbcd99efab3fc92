"""The jobs of test/connect/sql/functions.spark.test.ts, in pyspark: writes functions.json beside it,
the values that test compares with. Every output is cast to string, so both clients compare the
server's own rendering. Run with pyspark 4.1 and its Connect extra, against a Connect server:
    SPARK_REMOTE='sc://localhost:15002/;token=...' python functions.py
"""
import json
import os

from pyspark.sql import SparkSession, Window, functions as F
from pyspark.sql.functions import col, lit

spark = SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).getOrCreate()
rows = [
    {"k": "a", "t": 1, "x": 10.5, "s": "hello world", "ds": "2024-01-31", "xs": [3, 1, 2], "j": '{"a": 1, "b": "x"}'},
    {"k": "a", "t": 2, "x": 20.0, "s": "Spark", "ds": "2024-02-29", "xs": [5, 4, 5], "j": '{"a": 2}'},
    {"k": "b", "t": 3, "x": None, "s": "x", "ds": "2023-12-25", "xs": [], "j": "{}"},
]
df = spark.createDataFrame(rows, "k string, t int, x double, s string, ds string, xs array<int>, j string")
d_ = F.to_date("ds")


def as_strings(frame):
    """Every column cast to string by the server, so both clients compare Spark's own rendering."""
    return frame.select(*[col(f"`{c}`").cast("string") for c in frame.columns])


st = F.struct(col("k").alias("a"), col("t").alias("b"))
m = F.map_from_arrays(F.array(lit("p"), lit("q")), F.array(lit(1), col("t")))
big = [
    ("date_add", F.date_add(d_, 1)), ("date_sub", F.date_sub(d_, 1)), ("add_months", F.add_months(d_, 1)),
    ("datediff", F.datediff(d_, F.to_date(lit("2024-01-01")))), ("months_between", F.months_between(d_, F.to_date(lit("2024-01-01")))),
    ("date_trunc", F.date_trunc("month", d_)), ("trunc", F.trunc(d_, "year")), ("last_day", F.last_day(d_)),
    ("next_day", F.next_day(d_, "Mon")), ("dayofweek", F.dayofweek(d_)), ("weekofyear", F.weekofyear(d_)),
    ("dayofyear", F.dayofyear(d_)), ("make_date", F.make_date(lit(2024), "t", "t")),
    ("lpad", F.lpad("s", 13, "*")), ("rpad", F.rpad("s", 7, "-")), ("format_string", F.format_string("%s-%d", "s", "t")),
    ("regexp_like", F.regexp_like("s", lit("^[hS]"))), ("substring_index", F.substring_index("s", "l", 2)),
    ("instr", F.instr("s", "o")), ("locate", F.locate("o", "s", 6)), ("translate", F.translate("s", "lo", "01")),
    ("initcap", F.initcap("s")), ("reverse", F.reverse("s")), ("repeat", F.repeat("k", 3)),
    ("format_number", F.format_number("x", 2)), ("levenshtein", F.levenshtein("s", lit("Spark"))),
    ("greatest", F.greatest("t", lit(2))), ("least", F.least("t", lit(2))), ("nvl", F.nvl("x", lit(-1.0))),
    ("nvl2", F.nvl2("x", lit("y"), lit("n"))), ("log2base", F.log(2.0, "t")), ("ln", F.log("t")),
    ("array_contains", F.array_contains("xs", 1)), ("try_element_at", F.try_element_at("xs", lit(2))),
    ("map_at", F.element_at(m, "q")), ("map_keys", F.map_keys(m)), ("map_values", F.map_values(m)),
    ("create_map", F.create_map(lit("t"), "t")), ("sort_array", F.sort_array("xs", asc=False)),
    ("array_join", F.array_join(F.array(lit("a"), lit(None).cast("string")), ",", "?")),
    ("slice", F.slice("xs", 2, 5)), ("array_position", F.array_position("xs", 5)), ("array_remove", F.array_remove("xs", 5)),
    ("array_distinct", F.array_distinct("xs")), ("array_union", F.array_union("xs", F.array(lit(9)))),
    ("flatten", F.flatten(F.array("xs", "xs"))), ("arrays_zip", F.arrays_zip("xs", "xs")),
    ("sequence", F.sequence(lit(1), "t")), ("array_repeat", F.array_repeat("k", "t")),
    ("from_json", F.from_json("j", "a INT, b STRING")), ("to_json", F.to_json(st)),
    ("get_json_object", F.get_json_object("j", "$.a")), ("schema_of_json", F.schema_of_json('{"a": [1]}')),
    ("withField", st.withField("c", lit(1))), ("dropFields", st.dropFields("a")), ("try_cast", col("s").try_cast("int")),
    ("getField", st.getField("b")), ("getItem", m.getItem("p")), ("isin", col("t").isin(1, 3)),
    ("between", col("t").between(2, 3)), ("like", col("s").like("h%")), ("rlike", col("s").rlike("^S")),
    ("ilike", col("s").ilike("SP%")), ("startswith", col("s").startswith("he")), ("endswith", col("s").endswith("k")),
    ("contains", col("s").contains("o")), ("substr", col("s").substr(2, 3)), ("eqNullSafe", col("x").eqNullSafe(None)),
    ("isNull", col("x").isNull()), ("isNaN", col("x").isNaN()), ("bitwiseAND", col("t").bitwiseAND(2)),
    ("spark_partition_id", F.spark_partition_id() >= 0), ("mono_id", F.monotonically_increasing_id() >= 0),
]
out = {}
res = as_strings(df.select("t", *[c.alias(n) for n, c in big])).orderBy("t").collect()
out["big"] = [r.asDict() for r in res]

w = Window.partitionBy("k").orderBy("t")
win = as_strings(df.select(
    "t",
    F.row_number().over(w).alias("row_number"), F.rank().over(w).alias("rank"), F.dense_rank().over(w).alias("dense_rank"),
    F.percent_rank().over(w).alias("percent_rank"), F.cume_dist().over(w).alias("cume_dist"), F.ntile(2).over(w).alias("ntile"),
    F.lag("t").over(w).alias("lag"), F.lead("t", 1, -1).over(w).alias("lead"),
    F.nth_value("t", 2).over(w.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)).alias("nth_value"),
    F.sum("t").over(w.rowsBetween(Window.unboundedPreceding, Window.currentRow)).alias("running"),
    F.sum("t").over(Window.orderBy("t").rangeBetween(-1, 0)).alias("range_sum"),
    F.count("*").over(Window.partitionBy("k")).alias("per_k"),
)).orderBy("t").collect()
out["window"] = [r.asDict() for r in win]

lam = as_strings(df.select(
    "t",
    F.transform("xs", lambda x: x + 1).alias("transform"),
    F.transform("xs", lambda x, i: x * i).alias("transform_i"),
    F.filter("xs", lambda x: x > 2).alias("filter"),
    F.filter("xs", lambda x, i: i > 0).alias("filter_i"),
    F.exists("xs", lambda x: x > 4).alias("exists"),
    F.forall("xs", lambda x: x > 2).alias("forall"),
    F.aggregate("xs", lit(0), lambda acc, x: acc + x).alias("aggregate"),
    F.aggregate("xs", lit(0), lambda acc, x: acc + x, lambda acc: acc * 10).alias("aggregate_finish"),
    F.zip_with("xs", "xs", lambda a, b: a * b).alias("zip_with"),
    F.map_filter(F.map_from_arrays(F.array(lit("p"), lit("q")), F.array(lit(1), col("t"))), lambda k, v: v > 1).alias("map_filter"),
    F.transform_values(F.create_map(lit("v"), col("t")), lambda k, v: v * 100).alias("transform_values"),
    F.transform_keys(F.create_map(lit("v"), col("t")), lambda k, v: F.concat(k, lit("!"))).alias("transform_keys"),
    F.map_zip_with(F.create_map(lit("v"), col("t")), F.create_map(lit("v"), lit(1)), lambda k, a, b: a + b).alias("map_zip_with"),
    F.array_sort("xs", lambda l, r: r - l).alias("array_sort"),
    F.reduce("xs", lit(1), lambda acc, x: acc * x).alias("reduce"),
    F.json_tuple("j", "a", "b"),
)).orderBy("t").collect()
out["lambda"] = [r.asDict() for r in lam]

agg = as_strings(df.groupBy("k").agg(
    F.sum_distinct("t").alias("sum_distinct"), F.approx_count_distinct("t", 0.05).alias("approx_count_distinct"),
    F.percentile_approx("t", 0.5).alias("percentile_approx"), F.percentile_approx("t", [0.0, 1.0], 100).alias("percentiles"),
    F.median("t").alias("median"), F.mode("k").alias("mode"), F.max_by("s", "t").alias("max_by"), F.min_by("s", "t").alias("min_by"),
    F.count_if(col("t") > 1).alias("count_if"), F.stddev("t").alias("stddev"), F.corr("t", "x").alias("corr"),
    F.countDistinct("t").alias("countDistinct"), F.count_distinct("s", "t").alias("count_distinct"),
)).orderBy("k").collect()
out["agg"] = [r.asDict() for r in agg]
cube = as_strings(df.cube("k").agg(F.grouping_id().alias("gid"), F.sum("t").alias("n"))).orderBy("gid", "k").collect()
out["cube"] = [r.asDict() for r in cube]
def strings(rows):
    return [{k: None if v is None else str(v) for k, v in r.items()} for r in rows]


out = {k: strings(v) for k, v in out.items()}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "functions.json"), "w") as f:
    json.dump(out, f, indent=1, sort_keys=False)
    f.write("\n")
