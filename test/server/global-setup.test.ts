import { execFileSync } from "node:child_process";
import { describe, expect, inject, it } from "vitest";
import { checkHealth } from "../../src/server/index.js";

// Runs under the project config, whose globalSetup (test/setup/spark.ts) provides these;
// configs without that setup provide nothing, and the test is skipped.
const remote = inject("sparkRemote");

describe.skipIf(!remote)("vitest globalSetup", () => {
  it("provides a reachable Spark Connect URL and the server's Python", async () => {
    const match = /^sc:\/\/([^:/]+):(\d+)\/(?:;token=([^;]+))?/.exec(remote);
    expect(match).not.toBeNull();
    const [, host, port, token] = match!;
    const health = await checkHealth({ host: host!, port: Number(port), token });
    expect(health.sparkVersion).toMatch(/^4\.\d+\.\d+$/);

    const python = inject("sparkPython");
    if (python) {
      const version = execFileSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
      expect(version.trim()).toBe(inject("sparkPythonVersion"));
    }
  });
});
