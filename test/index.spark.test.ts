// The package entry as the README's first line uses it: SparkSession.builder().remote("local"),
// reaching the machine's embedded server (the one test/setup/spark.ts started or reused) through
// the launcher port src/index.ts wires in.
import { describe, expect, inject, it, vi } from "vitest";
import { useWheelhouse } from "./helpers/wheelhouse.js";
import { lit, SparkSession, withAutoBundle, type AutoBundleEvent } from "../src/index.js";
import { copyFixture, tempDir } from "./bundle/helpers.js";

// Resolutions come from the shared test wheelhouse, not PyPI (test/helpers/wheelhouse.ts).
useWheelhouse();

describe("remote(\"local\") through the package entry", () => {
  it("reaches the embedded server, carries its facts, and getOrCreate reuses one session until stop()", async () => {
    const first = await SparkSession.builder().remote("local").onProgress(() => undefined).getOrCreate();
    try {
      const again = await SparkSession.builder().remote("local").onProgress(() => undefined).getOrCreate();
      expect(again).toBe(first);
      expect(first.version).toBe(inject("sparkVersion"));
      // The embedded server's workers run its venv's Python: known without a probe job.
      expect(first.serverFacts?.pythonVersion).toBe(inject("sparkPythonVersion"));
      expect(first.serverFacts?.pythonExecutable).toBe(inject("sparkPython"));
      expect(await (await first.sql("SELECT 41 + 1 AS x")).collect()).toEqual([{ x: 42 }]);
    } finally {
      await first.stop();
    }
    const fresh = await SparkSession.builder().remote("local").onProgress(() => undefined).getOrCreate();
    try {
      expect(fresh).not.toBe(first);
      expect(await (await fresh.sql("SELECT 1 AS one")).collect()).toEqual([{ one: 1 }]);
    } finally {
      await fresh.stop();
    }
  });

  it("an sc:// session carries no server facts (the engine probes its workers instead)", async () => {
    const spark = await SparkSession.builder().remote(inject("sparkRemote")).create();
    try {
      expect(spark.serverFacts).toBeUndefined();
    } finally {
      await spark.stop();
    }
  });

  it("concurrent getOrCreate calls share one session, and .config() is applied to it", async () => {
    const build = () => SparkSession.builder().remote("local").onProgress(() => undefined).config("spark.sql.shuffle.partitions", 7);
    const [a, b] = await Promise.all([build().getOrCreate(), build().getOrCreate()]);
    try {
      expect(b).toBe(a);
      expect(await a.conf.get("spark.sql.shuffle.partitions")).toBe("7");
    } finally {
      await a.stop();
    }
  });

  it("the engine uses the embedded server's facts: no probe job for the workers' Python or platform", async () => {
    const events: AutoBundleEvent[] = [];
    const spark = withAutoBundle(await SparkSession.builder().remote("local").onProgress(() => undefined).create(), {
      root: copyFixture("withdeps"),
      cacheDir: tempDir("sab-cache-"),
      onEvent: (e) => events.push(e),
    });
    const probes = vi.spyOn(spark, "executeWithoutHooks");
    try {
      const size = spark.udf.python("textfmt.sizes:natural_size", "string");
      expect((await spark.range(1).select(size(lit(3_000_000)).alias("s")).collect())[0]!.s).toBe("3.0 MB");
      expect(events.filter((e) => e.type === "python-version")).toEqual([{ type: "python-version", version: inject("sparkPythonVersion") }]);
      expect(events.some((e) => e.type === "deps")).toBe(true);
      // Both the Python version and the workers' platform came from the launcher's facts, not from jobs.
      expect(probes).not.toHaveBeenCalled();
    } finally {
      await spark.stop();
    }
  });
});
