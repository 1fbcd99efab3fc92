// The benchmark trees on disk: the seeded synthetic trees plus a tiny package the loop edits.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TREE_SIZES, writeTree, type TreeName } from "./tree.js";
import type { TreeInfo } from "./report.js";

export interface BenchTree extends TreeInfo {
  name: TreeName;
  root: string;
}

/** The module benchmarks c and e edit; value(x) returns VALUE, so a job shows which code ran. */
export const PROBE_MODULE = "benchloop.probe";
export const PROBE_FILE = "benchloop/probe.py";

export function probeSource(value: number): string {
  return `VALUE = ${value}\n\n\ndef value(x):\n    return VALUE\n`;
}

export function writeProbe(root: string, value: number): void {
  writeFileSync(join(root, PROBE_FILE), probeSource(value));
}

export function prepareTree(base: string, name: TreeName): BenchTree {
  const root = join(base, name);
  mkdirSync(root, { recursive: true });
  const plan = writeTree(root, TREE_SIZES[name]);
  mkdirSync(join(root, "benchloop"), { recursive: true });
  writeFileSync(join(root, "benchloop/__init__.py"), "");
  writeProbe(root, 0);
  return { name, root, files: plan.files.length, bytes: plan.spec.bytes, largest: plan.largest };
}
