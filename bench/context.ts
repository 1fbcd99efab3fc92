// What every benchmark section gets: the run plan, the trees, a scratch dir, and the rivals' tools.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { LocalServer } from "../src/server/index.js";
import type { RunPlan } from "./measure.js";
import type { PysparkClient } from "./pyspark.js";
import type { BenchTree } from "./trees.js";

export interface BenchContext {
  plan: RunPlan;
  quick: boolean;
  trees: BenchTree[];
  /** Scratch space, removed at the end. */
  work: string;
  /** Python for the zipfile rival (the server venv's when there is one). */
  python: string;
  /** Started lazily: only sections that talk to Spark need it. */
  server(): Promise<LocalServer>;
  pyspark(): Promise<PysparkClient>;
  /** A new value for the probe module on every edit, so no edit ever hits a cache. */
  nextProbeValue(): number;
}

export function freshDir(ctx: BenchContext, prefix: string): string {
  return mkdtempSync(join(ctx.work, prefix));
}

/** Big enough for the 100 MB tree (the defaults stop at 100 MiB per bundle, 10 MiB per file). */
export const LIMITS = { maxBundleBytes: 1024 ** 3, maxFileBytes: 512 * 1024 ** 2 };
