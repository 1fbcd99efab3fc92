import type { TestProject } from "vitest/node";
import { DEFAULT_SPARK_LINE, parseSparkLine, SPARK_LINES, type SparkLine } from "../../src/server/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The lines the "lines" project smoke-tests, oldest first. */
    smokeLines: string[];
  }
}

/**
 * The "lines" project: a smoke set per Spark line that has no suite of its own. The default line runs the
 * full suite (project "local") and 3.5 its own (project "spark35"); every other line gets the smoke set.
 * `SPARK_AUTOBUNDLE_SMOKE_LINES=4.0,4.2` narrows it for a run by hand. The test file starts (or reuses)
 * each line's server and stops the ones it started.
 */
export default function setup(project: TestProject): void {
  const chosen = process.env.SPARK_AUTOBUNDLE_SMOKE_LINES?.split(",").filter((l) => l.trim() !== "").map(parseSparkLine);
  const lines: SparkLine[] = chosen ?? SPARK_LINES.filter((line) => line !== DEFAULT_SPARK_LINE && line !== "3.5");
  project.provide("smokeLines", lines);
}
