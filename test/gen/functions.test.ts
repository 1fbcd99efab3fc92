// src/gen/functions.ts must be exactly what scripts/gen-functions.mjs makes from the committed spec
// (scripts/functions-spec.json, recorded from pyspark by scripts/extract-functions.py), and together
// with the hand-written ones the library must name every function pyspark.sql.functions has.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as F from "../../src/connect/sql/column/functions.js";
import { GENERATED_FUNCTIONS } from "../../src/gen/functions.js";
// @ts-expect-error: a plain .mjs script, no types
import { HAND_WRITTEN, NOT_FUNCTIONS } from "../../scripts/gen-functions.mjs";

const repo = fileURLToPath(new URL("../..", import.meta.url));
type Spec = { pyspark: string; functions: { name: string; manual?: string; alias?: boolean }[] };
const spec = JSON.parse(readFileSync(join(repo, "scripts/functions-spec.json"), "utf8")) as Spec;

describe("generated function library", () => {
  it("is up to date with scripts/functions-spec.json and the generator (run `npm run gen:functions` if this fails)", () => {
    const fresh = execFileSync(process.execPath, [join(repo, "scripts/gen-functions.mjs"), "--stdout"], { cwd: repo, encoding: "utf8", maxBuffer: 64 << 20 });
    const committed = readFileSync(join(repo, "src/gen/functions.ts"), "utf8");
    expect(committed === fresh, "src/gen/functions.ts is stale").toBe(true);
  });

  it("exports every pyspark function by name, generated or hand-written", () => {
    expect(spec.pyspark).toMatch(/^4\.1\./);
    const exported = new Set(Object.keys(F));
    const classes = spec.functions.filter((f) => f.manual === "a class").map((f) => f.name);
    const missing = spec.functions
      .map((f) => f.name)
      .filter((name) => !exported.has(name) && !(NOT_FUNCTIONS as Set<string>).has(name) && !classes.includes(name));
    expect(missing).toEqual([]);
    // Hand-written ones are really hand-written: the generator skips them.
    for (const name of (HAND_WRITTEN as Map<string, string>).keys()) expect(GENERATED_FUNCTIONS).not.toContain(name);
  });
});
