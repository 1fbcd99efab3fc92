"""The plans and commands of test/connect/sql/streaming/streaming.test.ts, as pyspark 4.1.4's Connect client
builds them: writes plans.json beside it. Offline: no server; a stub session records each command instead
of sending it. Each entry holds the message as proto3 JSON ("json") and its wire bytes ("binary", base64), so
the test checks field names and numbers. Plan ids are pyspark's own; the test renumbers both sides.
Run with pyspark 4.1's Python and its Connect extra (grpc etc.):
    PYTHONPATH=~/.cache/spark-autobundle/bench-pydeps-pyspark-4.1.4 \
      ~/.cache/spark-autobundle/venv-pyspark-4.1.4/bin/python plans.py
"""
import base64
import json
import os

from google.protobuf.json_format import MessageToDict
import pyspark.sql.connect.proto as pb2
from pyspark.sql.connect.streaming.query import StreamingQuery, StreamingQueryManager
from pyspark.sql.connect.streaming.readwriter import DataStreamReader, DataStreamWriter

sent = []


class Client:
    """Records each command and answers with an empty result of the kind the caller reads."""

    def execute_command(self, command, observations=None):
        sent.append(command)
        results = {
            "write_stream_operation_start_result": pb2.WriteStreamOperationStartResult(),
            "streaming_query_command_result": pb2.StreamingQueryCommandResult(),
            "streaming_query_manager_command_result": pb2.StreamingQueryManagerCommandResult(),
        }
        return None, results, None


class Session:
    client = Client()


def entry(message):
    return {"json": MessageToDict(message), "binary": base64.b64encode(message.SerializeToString(deterministic=True)).decode()}


def relation(df):
    return entry(df._plan.plan(None))


def command(run):
    run()
    return entry(sent.pop())


session = Session()
rate = DataStreamReader(session).format("rate").option("rowsPerSecond", 5).option("numPartitions", 1).load()
files = DataStreamReader(session).schema("name STRING, n INT").option("maxFilesPerTrigger", 1).json("/tmp/in")


def writer(df):
    w = DataStreamWriter(df._plan, session)
    session.streams = StreamingQueryManager(session)  # start() posts a started event to it
    return w


query = StreamingQuery(session, "8a3c0b7e-0000-4000-8000-000000000001", "8a3c0b7e-0000-4000-8000-000000000002", "q")
manager = StreamingQueryManager(session)

plans = {
    "rate": relation(rate),
    "jsonFiles": relation(files),
    # header as text: pyspark's streaming option() sends str(True) == "True"; ours sends "true", as its batch reader does.
    "csvOptions": relation(DataStreamReader(session).csv("/tmp/csv", schema="a INT", header="true", sep=";")),
    "table": relation(DataStreamReader(session).option("k", "v").table("db.events")),
    "loadKwargs": relation(DataStreamReader(session).load("/tmp/p", format="parquet", schema="x LONG", mergeSchema=False)),
    "memorySink": command(
        lambda: writer(rate).format("memory").queryName("counts").outputMode("append").trigger(processingTime=" 100 milliseconds ").start()
    ),
    "parquetSink": command(
        lambda: writer(files).trigger(availableNow=True).option("checkpointLocation", "/tmp/cp").partitionBy("name").start("/tmp/out", format="parquet")
    ),
    "onceToTable": command(lambda: writer(rate).trigger(once=True).toTable("db.t", outputMode="append", queryName="t", compression="snappy")),
    "continuous": command(lambda: writer(rate).format("console").trigger(continuous="1 second").clusterBy("a", "b").start()),
    "status": command(lambda: query.status),
    "lastProgress": command(lambda: query.lastProgress),
    "recentProgress": command(lambda: query.recentProgress),
    "awaitTermination": command(lambda: query.awaitTermination()),
    "awaitTermination1500": command(lambda: query.awaitTermination(1.5)),
    "processAllAvailable": command(query.processAllAvailable),
    "stop": command(query.stop),
    "exception": command(query.exception),
    "explainExtended": command(lambda: query.explain(True)),
    "active": command(lambda: manager.active),
    "get": command(lambda: manager.get("8a3c0b7e-0000-4000-8000-000000000001")),
    "awaitAnyTermination": command(lambda: manager.awaitAnyTermination()),
    "awaitAnyTermination250": command(lambda: manager.awaitAnyTermination(0.25)),
    "resetTerminated": command(manager.resetTerminated),
}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "plans.json"), "w") as out:
    json.dump(plans, out, indent=1, sort_keys=True)
    out.write("\n")
