// sparkTest: vitest's test with a `spark` fixture, one auto-bundled session per test file.
import { inject, test, type TestAPI } from "vitest";
import { withAutoBundle } from "../bundle/hook.js";
import { SparkSession } from "../connect/session.js";
import { CONTEXT_KEY } from "./options.js";

export interface SparkFixtures {
  /** A session of its own for this test file, holding the project's current Python code. */
  spark: SparkSession;
}

export type SparkTestAPI = TestAPI<SparkFixtures>;

function createSparkTest(): SparkTestAPI {
  return test.extend<SparkFixtures>({
    spark: [
      // vitest reads the fixture's dependencies from this destructuring; there are none.
      async ({}, use) => {
        const context = inject(CONTEXT_KEY);
        if (context === undefined) {
          throw new Error(
            "sparkTest has no Spark server: the spark-autobundle globalSetup did not run. " +
              'Fix: add the plugin to vitest.config.ts: `import { sparkAutobundle } from "spark-autobundle/vitest"; ' +
              "export default defineConfig({ plugins: [sparkAutobundle()] })`.",
          );
        }
        // A new session (its own session id) per file, so files never see each other's temp views or confs.
        const session = await SparkSession.builder().remote(context.remote).create();
        // watch: false: vitest's own watch mode re-runs the files, each with a new session, so a
        // background re-bundler per session would only duplicate work.
        withAutoBundle(session, { ...context.bundleOptions, root: context.root, pythonVersion: context.pythonVersion, watch: false });
        try {
          await use(session);
        } finally {
          await session.stop();
        }
      },
      { scope: "file" },
    ],
  });
}

/**
 * test.extend() registers with the running test file, so it only works inside a test worker. This
 * module is also loaded by vitest.config.ts (for the plugin), where vitest's worker state is absent.
 */
function insideTestWorker(): boolean {
  return typeof (globalThis as Record<string, unknown>).__vitest_worker__ === "object";
}

function outsideWorker(): never {
  throw new Error("sparkTest was called outside a vitest test file (from a config file or globalSetup?). Fix: use it only in test files.");
}

/**
 * `sparkTest("name", async ({ spark }) => { ... })`: like vitest's `test`, plus `spark`, a session
 * created for the test file (and stopped after it) with withAutoBundle on the project root.
 * Needs the sparkAutobundle() plugin (or its globalSetup) in the vitest config.
 */
export const sparkTest: SparkTestAPI = insideTestWorker() ? createSparkTest() : (outsideWorker as unknown as SparkTestAPI);
