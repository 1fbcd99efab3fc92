import { defineConfig } from "vitest/config";

// Unit tests only (`npm run test:unit`): no Spark server (*.spark.test.ts) and no network (*.net.test.ts,
// which fetch from PyPI) are needed.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/*.spark.test.ts", "**/*.net.test.ts", "test/cluster/**", "test/spark35/**", "node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
