// The benchmark trees must be the same bytes on every run and machine: same seed → same tree.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { fileContent, planTree, TREE_SIZES, writeTree } from "../../bench/tree.js";
import { tempDir } from "../bundle/helpers.js";

/** path → sha256 of every file under root. */
function digestTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[relative(root, full)] = createHash("sha256").update(readFileSync(full)).digest("hex");
    }
  };
  walk(root);
  return out;
}

describe("benchmark tree generator", () => {
  test("the same spec writes byte-identical trees; another seed writes a different one", () => {
    const spec = { files: 120, bytes: 400_000, seed: 11 };
    const a = digestTree(tempDirOf(spec, 0));
    const b = digestTree(tempDirOf(spec, 1));
    expect(Object.keys(a)).toHaveLength(120);
    expect(b).toEqual(a);
    const other = digestTree(tempDirOf({ ...spec, seed: 12 }, 2));
    expect(other).not.toEqual(a);
  });

  test("the plan hits the exact byte total and file count, with Python, text data and incompressible binaries", () => {
    for (const spec of [TREE_SIZES.small, TREE_SIZES.medium, { files: 10, bytes: 5_000, seed: 3 }]) {
      const plan = planTree(spec);
      expect(plan.files).toHaveLength(spec.files);
      expect(plan.files.reduce((n, f) => n + f.size, 0)).toBe(spec.bytes);
      expect(new Set(plan.files.map((f) => f.path)).size).toBe(spec.files);
      expect(plan.largest).toBe(Math.max(...plan.files.map((f) => f.size)));
    }
    const plan = planTree(TREE_SIZES.small);
    const kinds = new Set(plan.files.map((f) => f.kind));
    expect(kinds).toEqual(new Set(["py", "data", "binary"]));
    expect(plan.files.filter((f) => f.path.endsWith("__init__.py")).length).toBeGreaterThan(1);
    const binary = plan.files.find((f) => f.kind === "binary" && f.size > 4096)!;
    const py = plan.files.find((f) => f.kind === "py" && f.size > 4096)!;
    const ratio = (bytes: Buffer) => deflateRawSync(bytes).length / bytes.length;
    expect(ratio(fileContent(plan.spec, binary))).toBeGreaterThan(0.99);
    expect(ratio(fileContent(plan.spec, py))).toBeLessThan(0.5);
  });

  test("a spec too small to plan is refused with the limit named", () => {
    expect(() => planTree({ files: 10, bytes: 100, seed: 1 })).toThrow(/≥ 4 files of ≥ 64 bytes/);
  });
});

const dirs = new Map<string, string>();
/** A fresh tree for (spec, slot), written once. */
function tempDirOf(spec: { files: number; bytes: number; seed: number }, slot: number): string {
  const key = `${JSON.stringify(spec)}#${slot}`;
  let dir = dirs.get(key);
  if (!dir) {
    dir = tempDir("sab-benchtree-");
    writeTree(dir, spec);
    dirs.set(key, dir);
  }
  return dir;
}
