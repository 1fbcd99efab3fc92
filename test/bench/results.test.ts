// The harness end to end on the smallest tree, for the parts that need no Spark (b, f): it must
// write a results.json of the documented shape. Only shapes are asserted, never timings.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { makeRow, contender, markdownTable, validateResults, type Results } from "../../bench/report.js";
import { REPO_ROOT, tempDir } from "../bundle/helpers.js";

describe("bench results.json", () => {
  test("a quick run of sections b and f writes a well-formed results.json and prints the tables", () => {
    const out = join(tempDir(), "results.json");
    const stdout = execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"), "bench/main.ts", "--quick", "--only=b,f", "--trees=small", "--runs=1", "--warmup=0", `--out=${out}`], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const results = JSON.parse(readFileSync(out, "utf8")) as Results;
    expect(validateResults(results)).toEqual([]);
    expect(results.rows.map((r) => r.id)).toEqual(["b.cold.small.zip", "b.cold.small.python", "f.rss.small"]);
    expect(results.rows.every((r) => r.status === "ok")).toBe(true);
    expect(results.trees).toEqual([{ name: "small", files: 100, bytes: 1_000_000, largest: expect.any(Number) }]);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.versions.zip).toMatch(/Zip/);
    expect(stdout).toContain("| b | cold bundle, 100 files / 1 MB |");
  }, 180_000);

  test("the validator names what is missing or malformed", () => {
    expect(validateResults(null)).toEqual(["not an object"]);
    const row = makeRow({ id: "b.x", section: "b", title: "t", unit: "ms", better: "lower", ours: contender("us", [10, 12, 11]), rival: contender("them", [30]), targetRatio: 1.5 });
    expect(row.ratio).toBeCloseTo(30 / 11, 2);
    expect(row.target).toEqual({ text: "≥ 1.5×", met: true });
    const broken = { schema: 1, createdAt: "yesterday", quick: false, plan: { runs: 5, warmup: 1 }, machine: {}, versions: {}, trees: [], rows: [{ ...row, section: "z" }] };
    const problems = validateResults(broken);
    expect(problems).toContain("createdAt must be an ISO date");
    expect(problems).toContain("machine needs cpuModel, cores, memoryBytes, os");
    expect(problems).toContain("versions.node must be a string");
    expect(problems).toContain("row b.x: id, section (a-h), title");
    const ok: Results = { ...broken, createdAt: new Date(0).toISOString(), machine: { cpuModel: "cpu", cores: 2, memoryBytes: 1, os: "os", loadStart: 0 }, versions: { node: "v", zlib: "z", pyspark: "p", spark: "s", java: "j", python: "py", zip: "Zip 3.0" }, rows: [row] } as Results;
    expect(validateResults(ok)).toEqual([]);
    expect(markdownTable(ok)).toContain("| b | t | 11 ms | them: 30 ms | 2.73× | target ≥ 1.5×: met |");
  });

  test("a row judged by its target alone (the hook's own cost) needs no rival, but a row with neither is refused", () => {
    const none = { name: "-", median: null, samples: [] };
    const hook = makeRow({ id: "a.hook.x", section: "a", title: "hook", unit: "ms", better: "lower", ours: contender("hook", [4, 5, 6]), rival: none, target: { text: "≤ 10 ms", met: true } });
    const bare = makeRow({ id: "a.bare.x", section: "a", title: "bare", unit: "ms", better: "lower", ours: contender("hook", [4]), rival: none });
    const results = { schema: 1, createdAt: new Date(0).toISOString(), quick: false, plan: { runs: 5, warmup: 1 }, machine: { cpuModel: "cpu", cores: 2, memoryBytes: 1, os: "os", loadStart: 0 }, versions: { node: "v", zlib: "z", pyspark: "p", spark: "s", java: "j", python: "py", zip: "Zip 3.0" }, trees: [], rows: [hook, bare] } as Results;
    expect(validateResults(results)).toEqual(["row a.bare.x: an ok row has samples and a ratio or a target"]);
  });
});
