// Integration: vectorized Python (pandas/Arrow) by reference, on a real Spark Connect server.
// Projects are temp copies of fixtures/vectorlib, so tests can edit its modules.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { onSpark35 } from "../helpers/spark-line.js";
import {
  arrow_udf,
  arrow_udtf,
  col,
  lit,
  pandas_udf,
  PandasUDFType,
  SparkConnectError,
  SparkSession,
  udf,
  udtf,
  withAutoBundle,
} from "../../src/index.js";
import { copyFixture, tempDir } from "./helpers.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function session(root: string) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-") });
  sessions.push(s);
  return s;
}

// Tests that don't edit the project share one session: each new session starts a Python daemon whose
// workers import pandas again (~3 s a session on 2 cores, measured in CI). The edits share one of their own.
let sharedSession: Promise<SparkSession> | undefined;
function shared(): Promise<SparkSession> {
  sharedSession ??= SparkSession.builder()
    .remote(inject("sparkRemote"))
    .create()
    .then((s) => withAutoBundle(s, { root: copyFixture("vectorlib"), cacheDir: tempDir("sab-cache-") }));
  return sharedSession;
}
afterAll(async () => {
  await (await sharedSession)?.stop();
});

const prices = (s: SparkSession) => s.sql("SELECT CAST(id * 10 AS DOUBLE) AS net FROM range(4)");

describe("spark.udf.pandas by reference", () => {
  it("runs a scalar pandas UDF over batches, in select and withColumn", async () => {
    const s = await shared();
    const withVat = s.udf.pandas("vectorlib.prices:with_vat", "double");
    const rows = await (await prices(s)).select(withVat(col("net")).alias("gross")).collect();
    expect(rows.map((r) => r.gross)).toEqual([0, 12.1, 24.2, 36.3]);
    const labelled = await (await prices(s)).withColumn("label", s.udf.pandas("vectorlib.prices:label", "string")("net")).collect();
    expect(labelled.map((r) => r.label)).toEqual(["EUR 0.00", "EUR 10.00", "EUR 20.00", "EUR 30.00"]);
  });

  it("names the reference when the module or the function is missing", async () => {
    const s = await shared();
    for (const ref of ["vectorlib.nope:with_vat", "vectorlib.prices:nope"]) {
      const err = await (await prices(s)).select(s.udf.pandas(ref, "double")("net")).collect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SparkConnectError);
      expect((err as Error).message).toContain(ref.split(":")[0]!);
      expect((err as Error).message).toContain(ref.includes("nope:") ? "vectorlib.nope" : "nope");
    }
  });

  it.skipIf(onSpark35)("refuses a malformed reference before sending anything", async () => {
    const s = await shared();
    expect(() => s.udf.pandas("vectorlib.prices.with_vat", "double")).toThrow(/not a Python function reference/);
  });
});

const sorted = <T extends Record<string, unknown>>(rows: T[], key: keyof T) => [...rows].sort((a, b) => Number(a[key]) - Number(b[key]));

describe("mapInPandas, mapInArrow, applyInPandas and applyInArrow by reference", () => {
  it("maps each partition through pandas and through Arrow", async () => {
    const s = await shared();
    const big = await (await prices(s)).mapInPandas("vectorlib.batches:keep_big", "net double, tag string").collect();
    expect(sorted(big, "net")).toEqual([{ net: 20, tag: "big" }, { net: 30, tag: "big" }]);
    const twice = await (await prices(s)).mapInArrow("vectorlib.batches:doubled", "twice double").collect();
    expect(sorted(twice, "twice").map((r) => r.twice)).toEqual([0, 20, 40, 60]);
  });

  it("applies an Arrow function per group (4.0+; 3.5 is refused before sending)", async () => {
    const s = await shared();
    const df = await s.sql("SELECT IF(id < 2, 'a', 'b') AS grp, CAST(id + 1 AS DOUBLE) AS net FROM range(4)");
    const apply = () => df.groupBy("grp").applyInArrow("vectorlib.batches:share_of_group_arrow", "grp string, net double, share double");
    if (onSpark35) {
      await expect(apply()).rejects.toMatchObject({ errorClass: "UNSUPPORTED_BY_SERVER_VERSION" });
      return;
    }
    // The rows applyInPandas gives for the pandas version of the same function (the test below).
    expect(sorted(await (await apply()).collect(), "net")).toEqual([
      { grp: "a", net: 1, share: 0.333 },
      { grp: "a", net: 2, share: 0.667 },
      { grp: "b", net: 3, share: 0.429 },
      { grp: "b", net: 4, share: 0.571 },
    ]);
  });

  it("applies a pandas function per group", async () => {
    const s = await shared();
    const df = await s.sql("SELECT IF(id < 2, 'a', 'b') AS grp, CAST(id + 1 AS DOUBLE) AS net FROM range(4)");
    const rows = await (await df.groupBy("grp").applyInPandas("vectorlib.batches:share_of_group", "grp string, net double, share double")).collect();
    expect(sorted(rows, "net")).toEqual([
      { grp: "a", net: 1, share: 0.333 },
      { grp: "a", net: 2, share: 0.667 },
      { grp: "b", net: 3, share: 0.429 },
      { grp: "b", net: 4, share: 0.571 },
    ]);
  });

  it.skipIf(onSpark35)("names the reference when the function is missing, and refuses a non-struct schema", async () => {
    const s = await shared();
    const err = await (await prices(s)).mapInPandas("vectorlib.batches:nope", "net double").collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("vectorlib.batches");
    expect(() => s.range(1).mapInArrow("vectorlib.batches:doubled", "double")).toThrow(/must be a struct/);
  });
});


