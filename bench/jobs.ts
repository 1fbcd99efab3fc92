// a. Per-job overhead with nothing changed; c. one-file edit → next job ready; e. edit → result loop.
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { autoBundleOf, col, SparkSession, withAutoBundle, type AutoBundleOptions } from "../src/index.js";
import { freshDir, LIMITS, type BenchContext } from "./context.js";
import { interleaved, run, timed } from "./measure.js";
import { contender, errorRow, formatValue, makeRow, type Row } from "./report.js";
import { PROBE_MODULE, writeProbe, type BenchTree } from "./trees.js";

/** Whether the session hook reads the `watch` option yet (it is being built alongside this bench). */
function watchSupported(): boolean {
  return readFileSync(fileURLToPath(new URL("../src/bundle/hook.ts", import.meta.url)), "utf8").includes("watch");
}

async function autoSession(ctx: BenchContext, tree: BenchTree, extra: Partial<AutoBundleOptions> = {}, clock?: HookClock): Promise<SparkSession> {
  const server = await ctx.server();
  const options = { root: tree.root, cacheDir: freshDir(ctx, "session-cache-"), ...LIMITS, ...extra } as AutoBundleOptions;
  const session = await SparkSession.builder().remote(server.url).create();
  clock?.before(session);
  withAutoBundle(session, options);
  clock?.after(session);
  return session;
}

const selectOne = async (s: SparkSession) => (await s.sql("SELECT 1")).collect();

/**
 * Time spent inside withAutoBundle's plan hook, measured in-process: plan hooks run one after
 * another in the order added, so a hook added just before it starts the clock and one added just
 * after stops it. Unlike the job's wall time this does not carry the server's ±10 ms jitter.
 */
class HookClock {
  private startedAt = 0;
  private total = 0;

  before(session: SparkSession): void {
    session.addPlanHook(async () => void (this.startedAt = performance.now()));
  }

  after(session: SparkSession): void {
    session.addPlanHook(async () => void (this.total += performance.now() - this.startedAt));
  }

  /** Hook time since the last call (one job: `SELECT 1` + collect runs the hook twice). */
  take(): number {
    const total = this.total;
    this.total = 0;
    return total;
  }
}

/** Rounds for section a: its figures are a few ms against a job's ±10 ms jitter, so many more. */
const OVERHEAD_MIN_RUNS = 40;
/**
 * The targets for the hook's own cost per job: ≤ 10 ms at 1,000 files without a watcher
 * (one stat per entry, so larger trees get it scaled linearly: "scales sanely"), ≤ 1 ms watching.
 */
const HOOK_BUDGET_MS = { poll: 10, pollPerFiles: 1000, watch: 1 };

export async function overheadRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const watch = watchSupported();
  const plan = { ...ctx.plan, runs: ctx.quick ? ctx.plan.runs : Math.max(ctx.plan.runs, OVERHEAD_MIN_RUNS) };
  for (const tree of ctx.trees) {
    const title = `per-job overhead, nothing changed, ${tree.files.toLocaleString("en")} files`;
    const sessions: SparkSession[] = [];
    try {
      const server = await ctx.server();
      const plain = await SparkSession.builder().remote(server.url).create();
      sessions.push(plain);
      const clocks = { auto: new HookClock(), watched: new HookClock() };
      const auto = await autoSession(ctx, tree, {}, clocks.auto);
      sessions.push(auto);
      const watched = await autoSession(ctx, tree, { watch: true } as Partial<AutoBundleOptions>, clocks.watched);
      sessions.push(watched);
      for (const s of sessions) await selectOne(s); // first job: build + upload, not measured
      const engines = { auto: autoBundleOf(auto)!, watched: autoBundleOf(watched)! };
      const syncsBefore = { auto: engines.auto.syncStats.syncs, watched: engines.watched.syncStats.syncs };
      const hookMs = { auto: [] as number[], watched: [] as number[] };
      const job = (s: SparkSession, which?: keyof typeof clocks) => async () => {
        if (which) clocks[which].take();
        const ms = await timed(() => selectOne(s));
        if (which) hookMs[which].push(clocks[which].take());
        return ms;
      };
      const samples = await interleaved(plan, { plain: job(plain), auto: job(auto, "auto"), watched: job(watched, "watched") });
      // A rebuild during the measured rounds (a racy timestamp, a stray write) would be measured as overhead: say so.
      const rebuilt = (which: keyof typeof engines) => engines[which].syncStats.syncs - syncsBefore[which];
      const rival = contender("plain session", samples.plain);
      const overhead = (ms: number[]) => `overhead ${formatValue((contender("", ms).median ?? 0) - (rival.median ?? 0), "ms")}`;
      const pollBudget = HOOK_BUDGET_MS.poll * Math.max(1, tree.files / HOOK_BUDGET_MS.pollPerFiles);
      const hookRow = (which: "auto" | "watched", id: string, label: string, budget: number) => {
        const ours = contender(`${label} hook`, hookMs[which].slice(-plan.runs));
        const p90 = percentile(ours.samples, 0.9);
        const scaled = budget !== HOOK_BUDGET_MS.poll && which === "auto" ? ` (${HOOK_BUDGET_MS.poll} ms per ${HOOK_BUDGET_MS.pollPerFiles.toLocaleString("en")} files)` : "";
        const perFile = which === "auto" && ours.median !== null ? `${((ours.median * 1000) / tree.files).toFixed(1)} µs per file; ` : "";
        return makeRow({
          id,
          section: "a",
          title: `${title}: time in the auto-bundle hook per job${which === "watched" ? ", watch mode" : ""} (in-process)`,
          unit: "ms",
          better: "lower",
          ours,
          rival: { name: "-", median: null, samples: [] },
          target: { text: `≤ ${budget} ms${scaled}`, met: ours.median === null ? null : ours.median <= budget },
          note: `${perFile}p90 ${formatValue(p90, "ms")}; full syncs while measuring: ${rebuilt(which)}`,
        });
      };
      rows.push(
        makeRow({ id: `a.overhead.${tree.name}`, section: "a", title: `${title} (SELECT 1 + collect)`, unit: "ms", better: "lower", ours: contender("withAutoBundle", samples.auto), rival, note: overhead(samples.auto) }),
        hookRow("auto", `a.hook.${tree.name}`, "withAutoBundle", pollBudget),
        makeRow({
          id: `a.overhead-watch.${tree.name}`,
          section: "a",
          title: `${title}, watch mode`,
          unit: "ms",
          better: "lower",
          ours: contender("withAutoBundle({watch:true})", samples.watched),
          rival,
          status: watch ? "ok" : "pending",
          note: watch ? overhead(samples.watched) : "hook.ts does not read `watch` yet: measured without a watcher",
        }),
        hookRow("watched", `a.hook-watch.${tree.name}`, "withAutoBundle({watch:true})", HOOK_BUDGET_MS.watch),
      );
    } catch (err) {
      rows.push(errorRow(`a.overhead.${tree.name}`, "a", title, err));
    } finally {
      for (const s of sessions) await s.stop();
    }
  }
  return rows;
}

