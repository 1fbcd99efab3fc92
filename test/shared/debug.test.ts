import { describe, expect, it, vi } from "vitest";
import { debugEnabled, debugLog, setDebugOverride, timed, timingMark } from "../../src/shared/debug.js";

describe("debug lines", () => {
  it("are on for DEBUG or NODE_DEBUG naming spark-autobundle (lists, wildcards), or SPARK_AUTOBUNDLE_DEBUG", () => {
    expect(debugEnabled({})).toBe(false);
    expect(debugEnabled({ DEBUG: "spark-autobundle" })).toBe(true);
    expect(debugEnabled({ NODE_DEBUG: "http,spark-autobundle" })).toBe(true);
    expect(debugEnabled({ DEBUG: "express:*, spark-autobundle*" })).toBe(true);
    expect(debugEnabled({ DEBUG: "*" })).toBe(true);
    expect(debugEnabled({ NODE_DEBUG: "SPARK-AUTOBUNDLE" })).toBe(true); // node's debuglog is case-insensitive
    expect(debugEnabled({ DEBUG: "spark" })).toBe(false);
    expect(debugEnabled({ SPARK_AUTOBUNDLE_DEBUG: "1" })).toBe(true);
    expect(debugEnabled({ SPARK_AUTOBUNDLE_DEBUG: "0" })).toBe(false);
  });

  it("write one prefixed line per call to stderr, only when on; the CLI's --verbose turns them on", () => {
    const lines: string[] = [];
    const log = debugLog("upload", { env: { DEBUG: "spark-autobundle" }, write: (text) => lines.push(text) });
    log("sent %s", "pyfiles/a-0123456789ab.zip");
    expect(lines).toEqual(["spark-autobundle:upload sent pyfiles/a-0123456789ab.zip\n"]);
    const off = debugLog("upload", { env: {}, write: (text) => lines.push(text) });
    off("nothing");
    expect(lines).toHaveLength(1);
    setDebugOverride(true);
    try {
      off("forced");
    } finally {
      setDebugOverride(undefined);
    }
    expect(lines.at(-1)).toBe("spark-autobundle:upload forced\n");
  });

  it("turn on one area alone with spark-autobundle:<area>; timing lines give each phase's ms and when it ended", async () => {
    expect(debugEnabled({ DEBUG: "spark-autobundle:timing" }, "timing")).toBe(true);
    expect(debugEnabled({ DEBUG: "spark-autobundle:timing" }, "upload")).toBe(false);
    expect(debugEnabled({ DEBUG: "spark-autobundle:timing" })).toBe(false);
    expect(debugEnabled({ DEBUG: "spark-autobundle:*" }, "upload")).toBe(true);

    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((text) => (written.push(String(text)), true));
    const saved = process.env.DEBUG;
    try {
      process.env.DEBUG = "spark-autobundle:timing";
      expect(await timed("sync", async () => 42)).toBe(42);
      await expect(timed("upload", async () => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
      timingMark("imported");
      process.env.DEBUG = "";
      await timed("quiet", async () => 1);
    } finally {
      if (saved === undefined) delete process.env.DEBUG;
      else process.env.DEBUG = saved;
      stderr.mockRestore();
    }
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^spark-autobundle:timing sync \d+\.\d ms, ended at \d+\.\d ms\n$/);
    expect(written[1]).toMatch(/^spark-autobundle:timing upload \d+\.\d ms, ended at /);
    expect(written[2]).toMatch(/^spark-autobundle:timing imported at \d+\.\d ms\n$/);
  });
});
