// stop() while a job is under way: the job fails saying the session was stopped, whatever step it was
// in (building, uploading, the workers' Python probe, running), never with an error about that step.
import { describe, expect, inject, it } from "vitest";
import { lit, SparkConnectError, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../src/index.js";
import { copyFixture, tempDir } from "../bundle/helpers.js";

describe("stop() during a job", () => {
  it.each([
    ["after the upload, before the workers' Python probe", "upload"],
    ["while the bundle is built", "scan"],
  ] as const)("%s: the job's error says the session was stopped", async (_when, stopOn) => {
    // sc:// (not the embedded launcher): the workers' Python is found by a probe job, as on any cluster.
    const spark = await SparkSession.builder().remote(inject("sparkRemote")).create();
    let stopping: Promise<void> | undefined;
    withAutoBundle(spark, {
      root: copyFixture("srclayout"),
      cacheDir: tempDir("sab-cache-"),
      dependencies: false,
      onEvent: (e: AutoBundleEvent) => {
        if (e.type === stopOn) stopping ??= spark.stop();
      },
    });
    const normalize = spark.udf.python("textkit.text:normalize", "string");
    const err = await spark.range(1).select(normalize(lit(" A ")).alias("v")).collect().catch((e: unknown) => e);
    await stopping;
    expect(stopping).toBeDefined();
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toMatch(/^This SparkSession was stopped/);
    expect((err as SparkConnectError).errorClass).toBe("SESSION_STOPPED");
    expect((err as SparkConnectError).fix).toMatch(/SparkSession\.builder\(\)/);
  });
});
