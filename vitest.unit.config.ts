import { defineConfig } from "vitest/config";

// Unit tests only: no embedded Spark server is started (`npm run test:unit`).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/*.spark.test.ts", "test/cluster/**", "test/spark35/**", "node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