function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function editRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const tree of ctx.trees) {
    const title = `one-file edit → next job ready, ${tree.files.toLocaleString("en")} files`;
    let session: SparkSession | undefined;
    try {
      session = await autoSession(ctx, tree);
      const engine = autoBundleOf(session)!;
      await selectOne(session);
      const pyspark = await ctx.pyspark();
      const bytes = { ours: [] as number[], manual: [] as number[] };
      const samples = await interleaved(ctx.plan, {
        ours: async () => {
          writeProbe(tree.root, ctx.nextProbeValue());
          const before = engine.counters.bytes;
          const ms = await timed(() => engine.sync());
          bytes.ours.push(engine.counters.bytes - before);
          return ms;
        },
        manual: async () => {
          writeProbe(tree.root, ctx.nextProbeValue());
          const out = join(freshDir(ctx, "edit-"), `${tree.name}.zip`);
          const zipped = await run("zip", ["-qr", out, "."], { cwd: tree.root });
          const added = (await pyspark.request({ cmd: "add", path: out })).ms as number;
          bytes.manual.push(statSync(out).size);
          rmSync(out, { force: true });
          return zipped.ms + added;
        },
      });
      const rival = "zip -qr + pyspark addArtifacts";
      rows.push(
        makeRow({ id: `c.edit.${tree.name}.time`, section: "c", title, unit: "ms", better: "lower", ours: contender("spark-autobundle", samples.ours), rival: contender(rival, samples.manual) }),
        makeRow({ id: `c.edit.${tree.name}.bytes`, section: "c", title: `${title}: bytes uploaded`, unit: "bytes", better: "lower", ours: contender("spark-autobundle", bytes.ours.slice(-ctx.plan.runs)), rival: contender(rival, bytes.manual.slice(-ctx.plan.runs)) }),
      );
    } catch (err) {
      rows.push(errorRow(`c.edit.${tree.name}`, "c", title, err));
    } finally {
      await session?.stop();
    }
  }
  return rows;
}

export async function loopRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const tree of ctx.trees) {
    const title = `edit → UDF result, end to end, ${tree.files.toLocaleString("en")} files`;
    let session: SparkSession | undefined;
    try {
      session = await autoSession(ctx, tree);
      const probe = session.udf.python(`${PROBE_MODULE}:value`, "bigint");
      const s = session;
      const pyspark = await ctx.pyspark();
      const samples = await interleaved(ctx.plan, {
        ours: async () => {
          const value = ctx.nextProbeValue();
          writeProbe(tree.root, value);
          let got: unknown;
          const ms = await timed(async () => (got = (await s.range(1).select(probe(col("id")).alias("v")).collect())[0]!.v));
          if (got !== BigInt(value)) throw new Error(`the UDF returned ${String(got)} after the edit, expected ${value}: stale code ran`);
          return ms;
        },
        manual: async () => {
          const value = ctx.nextProbeValue();
          writeProbe(tree.root, value);
          return (await pyspark.request({ cmd: "loop", root: tree.root, module: PROBE_MODULE, fn: "value", expect: value })).ms as number;
        },
      });
      rows.push(makeRow({ id: `e.loop.${tree.name}`, section: "e", title, unit: "ms", better: "lower", ours: contender("spark-autobundle", samples.ours), rival: contender("pyspark: zipfile + addArtifacts + UDF", samples.manual) }));
    } catch (err) {
      rows.push(errorRow(`e.loop.${tree.name}`, "e", title, err));
    } finally {
      await session?.stop();
    }
  }
  return rows;
}