describe("edits reach vectorized functions", () => {
  // One session for the three kinds (each new session starts a Python daemon that imports pandas again,
  // ~5 s a session here): every edit must reach its own kind on the very next job.
  it("runs the edited code on the next job: a pandas UDF, mapInPandas, and a UDTF class", async () => {
    const root = copyFixture("vectorlib");
    const s = await session(root);
    const edit = (rel: string, from: string, to: string) => writeFileSync(join(root, rel), readFileSync(join(root, rel), "utf8").replace(from, to));

    const withVat = s.udf.pandas("vectorlib.prices:with_vat", "double");
    const gross = async () => (await (await prices(s)).select(withVat("net").alias("g")).collect()).map((r) => r.g);
    expect(await gross()).toEqual([0, 12.1, 24.2, 36.3]);
    edit("vectorlib/prices.py", "VAT = 0.21", "VAT = 0.09");
    expect(await gross()).toEqual([0, 10.9, 21.8, 32.7]);

    const tags = async () => [...new Set((await (await prices(s)).mapInPandas("vectorlib.batches:keep_big", "net double, tag string").collect()).map((r) => r.tag))];
    expect(await tags()).toEqual(["big"]);
    edit("vectorlib/batches.py", 'TAG = "big"', 'TAG = "large"');
    expect(await tags()).toEqual(["large"]);

    const squares = s.udtf.python("vectorlib.tables:Squares", "n int, square int");
    expect((await squares(lit(2)).collect()).map((r) => r.n)).toEqual([1, 2]);
    edit("vectorlib/tables.py", "START = 1", "START = 2");
    expect((await squares(lit(3)).collect()).map((r) => r.n)).toEqual([2, 3]);
  });
});

describe("spark.udtf.python by reference", () => {
  it("returns the handler's rows as a DataFrame, row-wise and with Arrow", async () => {
    const s = await shared();
    for (const useArrow of [false, true]) {
      const squares = s.udtf.python("vectorlib.tables:Squares", "n int, square int", { useArrow });
      expect(await squares(lit(3)).collect()).toEqual([{ n: 1, square: 1 }, { n: 2, square: 4 }, { n: 3, square: 9 }]);
    }
  });

  it.skipIf(onSpark35)("names the reference when the class is missing, and refuses a non-struct schema", async () => {
    const s = await shared();
    const err = await s.udtf.python("vectorlib.tables:Nope", "n int")(lit(1)).collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("vectorlib.tables");
    expect(() => s.udtf.python("vectorlib.tables:Squares", "int")).toThrow(/must be a struct/);
  });

  it.skipIf(onSpark35)("takes a DataFrame as a table argument (df.asTable()), partitioned and ordered as pyspark's", async () => {
    const s = await shared();
    const rowsPerKey = s.udtf.python("vectorlib.tables:RowsPerKey", "k int, n int, first_v int");
    const t = s.createDataFrame([{ k: 1, v: 10 }, { k: 1, v: 11 }, { k: 2, v: 20 }, { k: 3, v: null }, { k: 1, v: 12 }], "k INT, v INT");
    const [byKey, single] = await Promise.all([
      rowsPerKey(t.asTable().partitionBy("k").orderBy(col("v").desc())).orderBy("k").collect({ rowsAs: "array" }),
      rowsPerKey(t.asTable().withSinglePartition()).select("n").collect({ rowsAs: "array" }),
    ]);
    // pyspark 4.1.4, the same class and calls: [[1, 3, 12], [2, 1, 20], [3, 1, None]] and n = 5.
    expect([byKey, single]).toEqual([[[1, 3, 12], [2, 1, 20], [3, 1, null]], [[5]]]);
  });
});

