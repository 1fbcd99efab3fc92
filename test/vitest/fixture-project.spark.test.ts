// The pricetag fixture's own vitest suite, run as a user runs it (a vitest subprocess in the
// project dir), against the shared Spark Connect server.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { localServerStatus } from "../../src/server/index.js";
import { builtPackage, childEnv, fixtureIn, runVitest } from "./helpers.js";

let pkg: string;
beforeAll(async () => {
  pkg = await builtPackage();
});

describe("a project's sparkTest suite under the plugin", () => {
  it("passes against SPARK_REMOTE, with one session per test file", async () => {
    const project = fixtureIn(pkg, "pricetag");
    // No SPARK_AUTOBUNDLE_PYTHON_VERSION: the globalSetup probes the workers' Python once.
    const result = await runVitest(project, childEnv({ SPARK_REMOTE: inject("sparkRemote"), SPARK_AUTOBUNDLE_PYTHON_VERSION: undefined, NO_COLOR: "1" }));
    expect(result.report, result.output).toBeDefined();
    const report = result.report!;
    expect({ code: result.code, passed: report.numPassedTests, failed: report.numFailedTests }, result.output).toEqual({ code: 0, passed: 4, failed: 0 });

    const sessionsOf = (file: string) => {
      const tests = report.testResults.find((r) => r.name.endsWith(file))!.assertionResults;
      return new Set(tests.map((t) => t.meta.sparkSessionId).filter((id) => id !== undefined));
    };
    const amounts = sessionsOf("amounts.test.ts");
    const labels = sessionsOf("labels.test.ts");
    expect(amounts.size).toBe(1); // both tests of the file shared it
    expect(labels.size).toBe(1);
    expect([...amounts][0]).not.toBe([...labels][0]);
  });

  it.skipIf(process.env.SPARK_REMOTE)("without SPARK_REMOTE, reuses the running embedded server instead of starting one", async () => {
    const before = await localServerStatus();
    expect(before.state, "the shared embedded server should be running for this test").toBe("running");
    const project = fixtureIn(pkg, "pricetag", "pricetag-embedded");
    const result = await runVitest(
      project,
      childEnv({ SPARK_REMOTE: undefined, SPARK_AUTOBUNDLE_PYTHON_VERSION: inject("sparkPythonVersion") || undefined, NO_COLOR: "1" }),
      ["test/labels.test.ts"],
    );
    expect({ code: result.code, passed: result.report?.numPassedTests }, result.output).toEqual({ code: 0, passed: 2 });
    const after = await localServerStatus();
    expect(after.state === "running" && before.state === "running" && after.server.pid === before.server.pid).toBe(true);
  });

  it("fails on a bug in the Python: the traceback on the project's file once, the code frame on the test's own line", async () => {
    const project = fixtureIn(pkg, "pricetag", "pricetag-bug");
    const module = join(project, "pricetag", "amounts.py");
    const good = '    mark = max(number.rfind("."), number.rfind(","))\n';
    const source = readFileSync(module, "utf8");
    expect(source).toContain(good);
    writeFileSync(module, source.replace(good, good.replace("\n", " // (len(number) - len(number))\n")));
    const line = lineOf(source, good);
    const testFile = readFileSync(join(project, "test", "amounts.test.ts"), "utf8");
    const testLine = lineOf(testFile, "  const rows = await spark\n"); // the first test's collect()

    const result = await runVitest(
      project,
      childEnv({ SPARK_REMOTE: inject("sparkRemote"), SPARK_AUTOBUNDLE_PYTHON_VERSION: inject("sparkPythonVersion") || undefined, NO_COLOR: "1" }),
      ["test/amounts.test.ts", "-t", "reads European"],
    );
    expect(result.code, result.output).toBe(1);
    expect(result.report!.numFailedTests).toBe(1);
    const failure = result.report!.testResults[0]!.assertionResults.find((t) => t.status === "failed")!.failureMessages.join("\n");
    const where = new RegExp(`pricetag/amounts\\.py", line ${line}, in amount`);
    for (const text of [failure, result.output]) {
      expect(text).toContain("Traceback (most recent call last)");
      expect(text).toMatch(where);
      expect(text).toContain("ZeroDivisionError: integer division or modulo by zero");
    }
    // Pointed at the project's file on disk, with the line that ran under it, once: not again as
    // "Caused by" or in a "Serialized Error" with the JVM stack.
    expect(failure).toContain(`File "${module}", line ${line}, in amount\n    mark = max(`);
    expect(result.output).not.toMatch(/userFiles-|Serialized Error|Caused by|serverStackTrace|\tat org\.apache/);
    expect(result.output.split(`File "${module}", line ${line}, in amount`)).toHaveLength(2);
    // The JS stack starts at the test's own `await ... .collect()`: vitest draws its code frame there,
    // and shows none of the library's frames.
    expect(failure).toContain(`amounts.test.ts:${testLine}:`);
    expect(result.output.split(`test/amounts.test.ts:${testLine}:`)).toHaveLength(2);
    expect(result.output).toContain(`${testLine}|   const rows = await spark`);
    expect(result.output).not.toMatch(/dist\/connect\/|errors\.js/);
  });
});

/** 1-based line of the first occurrence of `text` in `source`. */
function lineOf(source: string, text: string): number {
  expect(source).toContain(text);
  return source.slice(0, source.indexOf(text)).split("\n").length;
}
