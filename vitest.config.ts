import { configDefaults, defineConfig } from "vitest/config";

/** Tests that need the local project's embedded server (or PyPI); every other file is a unit test. */
const SERVER_TESTS = ["test/**/*.spark.test.ts", "test/**/*.net.test.ts", "test/server/global-setup.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Spark jobs share JVMs on a 2-core machine; parallel files only fight over them.
    fileParallelism: false,
    // `npm test` (scripts/test.mjs) runs the projects below one at a time, each with only its own servers.
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...SERVER_TESTS, "test/cluster/**", "test/spark35/**", "test/lines/**"],
          // No server: these run first and fail fast. Worker threads, two files at a time: 81 s for the
          // 93 files, against 141 s one at a time in threads and 170 s one at a time in forked processes
          // (measured on this 2-core machine; with forks, two at a time had been no faster). Tests that
          // change the environment must set process.env, which each thread has its own copy of.
          pool: "threads",
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: "local",
          include: SERVER_TESTS,
          // Suites with servers of their own live in their own projects below.
          exclude: [...configDefaults.exclude, "test/cluster/**", "test/spark35/**", "test/lines/**"],
          // Starts (or reuses) one embedded Spark Connect server for the whole run.
          globalSetup: ["test/setup/spark.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts"],
          // A standalone master + 2 worker JVMs and a Connect server on them (src/server/cluster/cluster.ts).
          globalSetup: ["test/setup/cluster.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "spark35",
          // The client core and auto-bundle suites again, on the embedded Spark 3.5 server.
          include: [
            "test/connect/**/*.spark.test.ts",
            "test/bundle/{autobundle,overlay,vectorized,datasource,jars}.spark.test.ts",
            "test/bundle/deps/deps.spark.test.ts",
            "test/spark35/**/*.test.ts",
          ],
          globalSetup: ["test/setup/spark35.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "lines",
          // A smoke set on each line that is neither the default nor 3.5, each on its own embedded server.
          include: ["test/lines/**/*.test.ts"],
          globalSetup: ["test/setup/lines.ts"],
        },
      },
    ],
  },
});
