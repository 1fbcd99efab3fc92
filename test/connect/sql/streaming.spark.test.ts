// Integration: Structured Streaming on a real server: a rate source into the memory sink, JSON files into
// parquet with an availableNow trigger, and a failing query's error. One session; everything stopped in afterAll.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SparkConnectError, SparkSession, type StreamingQuery } from "../../../src/index.js";
import { expr } from "../../../src/connect/sql/column/functions.js";

let spark: SparkSession;
let dir: string;
const started: StreamingQuery[] = [];

beforeAll(async () => {
  spark = await SparkSession.builder().remote(inject("sparkRemote")).create();
  dir = mkdtempSync(join(tmpdir(), "sab-streaming-"));
  mkdirSync(join(dir, "in"));
  writeFileSync(join(dir, "in", "a.json"), '{"name":"a","n":1}\n{"name":"b","n":2}\n');
  writeFileSync(join(dir, "in", "b.json"), '{"name":"c","n":3}\n');
});
afterAll(async () => {
  for (const q of started) await q.stop().catch(() => {});
  await spark?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const files = () => spark.readStream.schema("name STRING, n INT").json(join(dir, "in"));

describe("Structured Streaming", () => {
  it("rate source → memory sink: progress, status, the sink's table, spark.streams, stop", async () => {
    const rate = spark.readStream.format("rate").option("rowsPerSecond", 50).load();
    expect([await rate.isStreaming(), await spark.range(1).isStreaming()]).toEqual([true, false]);
    const q = await rate.writeStream.format("memory").queryName("sab_rate").trigger({ processingTime: "200 milliseconds" }).start();
    started.push(q);
    expect(q.name).toBe("sab_rate");
    expect(q.id).toMatch(/^[0-9a-f-]{36}$/);

    // The rate source's first trigger may carry no rows: process until the sink holds some (bounded).
    let counts: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) {
      await q.processAllAvailable();
      [counts] = await (await spark.sql("SELECT count(*) AS n, min(value) AS lo, max(value) AS hi FROM sab_rate")).collect();
      if (Number(counts!.n) > 0) break;
      await sleep(100);
    }
    // The rate source counts from 0 without gaps.
    expect(Number(counts.n)).toBeGreaterThan(0);
    expect([Number(counts.lo), Number(counts.hi)]).toEqual([0, Number(counts.n) - 1]);

    const [active, status, last, recent, explained] = await Promise.all([q.isActive(), q.status(), q.lastProgress(), q.recentProgress(), q.explain()]);
    expect(active).toBe(true);
    expect(Object.keys(status).sort()).toEqual(["isDataAvailable", "isTriggerActive", "message"]);
    expect(typeof status.message).toBe("string");
    expect(last).toMatchObject({ id: q.id, runId: q.runId, name: "sab_rate" });
    expect(typeof last!.batchId).toBe("number");
    expect(last!.sources[0]!.description).toMatch(/^RateStream/);
    expect(last!.sink.description).toMatch(/MemorySink/);
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.at(-1)!.batchId).toBeGreaterThanOrEqual(last!.batchId);
    expect(explained).toContain("Physical Plan");

    const listed = await spark.streams.active();
    expect(listed.map((a) => [a.id, a.runId, a.name])).toEqual([[q.id, q.runId, "sab_rate"]]);
    expect((await spark.streams.get(q.id))?.name).toBe("sab_rate");

    await q.stop();
    expect(await q.isActive()).toBe(false);
    expect(await spark.streams.active()).toEqual([]);
    expect(await spark.streams.get(q.id)).toBeNull();
    expect(await q.exception()).toBeNull();
  });

  it("JSON files → parquet with an availableNow trigger, awaited to its end", async () => {
    const out = join(dir, "out");
    await spark.streams.resetTerminated();
    const q = await files().writeStream.trigger({ availableNow: true }).option("checkpointLocation", join(dir, "cp")).start(out, { format: "parquet" });
    started.push(q);
    expect(q.name).toBeNull();
    expect(await q.awaitTermination()).toBeUndefined();
    expect(await q.awaitTermination(1000)).toBe(true);
    expect(await spark.streams.awaitAnyTermination(1000)).toBe(true);
    expect(await q.isActive()).toBe(false);
    const rows = await spark.read.parquet(out).orderBy("n").collect();
    expect(rows).toEqual([{ name: "a", n: 1 }, { name: "b", n: 2 }, { name: "c", n: 3 }]);
  });

  it("a failing query's error surfaces with the server's message", async () => {
    await spark.streams.resetTerminated();
    const q = await files().select(expr("raise_error(concat('sab boom ', name))").alias("x")).writeStream.format("noop").trigger({ availableNow: true }).start();
    started.push(q);
    const failure = await q.awaitTermination().then(() => null, (e: unknown) => e);
    expect(failure).toBeInstanceOf(SparkConnectError);
    expect((failure as Error).message).toContain("sab boom");
    await expect(q.processAllAvailable()).rejects.toThrow(/sab boom/);
    await expect(spark.streams.awaitAnyTermination()).rejects.toThrow(/sab boom/);

    const e = await q.exception();
    expect(e).toBeInstanceOf(SparkConnectError);
    expect(e!.message).toContain("sab boom");
    expect(e!.exceptionClasses).toEqual(["org.apache.spark.sql.streaming.StreamingQueryException"]);
    expect(await q.isActive()).toBe(false);
  });
});
