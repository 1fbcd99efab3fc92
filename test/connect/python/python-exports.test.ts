// Plans of the pyspark names that run project Python: udf()/pandas_udf()/arrow_udf()/udtf()/arrow_udtf()
// without a session, foreach/foreachPartition, cogroup().applyInPandas/applyInArrow, groupBy().apply.
// The same jobs run on a real server in test/bundle/vectorized.spark.test.ts.
import { toJson } from "@bufbuild/protobuf";
import { beforeEach, describe, expect, it } from "vitest";
import { PlanSchema } from "../../../src/gen/spark/connect/base_pb.js";
import { DataFrame } from "../../../src/connect/sql/dataframe/dataframe.js";
import {
  arrow_udf,
  arrow_udtf,
  ArrowUDFType,
  col,
  lit,
  pandas_udf,
  PandasUDFType,
  udf,
  udtf,
  UserDefinedFunction,
  UserDefinedTableFunction,
} from "../../../src/connect/sql/column/functions.js";
import { rangeRelation } from "../../../src/connect/sql/plans.js";
import { pythonUdfPlaceholders, requireFilledPlaceholders } from "../../../src/connect/python/udf.js";
import { UDTFRegistration } from "../../../src/connect/python/udtf.js";
import { Types as T, toProto } from "../../../src/connect/types/datatypes.js";
import { RecordingCore } from "../../helpers/recording-core.js";
import { FakeConnectClient } from "../../helpers/fake-connect-client.js";
import { attr, plan } from "../../helpers/plan-json.js";

/** A session that ships code (what withAutoBundle marks), with no server. */
class ShippingCore extends RecordingCore {
  readonly udf = { pythonEnabled: true };
  version = "4.1.4";
}

let core: ShippingCore;
let df: DataFrame;
const RANGE = { common: { planId: "0" }, range: { start: "0", end: "4", step: "1" } };
const EMPTY_STRUCT = { struct: {} };

beforeEach(() => {
  core = new ShippingCore();
  df = new DataFrame(core, rangeRelation(core, 0n, 4n, 1n));
});

// protobuf-es JSON leaves out the empty command and python_ver the hook fills.
const pythonUdf = (evalType: number, outputType: unknown) => ({ outputType, evalType });

