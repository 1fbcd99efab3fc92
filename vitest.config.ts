import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Starts (or reuses) one embedded Spark Connect server for the whole run.
    globalSetup: ["test/setup/spark.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Spark jobs share one JVM on a 2-core machine; parallel files only fight over it.
    fileParallelism: false,
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: ".test-results.json" }]],
  },
});
