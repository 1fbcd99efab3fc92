// h. Rerun: edit one file, run the script again. Whole processes on a warm embedded server, ours (a
// Node script on the built package, remote("local"), spare sessions on) against pyspark by hand (a
// Python script: zip, addArtifacts, the same UDF), alternating; each reports its own phase times.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchContext } from "./context.js";
import { ensureConnectDeps, pysparkUrl } from "./pyspark.js";
import { interleaved, run } from "./measure.js";
import { contender, errorRow, makeRow, type Row } from "./report.js";
import { PROBE_MODULE, writeProbe } from "./trees.js";
import { PYSPARK_VERSION } from "../src/server/index.js";

const ENTRY = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const RIVAL = fileURLToPath(new URL("./py/rerun.py", import.meta.url));
/** The bar: a 1,000-file rerun at least 3× faster than by hand, and ≤ 0.35 s. */
const TARGET_RATIO = 3;
/**
 * Between runs, as between a user's edit and the next run: the spare the previous run's stop starts
 * is warming meanwhile (about 2 s on this machine). The rival's turn comes in between anyway.
 */
const EDIT_PAUSE_MS = 2500;

const SCRIPT = `const started = performance.now();
const { SparkSession, col, withAutoBundle } = await import(process.env.SAB_ENTRY);
const imported = performance.now();
let spare = 0;
const spark = withAutoBundle(await SparkSession.builder().remote("local").getOrCreate(), { root: process.env.SAB_ROOT, onEvent: (e) => void (e.type === "spare" && (spare = 1)) });
const connected = performance.now();
const probe = spark.udf.python(process.env.SAB_PROBE, "bigint");
const value = (await spark.range(1).select(probe(col("id")).alias("v")).collect())[0].v;
const ran = performance.now();
await spark.stop();
const ms = (a, b) => Math.round((b - a) * 10) / 10;
console.log(JSON.stringify({ value: String(value), phases: { node: ms(0, started), import: ms(started, imported), session: ms(imported, connected), job: ms(connected, ran), stop: ms(ran, performance.now()), spare } }));
`;

type Phases = Record<string, number>;

export async function rerunRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const server = await ctx.server();
  const pythonPath = await ensureConnectDeps(server.home, server.pythonExecutable, PYSPARK_VERSION);
  for (const tree of ctx.trees.filter((t) => t.files <= 1000)) {
    const title = `rerun after a one-file edit, whole process, ${tree.files.toLocaleString("en")} files`;
    try {
      const script = join(tree.root, "rerun.mjs");
      writeFileSync(script, SCRIPT);
      const phases = { ours: [] as Phases[], library: [] as Phases[], manual: [] as Phases[] };
      const samples = await interleaved(ctx.plan, {
        ours: async () => {
          const value = ctx.nextProbeValue();
          writeProbe(tree.root, value);
          await sleep(EDIT_PAUSE_MS);
          // The library's own timing lines (DEBUG=spark-autobundle:timing) split the script's phases.
          const env = { ...process.env, SAB_ENTRY: ENTRY, SAB_ROOT: tree.root, SAB_PROBE: `${PROBE_MODULE}:value`, DEBUG: "spark-autobundle:timing" };
          const result = await run(process.execPath, [script], { cwd: tree.root, env });
          phases.ours.push(check(result.stdout, value));
          phases.library.push(libraryTimings(result.stderr));
          return result.ms;
        },
        manual: async () => {
          const value = ctx.nextProbeValue();
          writeProbe(tree.root, value);
          const env = { ...process.env, PYTHONPATH: pythonPath, PYTHONDONTWRITEBYTECODE: "1" };
          const result = await run(server.pythonExecutable, [RIVAL, pysparkUrl(server.url), tree.root, PROBE_MODULE, "value"], { env });
          phases.manual.push(check(result.stdout, value));
          return result.ms;
        },
      });
      rows.push(
        makeRow({
          id: `h.rerun.${tree.name}.time`,
          section: "h",
          title,
          unit: "ms",
          better: "lower",
          ours: contender("spark-autobundle (spare session)", samples.ours),
          rival: contender("pyspark by hand: zipfile + addArtifacts + UDF", samples.manual),
          targetRatio: tree.files >= 1000 ? TARGET_RATIO : undefined,
          note: `phases, median ms: ours ${summary(phases.ours)}; the library's timings ${summary(phases.library)}; pyspark ${summary(phases.manual)}`,
        }),
      );
    } catch (err) {
      rows.push(errorRow(`h.rerun.${tree.name}`, "h", title, err));
    }
  }
  return rows;
}

function check(stdout: string, expected: number): Phases {
  const last = JSON.parse(stdout.trim().split("\n").pop()!) as { value: string | number; phases: Phases };
  if (String(last.value) !== String(expected)) throw new Error(`the rerun returned ${last.value}, expected ${expected}: stale code ran`);
  return last.phases;
}

/**
 * The phases of one run from its `spark-autobundle:timing` lines: "imported" (since the process started),
 * each timed phase's ms (a phase timed twice is summed), and "server" (the plan sent → its last answer).
 */
export function libraryTimings(stderr: string): Phases {
  const phases: Phases = {};
  const marks: Phases = {};
  for (const line of stderr.split("\n")) {
    const phase = /^spark-autobundle:timing (\S+) ([\d.]+) ms, ended at/.exec(line);
    if (phase) phases[phase[1]!] = (phases[phase[1]!] ?? 0) + Number(phase[2]);
    const mark = /^spark-autobundle:timing (\S+) at ([\d.]+) ms$/.exec(line);
    if (mark) marks[mark[1]!] ??= Number(mark[2]);
  }
  const server = (marks["last-response"] ?? NaN) - (marks["plan-sent"] ?? NaN);
  return { imported: marks.imported ?? NaN, ...phases, ...(Number.isFinite(server) ? { server } : {}) };
}

function summary(runs: Phases[]): string {
  const names = [...new Set(runs.flatMap((run) => Object.keys(run)))];
  return names.map((name) => `${name} ${Math.round(middle(runs.map((p) => p[name] ?? 0)))}`).join(", ");
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
