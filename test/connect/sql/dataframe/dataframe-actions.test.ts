import { create, toJson } from "@bufbuild/protobuf";
import { Int64, makeData, makeVector, Table, Utf8, vectorFromArray } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExecutePlanResponseSchema, PlanSchema, type Plan } from "../../../../src/gen/spark/connect/base_pb.js";
import { DataFrame } from "../../../../src/connect/sql/dataframe/dataframe.js";
import { Types as T, toProto } from "../../../../src/connect/types/datatypes.js";
import { col, lit } from "../../../../src/connect/sql/column/functions.js";
import { DataFrameReader } from "../../../../src/connect/sql/reader.js";
import { rangeRelation } from "../../../../src/connect/sql/plans.js";
import { RecordingCore } from "../../../helpers/recording-core.js";

let core: RecordingCore;
let df: DataFrame;
let printed: string[];
const RANGE = { common: { planId: "0" }, range: { start: "0", end: "3", step: "1" } };
const planJson = (p: Plan) => toJson(PlanSchema, p) as { root?: Record<string, unknown>; command?: Record<string, unknown> };
const lastPlan = () => planJson(core.executed.at(-1)!);
const longs = (name: string, values: bigint[]) => new Table({ [name]: makeVector(makeData({ type: new Int64(), length: values.length, nullCount: 0, data: BigInt64Array.from(values) })) });

beforeEach(() => {
  core = new RecordingCore();
  df = new DataFrame(core, rangeRelation(core, 0n, 3n, 1n));
  printed = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args.join(" ")));
});
afterEach(() => vi.restoreAllMocks());

describe("actions", () => {
  it("collect() executes the plan as root and decodes the rows", async () => {
    core.answerWithTable(longs("id", [0n, 1n, 2n]));
    expect(await df.collect()).toEqual([{ id: 0n }, { id: 1n }, { id: 2n }]);
    expect(lastPlan()).toEqual({ root: RANGE });
  });

  it("take/first/head run through a Limit; first() of nothing is null", async () => {
    core.answerWithTable(longs("id", [0n, 1n]));
    expect(await df.take(2)).toEqual([{ id: 0n }, { id: 1n }]);
    expect(lastPlan().root).toMatchObject({ limit: { input: RANGE, limit: 2 } });
    core.answerWithTable(longs("id", []));
    expect(await df.first()).toBeNull();
    core.answerWithTable(longs("id", [7n]));
    expect(await df.head()).toEqual({ id: 7n });
    expect(lastPlan().root).toMatchObject({ limit: { limit: 1 } });
  });

  it("count() is agg(count(1)) and returns a number; beyond 2^53 it throws", async () => {
    core.answerWithTable(longs("count(1)", [3n]));
    expect(await df.count()).toBe(3);
    expect(lastPlan().root).toMatchObject({
      aggregate: {
        input: RANGE,
        groupType: "GROUP_TYPE_GROUPBY",
        aggregateExpressions: [{ unresolvedFunction: { functionName: "count", arguments: [{ literal: { integer: 1 } }] } }],
      },
    });
    core.answerWithTable(longs("count(1)", [2n ** 53n + 1n]));
    await expect(df.count()).rejects.toThrow(/9007199254740993, beyond Number.MAX_SAFE_INTEGER; use df.agg\(count\(lit\(1\)\)\)/);
  });

  it("isEmpty() selects no columns, limits to 1, and counts rows from batch headers", async () => {
    const oneRow = create(ExecutePlanResponseSchema, { responseType: { case: "arrowBatch", value: { rowCount: 1n, data: new Uint8Array() } } });
    core.answerWith(oneRow);
    expect(await df.isEmpty()).toBe(false);
    expect(lastPlan().root).toMatchObject({ limit: { input: { project: { input: RANGE } }, limit: 1 } });
    core.answerWith();
    expect(await df.isEmpty()).toBe(true);
  });

  it("show() asks the server for ShowString, prints its text exactly and returns it", async () => {
    const text = "+---+\n| id|\n+---+\n|  0|\n+---+\n";
    const answer = () => core.answerWithTable(new Table({ show_string: vectorFromArray([text], new Utf8()) }));
    answer();
    expect(await df.show()).toBe(text);
    expect(printed).toEqual([text]);
    expect(lastPlan().root).toMatchObject({ showString: { input: RANGE, numRows: 20, truncate: 20 } });
    answer();
    await df.show(5, false, true);
    expect(lastPlan().root).toMatchObject({ showString: { numRows: 5, vertical: true } });
    expect((lastPlan().root!.showString as Record<string, unknown>).truncate).toBeUndefined(); // 0, proto3 default
    answer();
    await df.show(3, 7);
    expect(lastPlan().root).toMatchObject({ showString: { numRows: 3, truncate: 7 } });
    await expect(df.show(1.5)).rejects.toThrow(/show\(n\) must be an integer/);
  });

  it("temp views are CreateDataFrameViewCommands", async () => {
    await df.createOrReplaceTempView("v");
    expect(lastPlan().command).toEqual({ createDataframeView: { input: RANGE, name: "v", replace: true } });
    await df.createGlobalTempView("g");
    expect(lastPlan().command).toEqual({ createDataframeView: { input: RANGE, name: "g", isGlobal: true } });
  });
});

