import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLocalRemote, resolveHome, SPARK_LINES, sparkLineSpec } from "../../src/server/index.js";
import { firstErrorLines, quoteLogTail, readLogTail } from "../../src/server/errors.js";
import { homeLayout } from "../../src/server/home/paths.js";
import { resolvePort } from "../../src/server/process/port.js";

describe("parseLocalRemote", () => {
  it.each([
    ["local", "*"],
    ["local[*]", "*"],
    ["local[4]", 4],
    [" local[1] ", 1],
  ] as const)("%s → cores %s", (remote, cores) => {
    expect(parseLocalRemote(remote)).toEqual({ cores });
  });

  it.each(["sc://localhost:15002", "sc://127.0.0.1:15002/;token=abc", "yarn", "localhost"])("%s is not local", (remote) => {
    expect(parseLocalRemote(remote)).toBeNull();
  });

  it.each(["local[0]", "local[two]", "local[2,3]", "local[]"])("%s is rejected with the accepted forms", (remote) => {
    expect(() => parseLocalRemote(remote)).toThrow(/use "local", "local\[\*\]" .* "local\[N\]"/);
  });
});

describe("resolveHome", () => {
  it("uses SPARK_AUTOBUNDLE_HOME on every platform", () => {
    for (const platform of ["linux", "darwin"] as const) {
      expect(resolveHome({ env: { SPARK_AUTOBUNDLE_HOME: "/data/sab" }, platform, homedir: "/home/u" })).toBe("/data/sab");
    }
  });

  it("follows XDG_CACHE_HOME on Linux, ignoring relative values", () => {
    expect(resolveHome({ env: { XDG_CACHE_HOME: "/xdg" }, platform: "linux", homedir: "/home/u" })).toBe("/xdg/spark-autobundle");
    expect(resolveHome({ env: { XDG_CACHE_HOME: "rel" }, platform: "linux", homedir: "/home/u" })).toBe(
      "/home/u/.cache/spark-autobundle",
    );
    expect(resolveHome({ env: {}, platform: "linux", homedir: "/home/u" })).toBe("/home/u/.cache/spark-autobundle");
  });

  it("uses ~/Library/Caches on macOS", () => {
    expect(resolveHome({ env: { XDG_CACHE_HOME: "/xdg" }, platform: "darwin", homedir: "/Users/u" })).toBe(
      "/Users/u/Library/Caches/spark-autobundle",
    );
  });

  it("uses %LOCALAPPDATA% on Windows", () => {
    expect(resolveHome({ env: { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, platform: "win32", homedir: "C:\\Users\\u" })).toBe(
      "C:\\Users\\u\\AppData\\Local\\spark-autobundle",
    );
    expect(resolveHome({ env: {}, platform: "win32", homedir: "C:\\Users\\u" })).toBe(
      "C:\\Users\\u\\AppData\\Local\\spark-autobundle",
    );
  });

  it("keeps the venv under a directory named for the pinned pyspark", () => {
    expect(path.basename(homeLayout("/h").venvDir)).toBe("venv-pyspark-4.3.0");
  });

  it("gives each line its own directory, except 4.1, which keeps the home it had before lines existed", () => {
    expect(homeLayout("/h").home).toBe(path.join("/h", "spark-4.3"));
    expect(homeLayout("/h", "4.1").home).toBe("/h");
    expect(homeLayout("/h", "4.1").venvDir).toBe(path.join("/h", "venv-pyspark-4.1.4"));
    const homes = SPARK_LINES.map((line) => homeLayout("/h", line).stateFile);
    expect(new Set(homes).size).toBe(SPARK_LINES.length);
  });
});

describe("resolvePort", () => {
  it("prefers the option, then SPARK_AUTOBUNDLE_PORT, then the default line's port", () => {
    expect(resolvePort(16000, { SPARK_AUTOBUNDLE_PORT: "17000" })).toEqual({ port: 16000, explicit: true });
    expect(resolvePort(undefined, { SPARK_AUTOBUNDLE_PORT: "17000" })).toEqual({ port: 17000, explicit: true });
    expect(resolvePort(undefined, {})).toEqual({ port: 15006, explicit: false });
  });

  it("gives every line a port of its own, fixed whichever line is the default", () => {
    expect(Object.fromEntries(SPARK_LINES.map((l) => [l, sparkLineSpec(l).defaultPort]))).toEqual({ "3.5": 15003, "4.0": 15004, "4.1": 15002, "4.2": 15005, "4.3": 15006 });
  });

  it("names the bad source", () => {
    expect(() => resolvePort(undefined, { SPARK_AUTOBUNDLE_PORT: "abc" })).toThrow(/SPARK_AUTOBUNDLE_PORT=abc.*between 1 and 65535/);
    expect(() => resolvePort(70000, {})).toThrow(/port option/);
  });
});

describe("readLogTail", () => {
  it("returns the last lines, or says the log is missing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sab-log-"));
    const log = path.join(dir, "server.log");
    fs.writeFileSync(log, Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n") + "\n");
    const tail = readLogTail(log, 20).split("\n");
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe("line 11");
    expect(tail.at(-1)).toBe("line 30");
    expect(readLogTail(path.join(dir, "absent.log"))).toBe("(log file does not exist)");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("quoteLogTail", () => {
  it("leads with the first error when a stack trace pushed it out of the tail", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sab-log-"));
    const log = path.join(dir, "spark-connect.log");
    const stack = Array.from({ length: 25 }, (_, i) => `\tat org.apache.spark.Frame${i}(Frame.scala:${i})`);
    fs.writeFileSync(
      log,
      [
        "26/11/22 02:03:36 INFO SparkContext: Running Spark version 4.1.4",
        "26/11/22 02:03:39 ERROR SparkConnectServer: Error starting Spark Connect server",
        "java.net.BindException: Failed to bind to address /127.0.0.1:35047",
        ...stack,
      ].join("\n"),
    );
    expect(firstErrorLines(fs.readFileSync(log, "utf8"))).toEqual([
      "26/11/22 02:03:39 ERROR SparkConnectServer: Error starting Spark Connect server",
      "java.net.BindException: Failed to bind to address /127.0.0.1:35047",
    ]);
    const quote = quoteLogTail(log);
    expect(quote).toMatch(/^First error in the log:\n {2}\| .*ERROR SparkConnectServer.*\n {2}\| java\.net\.BindException/);
    expect(quote).toContain("Frame24");
    expect(quote).not.toContain("Frame4(");
    expect(quote.endsWith(`Full log: ${log}`)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
