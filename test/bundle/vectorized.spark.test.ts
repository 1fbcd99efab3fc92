// Integration: vectorized Python (pandas/Arrow) by reference, on a real Spark Connect server.
// Projects are temp copies of fixtures/vectorlib, so tests can edit its modules.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { onSpark35 } from "../helpers/spark-line.js";
import { col, lit, SparkConnectError, SparkSession, withAutoBundle } from "../../src/index.js";
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
// workers import pandas again (~3 s a session on 2 cores, measured in CI). Tests that edit get their own.
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

  it("runs the edited code on the next job", async () => {
    const root = copyFixture("vectorlib");
    const s = await session(root);
    const withVat = s.udf.pandas("vectorlib.prices:with_vat", "double");
    const gross = async () => (await (await prices(s)).select(withVat("net").alias("g")).collect()).map((r) => r.g);
    expect(await gross()).toEqual([0, 12.1, 24.2, 36.3]);
    const file = join(root, "vectorlib/prices.py");
    writeFileSync(file, readFileSync(file, "utf8").replace("VAT = 0.21", "VAT = 0.09"));
    expect(await gross()).toEqual([0, 10.9, 21.8, 32.7]);
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

  it("runs the edited code on the next job", async () => {
    const root = copyFixture("vectorlib");
    const s = await session(root);
    const tags = async () => [...new Set((await (await prices(s)).mapInPandas("vectorlib.batches:keep_big", "net double, tag string").collect()).map((r) => r.tag))];
    expect(await tags()).toEqual(["big"]);
    const file = join(root, "vectorlib/batches.py");
    writeFileSync(file, readFileSync(file, "utf8").replace('TAG = "big"', 'TAG = "large"'));
    expect(await tags()).toEqual(["large"]);
  });

  it.skipIf(onSpark35)("names the reference when the function is missing, and refuses a non-struct schema", async () => {
    const s = await shared();
    const err = await (await prices(s)).mapInPandas("vectorlib.batches:nope", "net double").collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("vectorlib.batches");
    expect(() => s.range(1).mapInArrow("vectorlib.batches:doubled", "double")).toThrow(/must be a struct/);
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

  it("runs the edited class on the next job", async () => {
    const root = copyFixture("vectorlib");
    const s = await session(root);
    const squares = s.udtf.python("vectorlib.tables:Squares", "n int, square int");
    expect((await squares(lit(2)).collect()).map((r) => r.n)).toEqual([1, 2]);
    const file = join(root, "vectorlib/tables.py");
    writeFileSync(file, readFileSync(file, "utf8").replace("START = 1", "START = 2"));
    expect((await squares(lit(3)).collect()).map((r) => r.n)).toEqual([2, 3]);
  });

  it.skipIf(onSpark35)("names the reference when the class is missing, and refuses a non-struct schema", async () => {
    const s = await shared();
    const err = await s.udtf.python("vectorlib.tables:Nope", "n int")(lit(1)).collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("vectorlib.tables");
    expect(() => s.udtf.python("vectorlib.tables:Squares", "int")).toThrow(/must be a struct/);
  });
});
