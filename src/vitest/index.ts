// "spark-autobundle/vitest": Spark tests under vitest. In vitest.config.ts: `plugins: [sparkAutobundle()]`;
// in tests: `sparkTest("...", async ({ spark }) => { ... })`.
export { sparkAutobundle, sparkGlobalSetup } from "./plugin.js";
export { sparkTest, type SparkFixtures, type SparkTestAPI } from "./fixture.js";
export type { SparkVitestOptions, SparkAutobundleContext, ProvidedBundle, VitestBundleConfig } from "./options.js";