describe("udf(), pandas_udf(), arrow_udf(): UDFs made before any session", () => {
  it("build the same function message as spark.udf.python / pandas, with pyspark's eval types", () => {
    const cases: Array<[UserDefinedFunction, number, unknown]> = [
      [udf("mylib.text:shout"), 100, { string: {} }], // pyspark's default returnType is StringType
      [udf("mylib.text:shout", "int", { useArrow: true }), 101, { integer: {} }],
      [pandas_udf("mylib.vec:scaled", "double"), 200, { double: {} }],
      [pandas_udf("mylib.vec:mean", "double", PandasUDFType.GROUPED_AGG), 202, { double: {} }],
      [arrow_udf("mylib.vec:plus", "long"), 250, { long: {} }],
      [arrow_udf("mylib.vec:plus_iter", "long", ArrowUDFType.SCALAR_ITER), 251, { long: {} }],
    ];
    for (const [f, evalType, outputType] of cases) {
      expect(f).toBeInstanceOf(UserDefinedFunction);
      expect(f.evalType).toBe(evalType);
      expect(plan(df.select(f(col("id")))).project.expressions[0].commonInlineUserDefinedFunction).toEqual({
        functionName: f.ref!.split(":")[1],
        deterministic: true,
        arguments: [attr("id")],
        pythonUdf: pythonUdf(evalType, outputType),
      });
    }
  });

  it("PandasUDFType and ArrowUDFType hold pyspark 4.1.4's values", () => {
    expect(PandasUDFType).toEqual({ SCALAR: 200, SCALAR_ITER: 204, GROUPED_MAP: 201, GROUPED_AGG: 202 });
    expect(ArrowUDFType).toEqual({ SCALAR: 250, SCALAR_ITER: 251, GROUPED_AGG: 252 });
  });

  it("refuse a functionType of the other kind, a missing returnType and a bad reference, naming the fix", () => {
    expect(() => pandas_udf("m:f", "double", ArrowUDFType.SCALAR)).toThrow(/functionType 250 is not one of PandasUDFType.SCALAR \(200\)/);
    expect(() => arrow_udf("m:f", "double", PandasUDFType.SCALAR)).toThrow(/functionType 200 is not one of ArrowUDFType.SCALAR \(250\)/);
    expect(() => pandas_udf("m:f", undefined as unknown as string)).toThrow(/returnType can't be left out/);
    expect(() => udf("m.f", "int")).toThrow(/not a Python function reference/);
  });

  it("a session that does not ship code refuses the plan instead of sending an empty command", async () => {
    // A fake client: no server needed to see that nothing is sent.
    const fake = new FakeConnectClient();
    const session = fake.session();
    try {
      const shout = udf("mylib.text:shout");
      await expect(session.range(1).select(shout("id")).collect()).rejects.toMatchObject({ errorClass: "AUTOBUNDLE_NOT_ENABLED", message: expect.stringContaining('"mylib.text:shout"') });
      await expect(session.range(1).select(shout("id")).schema()).rejects.toMatchObject({ errorClass: "AUTOBUNDLE_NOT_ENABLED" });
      expect(fake.calls).toEqual([]);
      // Filled (what the bundle hook does), the same plan passes.
      const rows = session.range(1).select(shout("id"));
      for (const { udf: placeholder } of pythonUdfPlaceholders(rows.relation)) placeholder.command = new Uint8Array([1]);
      expect(() => requireFilledPlaceholders({ root: rows.relation })).not.toThrow();
    } finally {
      session.udtf.close();
    }
  });
});

describe("udtf() and arrow_udtf()", () => {
  it("run on the newest live session; without returnType the class's analyze() decides (no return_type sent)", () => {
    const host = new UDTFRegistration(core);
    try {
      const ranges = udtf("mylib.gen:Ranges", { returnType: "n int" });
      expect(ranges).toBeInstanceOf(UserDefinedTableFunction);
      const call = plan(ranges(lit(3))).commonInlineUserDefinedTableFunction;
      expect(call).toEqual({
        functionName: "Ranges",
        deterministic: true,
        arguments: [{ literal: { integer: 3 } }],
        pythonUdtf: { returnType: expect.objectContaining({ struct: expect.anything() }), evalType: 300 },
      });
      expect(plan(udtf("mylib.gen:Analyzed")(lit(1))).commonInlineUserDefinedTableFunction.pythonUdtf).toEqual({ evalType: 300 });
      expect(plan(udtf("mylib.gen:Analyzed", { useArrow: true })(lit(1))).commonInlineUserDefinedTableFunction.pythonUdtf.evalType).toBe(301);
      expect(plan(arrow_udtf("mylib.gen:Batches", { returnType: "n int" })(lit(1))).commonInlineUserDefinedTableFunction.pythonUdtf.evalType).toBe(302);
      expect(() => udtf("mylib.gen:Ranges", { returnType: "int" })).toThrow(/returnType must be a struct/);
    } finally {
      host.close();
    }
  });

  it("with no live session a call says so", () => {
    expect(() => udtf("mylib.gen:Ranges", { returnType: "n int" })(lit(1))).toThrow(expect.objectContaining({ errorClass: "NO_ACTIVE_SESSION" }));
  });
});

describe("foreach and foreachPartition", () => {
  const schema = T.struct([T.field("id", T.long, false), T.field("odd name", T.string)]);

  it("foreach: a row-at-a-time UDF over struct(*columns) AS row, returning an empty struct, as pyspark 4.1 builds it", async () => {
    core.answerAnalyze({ case: "schema", value: { schema: toProto(schema) } });
    await df.foreach("mylib.effects:record");
    const sent = core.executed.at(-1)!;
    const outer = toJson(PlanSchema, sent) as Record<string, any>;
    const rows = outer.root.project.input.project;
    expect(rows.input).toEqual(RANGE);
    expect(rows.expressions).toEqual([
      { alias: { expr: { unresolvedFunction: { functionName: "struct", arguments: [attr("`id`"), attr("`odd name`")] } }, name: ["row"] } },
    ]);
    expect(outer.root.project.expressions[0].commonInlineUserDefinedFunction).toEqual({
      functionName: "record",
      deterministic: true,
      arguments: [attr("row")],
      pythonUdf: pythonUdf(100, EMPTY_STRUCT),
    });
    expect(pythonUdfPlaceholders(sent).map(({ ref }) => [ref.ref, ref.wrapper])).toEqual([["mylib.effects:record", "foreach_row"]]);
  });

  it("foreachPartition: a mapInArrow returning no columns, with no schema call", async () => {
    await df.foreachPartition("mylib.effects:record_partition");
    const sent = core.executed.at(-1)!;
    expect((toJson(PlanSchema, sent) as Record<string, any>).root.mapPartitions).toEqual({
      input: RANGE,
      func: { functionName: "record_partition", deterministic: true, pythonUdf: pythonUdf(207, EMPTY_STRUCT) },
    });
    expect(pythonUdfPlaceholders(sent).map(({ ref }) => ref.wrapper)).toEqual(["foreach_partition"]);
    expect(core.analyzed).toEqual([]);
  });

  it("refuse a session that does not ship code before any call", async () => {
    const plain = new RecordingCore();
    const rows = new DataFrame(plain, rangeRelation(plain, 0n, 1n, 1n));
    await expect(rows.foreach("m:f")).rejects.toMatchObject({ errorClass: "AUTOBUNDLE_NOT_ENABLED" });
    await expect(rows.foreachPartition("m:f")).rejects.toMatchObject({ errorClass: "AUTOBUNDLE_NOT_ENABLED" });
    expect(plain.executed).toEqual([]);
  });
});

describe("cogroup and apply", () => {
  it("cogroup().applyInPandas is pyspark's CoGroupMap: both inputs and keys, a function of no arguments", () => {
    const other = new DataFrame(core, rangeRelation(core, 0n, 2n, 1n));
    const joined = df.groupBy("id").cogroup(other.groupBy(col("id"))).applyInPandas("mylib.vec:pair", "id long, n long");
    expect(plan(joined).coGroupMap).toEqual({
      input: RANGE,
      inputGroupingExpressions: [attr("id")],
      other: { common: { planId: "1" }, range: { start: "0", end: "2", step: "1" } },
      otherGroupingExpressions: [attr("id")],
      func: { functionName: "pair", deterministic: true, pythonUdf: pythonUdf(206, expect.objectContaining({ struct: expect.anything() })) },
    });
    const arrow = df.groupBy("id").cogroup(other.groupBy("id")).applyInArrow("mylib.vec:pair_arrow", "id long");
    expect(plan(arrow).coGroupMap.func.pythonUdf.evalType).toBe(210);
  });

  it("cogroup refuses another session's DataFrame, and applyInArrow a 3.5 server", () => {
    const elsewhere = new ShippingCore();
    const theirs = new DataFrame(elsewhere, rangeRelation(elsewhere, 0n, 1n, 1n));
    expect(() => df.groupBy("id").cogroup(theirs.groupBy("id"))).toThrow(expect.objectContaining({ errorClass: "SESSION_NOT_SAME" }));
    core.version = "3.5.7";
    expect(() => df.groupBy("id").cogroup(df.groupBy("id")).applyInArrow("m:f", "id long")).toThrow(expect.objectContaining({ errorClass: "UNSUPPORTED_BY_SERVER_VERSION" }));
  });

  it("groupBy().apply takes a GROUPED_MAP pandas_udf (its schema and reference) and refuses others", async () => {
    core.answerAnalyze({ case: "schema", value: { schema: toProto(T.struct([T.field("id", T.long)])) } });
    const grouped = await df.groupBy("id").apply(pandas_udf("mylib.vec:center", "id long", PandasUDFType.GROUPED_MAP));
    expect(plan(grouped).groupMap.func).toMatchObject({ functionName: "center", arguments: [attr("`id`")], pythonUdf: { evalType: 201 } });
    expect(() => df.groupBy("id").apply(pandas_udf("mylib.vec:center", "double"))).toThrow(expect.objectContaining({ errorClass: "INVALID_UDF_EVAL_TYPE" }));
  });
});