describe("schema and plans", () => {
  const schema = T.struct([T.field("id", T.long, false), T.field("tags", T.array(T.string))]);
  const answerSchema = () => core.answerAnalyze({ case: "schema", value: { schema: toProto(schema) } });

  it("schema(), columns() and dtypes() come from AnalyzePlan schema", async () => {
    answerSchema();
    expect(await df.schema()).toEqual(schema);
    expect(core.analyzed[0]).toMatchObject({ case: "schema", value: { plan: { opType: { case: "root" } } } });
    answerSchema();
    expect(await df.dtypes()).toEqual([
      ["id", "bigint"],
      ["tags", "array<string>"],
    ]);
    answerSchema();
    expect(await df.columns()).toEqual(["id", "tags"]);
  });

  it("printSchema() and explain() print the server's text", async () => {
    core.answerAnalyze({ case: "treeString", value: { treeString: "root\n |-- id: long\n" } });
    expect(await df.printSchema(1)).toBe("root\n |-- id: long\n");
    expect(core.analyzed[0]).toMatchObject({ case: "treeString", value: { level: 1 } });
    core.answerAnalyze({ case: "explain", value: { explainString: "== Physical Plan ==" } });
    expect(await df.explain(true)).toBe("== Physical Plan ==");
    expect(core.analyzed[1]).toMatchObject({ case: "explain", value: { explainMode: 2 } });
    expect(printed).toEqual(["root\n |-- id: long\n", "== Physical Plan =="]);
    await expect(df.explain("verbose" as never)).rejects.toThrow(/unknown mode "verbose"; use one of simple, extended, codegen, cost, formatted/);
  });

  it("an unexpected AnalyzePlan answer is an error naming both", async () => {
    core.answerAnalyze({ case: "explain", value: { explainString: "x" } });
    await expect(df.schema()).rejects.toThrow(/AnalyzePlan\(schema\) was answered with "explain"/);
  });
});

describe("DataFrameWriter and DataFrameWriterV2", () => {
  it("save() sends a WriteOperation with source, mode, options and partitioning", async () => {
    await df.write.mode("Overwrite").format("parquet").option("compression", "snappy").options({ header: true, n: 3, gone: null }).partitionBy("a", ["b"]).save("/tmp/x");
    expect(lastPlan().command).toEqual({
      writeOperation: {
        input: RANGE,
        source: "parquet",
        path: "/tmp/x",
        mode: "SAVE_MODE_OVERWRITE",
        partitioningColumns: ["a", "b"],
        options: { compression: "snappy", header: "true", n: "3" },
      },
    });
  });

  it("saveAsTable/insertInto/shortcuts and mode validation", async () => {
    await df.write.saveAsTable("db.t");
    expect(lastPlan().command).toEqual({ writeOperation: { input: RANGE, table: { tableName: "db.t", saveMethod: "TABLE_SAVE_METHOD_SAVE_AS_TABLE" } } });
    await df.write.insertInto("t", true);
    expect(lastPlan().command).toMatchObject({ writeOperation: { table: { saveMethod: "TABLE_SAVE_METHOD_INSERT_INTO" }, mode: "SAVE_MODE_OVERWRITE" } });
    await df.write.mode("errorifexists").json("/tmp/j");
    expect(lastPlan().command).toMatchObject({ writeOperation: { source: "json", path: "/tmp/j", mode: "SAVE_MODE_ERROR_IF_EXISTS" } });
    expect(() => df.write.mode("upsert")).toThrow(/unknown save mode "upsert"; use append, overwrite, error, errorifexists or ignore/);
  });

  it("writeTo() sends WriteOperationV2 with its mode", async () => {
    await df.writeTo("cat.t").using("parquet").tableProperty("k", "v").partitionedBy("a").option("o", 1).create();
    expect(lastPlan().command).toEqual({
      writeOperationV2: {
        input: RANGE,
        tableName: "cat.t",
        provider: "parquet",
        partitioningColumns: [{ unresolvedAttribute: { unparsedIdentifier: "a" } }],
        options: { o: "1" },
        tableProperties: { k: "v" },
        mode: "MODE_CREATE",
      },
    });
    await df.writeTo("t").overwrite(col("a").eq(lit(1)));
    expect(lastPlan().command).toMatchObject({ writeOperationV2: { mode: "MODE_OVERWRITE", overwriteCondition: { unresolvedFunction: { functionName: "==" } } } });
    await df.writeTo("t").createOrReplace();
    expect(lastPlan().command).toMatchObject({ writeOperationV2: { mode: "MODE_CREATE_OR_REPLACE" } });
  });
});

describe("DataFrameReader", () => {
  it("load() is a DataSource read with format, schema, options and paths", () => {
    const read = new DataFrameReader(core).format("csv").schema("a int, b string").option("header", true).load(["/a", "/b"]);
    expect(toJson(PlanSchema, create(PlanSchema, { opType: { case: "root", value: read.relation } }))).toEqual({
      root: {
        common: { planId: "1" },
        read: { dataSource: { format: "csv", schema: "a int, b string", options: { header: "true" }, paths: ["/a", "/b"] } },
      },
    });
  });

  it("a struct schema is sent as Spark JSON; table() reads a named table", () => {
    const json = new DataFrameReader(core).schema(T.struct([T.field("a", T.long)])).json("/j");
    expect(toJson(PlanSchema, create(PlanSchema, { opType: { case: "root", value: json.relation } }))).toMatchObject({
      root: { read: { dataSource: { format: "json", schema: '{"fields":[{"metadata":{},"name":"a","nullable":true,"type":"long"}],"type":"struct"}', paths: ["/j"] } } },
    });
    const table = new DataFrameReader(core).option("k", "v").table("db.t");
    expect(toJson(PlanSchema, create(PlanSchema, { opType: { case: "root", value: table.relation } }))).toMatchObject({
      root: { read: { namedTable: { unparsedIdentifier: "db.t", options: { k: "v" } } } },
    });
    expect(() => new DataFrameReader(core).schema(T.long)).toThrow(/struct type/);
  });
});