// Made before any session, as pyspark's functions make them: the session that runs them fills them in.
const euros = udf("vectorlib.prices:euros", "string");
const meanNet = pandas_udf("vectorlib.prices:mean_net", "double", PandasUDFType.GROUPED_AGG);
const shareOfGroup = pandas_udf("vectorlib.batches:share_of_group", "grp string, net double, share double", PandasUDFType.GROUPED_MAP);
const squares = udtf("vectorlib.tables:Squares", { returnType: "n int, square int" });

describe("foreach, cogroup, udf()/pandas_udf()/udtf() and catalog.registerFunction", () => {
  // One test, one session: the values are what pyspark 4.1.4 gives for the same jobs and functions.
  it("run the project's functions on the workers", async () => {
    const s = await shared();
    const out = tempDir("sab-foreach-");
    const rows = (fail: boolean) => s.range(0, 4, 1, 2).select(col("id"), lit(out).alias("out"), lit(fail).alias("fail"));
    await rows(false).foreach("vectorlib.effects:record");
    expect(readdirSync(out).sort()).toEqual(["row-0", "row-1", "row-2", "row-3"]);
    expect(JSON.parse(readFileSync(join(out, "row-1"), "utf8"))).toEqual({ id: 1, out, fail: false });
    await rows(false).foreachPartition("vectorlib.effects:record_partition");
    const parts = readdirSync(out).filter((name) => name.startsWith("part-")).map((name) => readFileSync(join(out, name), "utf8"));
    expect(parts.sort()).toEqual(["0,1", "2,3"]);
    const err = await rows(true).foreach("vectorlib.effects:record").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("row 3 refused");
    // The project's frame on disk; foreach's wrapper (compiled as "<spark-autobundle foreach.py>") hidden like the loader.
    expect((err as Error).message).toMatch(/\n {2}File "[^"]+\/vectorlib\/effects\.py", line 10, in record\n/);
    expect((err as Error).message).not.toContain("<spark-autobundle");
    expect((err as SparkConnectError).pythonTraceback).toContain('File "<spark-autobundle foreach.py>", line 11, in foreach_row');

    const left = await s.sql("SELECT id % 2 AS k, id AS v FROM range(5)");
    const right = await s.sql("SELECT id % 3 AS k, CAST(id AS DOUBLE) AS w FROM range(3)");
    const cogrouped = () => left.groupBy("k").cogroup(right.groupBy("k"));
    const pairs = [
      { k: 0n, n_left: 3n, w_right: 0 },
      { k: 1n, n_left: 2n, w_right: 1 },
      { k: 2n, n_left: 0n, w_right: 2 },
    ];
    const schema = "k long, n_left long, w_right double";
    expect(sorted(await cogrouped().applyInPandas("vectorlib.batches:pair_counts", schema).collect(), "k")).toEqual(pairs);
    if (!onSpark35) expect(sorted(await cogrouped().applyInArrow("vectorlib.batches:pair_counts_arrow", schema).collect(), "k")).toEqual(pairs);

    expect((await (await prices(s)).select(euros("net").alias("e")).collect()).map((r) => r.e)).toEqual(["EUR 0.00", "EUR 10.00", "EUR 20.00", "EUR 30.00"]);
    expect(await (await prices(s)).agg(meanNet(col("net")).alias("m")).collect()).toEqual([{ m: 15 }]);
    const grouped = await s.sql("SELECT IF(id < 2, 'a', 'b') AS grp, CAST(id + 1 AS DOUBLE) AS net FROM range(4)");
    expect(sorted(await (await grouped.groupBy("grp").apply(shareOfGroup)).collect(), "net").map((r) => r.share)).toEqual([0.333, 0.667, 0.429, 0.571]);
    await s.catalog.registerFunction("euros_sql", "vectorlib.prices:euros");
    expect(await (await s.sql("SELECT euros_sql(12.5D) AS e")).collect()).toEqual([{ e: "EUR 12.50" }]);
    expect(await squares(lit(2)).collect()).toEqual([{ n: 1, square: 1 }, { n: 2, square: 4 }]);
    if (onSpark35) return;
    // 4.0+: a UDTF whose analyze() gives the columns; 4.1+: Arrow UDFs and UDTFs.
    expect(await udtf("vectorlib.tables:Doubled")(lit(21)).collect()).toEqual([{ doubled: 42 }]);
    const plusOne = arrow_udf("vectorlib.batches:plus_one", "double");
    expect((await (await prices(s)).select(plusOne("net").alias("p")).collect()).map((r) => r.p)).toEqual([1, 11, 21, 31]);
    expect(await arrow_udtf("vectorlib.tables:ArrowSquares", { returnType: "n int, square int" })(lit(2)).collect()).toEqual([{ n: 1, square: 1 }, { n: 2, square: 4 }]);
  });
});
