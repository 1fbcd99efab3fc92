"""The plans of test/connect/sql/dataframe/dataframe-subquery.test.ts, as pyspark 4.1.4's Connect client builds
them: writes plans.json beside it. Nothing runs; the session is only needed to serialize (its server must be up).
Plan ids are pyspark's own; the test renumbers both sides in order of appearance.
Run with pyspark 4.1 and its Connect extra:
    SPARK_REMOTE='sc://localhost:15002/;token=...' python plans.py
"""
import json
import os

from google.protobuf.json_format import MessageToDict
from pyspark.sql import SparkSession, functions as F
from pyspark.sql.functions import col, lit, udtf

spark = SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).getOrCreate()
client = spark.client


def comparable(node):
    """Leaves out what differs by design: pyspark's call-site origins, its explicit isMetadataColumn=false
    (the server reads absent as false) and a UDTF's pickled command (ours is filled in by the bundle hook)."""
    if isinstance(node, list):
        return [comparable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "common" and isinstance(value, dict) and "origin" in value:
            continue
        if key == "isMetadataColumn" and value is False:
            continue
        if key == "pythonUdtf":
            value = "<the UDTF>"
        out[key] = comparable(value)
    return out


def rel(df):
    return comparable(MessageToDict(df._plan.plan(client)))


def merge_command(writer):
    """The Command that writer.merge() would send, captured instead of executed."""
    sent = []
    client.execute_command = lambda command, observations=None: sent.append(command) or (None, {}, None)
    writer.merge()
    return comparable(MessageToDict(sent[0]))


@udtf(returnType="k int, n int")
class Counts:
    def eval(self, row):
        yield row["k"], 1


df = spark.range(5)
sub = spark.range(3).select(F.max("id"))
left = spark.range(5).alias("l")
right = spark.range(3).alias("r")
inner = spark.range(3).withColumn("m", sub.scalar())
kv = spark.table("kv")  # a named table: a local relation's Arrow bytes would differ between clients
target = kv.alias("source")

plans = {
    "scalar": rel(df.select(sub.scalar().alias("m"))),
    "existsCorrelated": rel(left.where(right.where(col("r.id") == col("l.id").outer()).exists())),
    "twice": rel(df.select(sub.scalar(), (sub.scalar() + 1).alias("p"))),
    "nested": rel(df.where(col("id") < inner.select(F.max("m")).scalar())),
    "inSubquery": rel(df.where(col("id").isin(spark.range(2)))),
    "inStruct": rel(df.where(F.struct(col("id"), lit(1)).isin(spark.range(2).select("id", lit(1))))),
    "orderBy": rel(df.orderBy(sub.scalar())),
    "groupByAgg": rel(df.groupBy(col("id") % 2).agg(F.sum(sub.scalar()).alias("s"))),
    "lateral": rel(left.lateralJoin(right.where(col("r.id") <= col("l.id").outer()).select(col("r.id").alias("rid")))),
    "lateralOn": rel(left.lateralJoin(right, col("l.id") == col("r.id"), "left_outer")),
    "lateralCross": rel(left.lateralJoin(right, how="cross")),
    "repartitionById": rel(df.repartitionById(3, col("id") % 3)),
    "repartitionByIdName": rel(df.repartitionById(2, "id")),
    "udtfTableArg": rel(Counts(kv.asTable().partitionBy("k").orderBy(col("v").desc()))),
    "udtfSinglePartition": rel(Counts(kv.asTable().withSinglePartition())),
    "merge": merge_command(
        target.mergeInto("t", col("source.k") == col("t.k"))
        .whenMatched(col("source.v") > 5).update({"v": col("source.v"), "k": lit(0)})
        .whenMatched().delete()
        .whenNotMatched().insertAll()
        .whenNotMatched(col("source.v") < 0).insert({"k": col("source.k")})
        .whenNotMatchedBySource(col("t.v") > 1).updateAll()
        .whenNotMatchedBySource().update({"v": lit(-1)})
        .whenNotMatchedBySource().delete()
        .withSchemaEvolution()
    ),
    "mergePlain": merge_command(target.mergeInto("t", col("source.k") == col("t.k")).whenMatched().updateAll()),
}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "plans.json"), "w") as out:
    json.dump(plans, out, indent=1, sort_keys=True)
    out.write("\n")
