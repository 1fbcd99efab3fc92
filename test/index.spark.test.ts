// The package entry as the README's first line uses it: SparkSession.builder().remote("local"),
// reaching the machine's embedded server (the one test/setup/spark.ts started or reused) through
// the launcher port src/index.ts wires in.
import { describe, expect, inject, it } from "vitest";
import { SparkSession } from "../src/index.js";

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
});
