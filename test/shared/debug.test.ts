import { describe, expect, it } from "vitest";
import { debugEnabled, debugLog, setDebugOverride } from "../../src/shared/debug.js";

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
});
