// The builder's launcher port without a server: what remote("local") asks for, and the error when
// nothing can launch one (connect/ knows nothing of the embedded server; src/index.ts wires it in).
import { describe, expect, it } from "vitest";
import type { LocalServerLauncher } from "../../src/connect/builder.js";
import { SparkConnectError } from "../../src/connect/errors.js";
import { SparkSession } from "../../src/connect/session.js";

describe("SparkSessionBuilder's local launcher port", () => {
  it.each([
    ["local", undefined],
    ["local[3]", 3],
    ["local[*]", "*"],
  ] as const)("remote(%j) asks the launcher for cores %j, and a launcher failure reaches the caller as is", async (remote, cores) => {
    const requests: unknown[] = [];
    const launcher: LocalServerLauncher = async (request) => {
      requests.push(request.cores);
      throw new SparkConnectError("launcher says no", { fix: "none" });
    };
    await expect(SparkSession.builder().remote(remote).localLauncher(launcher).create()).rejects.toThrow("launcher says no");
    expect(requests).toEqual([cores]);
  });

  it("never calls the launcher for an sc:// remote", async () => {
    let calls = 0;
    const builder = SparkSession.builder()
      .remote("sc://127.0.0.1:1")
      .retryPolicy({ maxRetries: 0, initialBackoffMs: 1, maxBackoffMs: 1, multiplier: 1, jitter: 0 })
      .localLauncher(async () => {
        calls++;
        return { url: "sc://127.0.0.1:1" };
      });
    await expect(builder.create()).rejects.toBeInstanceOf(SparkConnectError);
    expect(calls).toBe(0);
  });

  it("without a launcher (connect/ imported alone, no package entry), names the fix instead of starting anything", async () => {
    const saved = SparkSession.defaultLocalLauncher;
    SparkSession.defaultLocalLauncher = undefined;
    try {
      const err = await SparkSession.builder().remote("local[2]").create().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SparkConnectError);
      expect((err as SparkConnectError).message).toMatch(/remote\("local\[2\]"\) needs a local server launcher/);
      expect((err as SparkConnectError).fix).toMatch(/Import SparkSession from "spark-autobundle".*localLauncher/);
    } finally {
      SparkSession.defaultLocalLauncher = saved;
    }
  });
});
