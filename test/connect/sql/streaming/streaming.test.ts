// spark.readStream, df.writeStream, StreamingQuery and spark.streams build the relations and commands pyspark
// 4.1.4's Connect client builds for the same calls (pyspark/plans.json, written by pyspark/plans.py), by field
// name (proto3 JSON) and by field number (pyspark's wire bytes decoded with our schema); and read the results.
import { readFileSync } from "node:fs";
import { create, fromBinary, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { beforeEach, describe, expect, it } from "vitest";
import { ExecutePlanResponseSchema } from "../../../../src/gen/spark/connect/base_pb.js";
import { CommandSchema } from "../../../../src/gen/spark/connect/commands_pb.js";
import { RelationSchema } from "../../../../src/gen/spark/connect/relations_pb.js";
import { DataFrame } from "../../../../src/connect/sql/dataframe/dataframe.js";
import { DataStreamReader } from "../../../../src/connect/sql/streaming/reader.js";
import { StreamingQuery } from "../../../../src/connect/sql/streaming/query.js";
import { StreamingQueryManager } from "../../../../src/connect/sql/streaming/manager.js";
import { SessionState } from "../../../../src/connect/session-state.js";
import { SparkConnectError } from "../../../../src/connect/errors.js";
import { RecordingCore } from "../../../helpers/recording-core.js";
import { normalizedPlanIds } from "../../../helpers/plan-json.js";

type Entry = { json: unknown; binary: string };
const PYSPARK = JSON.parse(readFileSync(new URL("./pyspark/plans.json", import.meta.url), "utf8")) as Record<string, Entry>;
const ID = "8a3c0b7e-0000-4000-8000-000000000001";
const RUN_ID = "8a3c0b7e-0000-4000-8000-000000000002";

const normalized = normalizedPlanIds;
const base64 = (text: string) => Uint8Array.from(Buffer.from(text, "base64"));
function expectRelation(df: DataFrame, name: string): void {
  const ours = normalized(toJson(RelationSchema, df.relation));
  expect(ours).toEqual(normalized(PYSPARK[name]!.json));
  expect(ours).toEqual(normalized(toJson(RelationSchema, fromBinary(RelationSchema, base64(PYSPARK[name]!.binary)))));
}
function expectCommand(index: number, name: string): void {
  const plan = core.executed[index]!;
  if (plan.opType.case !== "command") throw new Error(`plan ${index} is not a command`);
  const ours = normalized(toJson(CommandSchema, plan.opType.value));
  expect(ours).toEqual(normalized(PYSPARK[name]!.json));
  expect(ours).toEqual(normalized(toJson(CommandSchema, fromBinary(CommandSchema, base64(PYSPARK[name]!.binary)))));
}
type ResponseType = Exclude<MessageInitShape<typeof ExecutePlanResponseSchema>, { $typeName: string }>["responseType"];
const answer = (responseType: ResponseType) => core.answerWith(create(ExecutePlanResponseSchema, { responseType }));
const started = (name = "") => answer({ case: "writeStreamOperationStartResult", value: { queryId: { id: ID, runId: RUN_ID }, name } });
const queryResult = (resultType: object) => answer({ case: "streamingQueryCommandResult", value: { queryId: { id: ID, runId: RUN_ID }, resultType } as never });

let core: RecordingCore;
let rate: DataFrame;
let files: DataFrame;
beforeEach(() => {
  core = new RecordingCore();
  rate = new DataStreamReader(core).format("rate").option("rowsPerSecond", 5).option("numPartitions", 1).load();
  files = new DataStreamReader(core).schema("name STRING, n INT").option("maxFilesPerTrigger", 1).json("/tmp/in");
});

describe("readStream", () => {
  it("builds pyspark's streaming reads", () => {
    expectRelation(rate, "rate");
    expectRelation(files, "jsonFiles");
    expectRelation(new DataStreamReader(core).csv("/tmp/csv", { schema: "a INT", header: true, sep: ";" }), "csvOptions");
    expectRelation(new DataStreamReader(core).option("k", "v").table("db.events"), "table");
    expectRelation(new DataStreamReader(core).load("/tmp/p", { format: "parquet", schema: "x LONG", mergeSchema: false }), "loadKwargs");
  });

  it("refuses an empty path and a bad schema, naming the fix", () => {
    expect(() => new DataStreamReader(core).load("  ")).toThrow(/non-empty path string, or none/);
    expect(() => new DataStreamReader(core).schema(3 as never)).toThrow(/DDL string/);
  });
});

describe("writeStream", () => {
  it("starts queries with pyspark's commands and returns the server's ids and name", async () => {
    started("counts");
    const q = await rate.writeStream.format("memory").queryName("counts").outputMode("append").trigger({ processingTime: " 100 milliseconds " }).start();
    expectCommand(0, "memorySink");
    expect([q.id, q.runId, q.name]).toEqual([ID, RUN_ID, "counts"]);

    started();
    const unnamed = await files.writeStream.trigger({ availableNow: true }).option("checkpointLocation", "/tmp/cp").partitionBy("name").start("/tmp/out", { format: "parquet" });
    expectCommand(1, "parquetSink");
    expect(unnamed.name).toBeNull();

    started("t");
    await rate.writeStream.trigger({ once: true }).toTable("db.t", { outputMode: "append", queryName: "t", compression: "snappy" });
    expectCommand(2, "onceToTable");

    started();
    await rate.writeStream.format("console").trigger({ continuous: "1 second" }).clusterBy("a", "b").start();
    expectCommand(3, "continuous");
  });

  it("takes exactly one trigger, and refuses what pyspark refuses", () => {
    const w = rate.writeStream;
    expect(() => w.trigger({} as never)).toThrow(/exactly one of processingTime, once, continuous, availableNow.*got none/);
    expect(() => w.trigger({ once: true, availableNow: true } as never)).toThrow(/got once and availableNow/);
    expect(() => w.trigger({ once: false } as never)).toThrow(/once can only be true/);
    expect(() => w.trigger({ processingTime: " " })).toThrow(/non-empty string/);
    expect(() => w.queryName("")).toThrow(/queryName: pass a non-empty string/);
  });

  it("gives the version error for clusterBy on Spark 3.5", () => {
    Object.assign(core, { version: "3.5.7" });
    expect(() => rate.writeStream.clusterBy("a")).toThrow(/writeStream.clusterBy\(\) needs Spark 4.0\+; this server runs Spark 3.5.7/);
  });
});

describe("StreamingQuery", () => {
  const query = () => new StreamingQuery(core, ID, RUN_ID, "q");

  it("sends pyspark's commands", async () => {
    const q = query();
    queryResult({ case: "status", value: { statusMessage: "Waiting for data to arrive", isDataAvailable: false, isTriggerActive: false, isActive: true } });
    expect(await q.status()).toEqual({ message: "Waiting for data to arrive", isDataAvailable: false, isTriggerActive: false });
    expectCommand(0, "status");
    queryResult({ case: "recentProgress", value: { recentProgressJson: ['{"batchId":0,"numInputRows":1}', '{"batchId":1,"numInputRows":5}'] } });
    expect(await q.lastProgress()).toEqual({ batchId: 1, numInputRows: 5 });
    expectCommand(1, "lastProgress");
    queryResult({ case: "recentProgress", value: { recentProgressJson: ['{"batchId":0}'] } });
    expect(await q.recentProgress()).toEqual([{ batchId: 0 }]);
    expectCommand(2, "recentProgress");
    queryResult({ case: "awaitTermination", value: { terminated: false } });
    expect(await q.awaitTermination()).toBeUndefined();
    expectCommand(3, "awaitTermination");
    queryResult({ case: "awaitTermination", value: { terminated: false } });
    expect(await q.awaitTermination(1500)).toBe(false);
    expectCommand(4, "awaitTermination1500");
    await q.processAllAvailable();
    expectCommand(5, "processAllAvailable");
    await q.stop();
    expectCommand(6, "stop");
    queryResult({ case: undefined }); // no failure: the server sets no result
    expect(await q.exception()).toBeNull();
    expectCommand(7, "exception");
    queryResult({ case: "explain", value: { result: "== Physical Plan ==" } });
    expect(await q.explain(true)).toBe("== Physical Plan ==");
    expectCommand(8, "explainExtended");
  });

  it("turns the server's exception into a SparkConnectError, without the class prefix (as pyspark does)", async () => {
    queryResult({
      case: "exception",
      value: { exceptionMessage: "org.apache.spark.sql.streaming.StreamingQueryException: [STREAM_FAILED] Query terminated: boom", errorClass: "STREAM_FAILED", stackTrace: "\tat X" },
    });
    const e = await query().exception();
    expect(e).toBeInstanceOf(SparkConnectError);
    expect(e?.message).toBe("[STREAM_FAILED] Query terminated: boom");
    expect([e?.errorClass, e?.exceptionClasses, e?.serverStackTrace]).toEqual(["STREAM_FAILED", ["org.apache.spark.sql.streaming.StreamingQueryException"], "\tat X"]);
  });

  it("names a missing result and refuses a non-positive timeout", async () => {
    await expect(query().status()).rejects.toThrow(/answered without the query's status/);
    await expect(query().awaitTermination(0)).rejects.toThrow(/positive number of milliseconds/);
    expect(core.executed).toHaveLength(1);
  });
});

describe("spark.streams", () => {
  const managerResult = (resultType: object) => answer({ case: "streamingQueryManagerCommandResult", value: { resultType } as never });

  it("sends pyspark's commands and reads the queries", async () => {
    const streams = new StreamingQueryManager(core);
    managerResult({ case: "active", value: { activeQueries: [{ id: { id: ID, runId: RUN_ID }, name: "counts" }, { id: { id: "b", runId: "c" } }] } });
    expect((await streams.active()).map((q) => [q.id, q.runId, q.name])).toEqual([[ID, RUN_ID, "counts"], ["b", "c", null]]);
    expectCommand(0, "active");
    managerResult({ case: undefined }); // an inactive query: the server sets no result
    expect(await streams.get(ID)).toBeNull();
    expectCommand(1, "get");
    managerResult({ case: "awaitAnyTermination", value: { terminated: true } });
    expect(await streams.awaitAnyTermination()).toBeUndefined();
    expectCommand(2, "awaitAnyTermination");
    managerResult({ case: "awaitAnyTermination", value: { terminated: true } });
    expect(await streams.awaitAnyTermination(250)).toBe(true);
    expectCommand(3, "awaitAnyTermination250");
    await streams.resetTerminated();
    expectCommand(4, "resetTerminated");
  });
});

describe("session state", () => {
  it("counts a started query as lost with the session, and the query calls as holding nothing", () => {
    const state = new SessionState();
    const command = (commandType: MessageInitShape<typeof CommandSchema>["commandType"]) => ({ opType: { case: "command", value: create(CommandSchema, { commandType }) } }) as never;
    state.noteCommand(command({ case: "streamingQueryCommand", value: { queryId: { id: ID, runId: RUN_ID }, command: { case: "status", value: true } } }), []);
    state.noteCommand(command({ case: "streamingQueryManagerCommand", value: { command: { case: "active", value: true } } }), []);
    expect(state.unrestorableState).toEqual([]);
    state.noteCommand(command({ case: "writeStreamOperationStart", value: { queryName: "counts" } }), []);
    expect(state.unrestorableState).toEqual(['streaming query "counts"']);
  });
});
