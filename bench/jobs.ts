// a. Per-job overhead with nothing changed; c. one-file edit → next job ready; e. edit → result loop.
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
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

async function autoSession(ctx: BenchContext, tree: BenchTree, extra: Partial<AutoBundleOptions> = {}): Promise<SparkSession> {
  const server = await ctx.server();
  const options = { root: tree.root, cacheDir: freshDir(ctx, "session-cache-"), ...LIMITS, ...extra } as AutoBundleOptions;
  return withAutoBundle(await SparkSession.builder().remote(server.url).create(), options);
}

const selectOne = async (s: SparkSession) => (await s.sql("SELECT 1")).collect();

export async function overheadRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const watch = watchSupported();
  for (const tree of ctx.trees) {
    const title = `per-job overhead, nothing changed, ${tree.files.toLocaleString("en")} files`;
    const sessions: SparkSession[] = [];
    try {
      const server = await ctx.server();
      const plain = await SparkSession.builder().remote(server.url).create();
      sessions.push(plain);
      const auto = await autoSession(ctx, tree);
      sessions.push(auto);
      const watched = await autoSession(ctx, tree, { watch: true } as Partial<AutoBundleOptions>);
      sessions.push(watched);
      for (const s of sessions) await selectOne(s); // first job: build + upload, not measured
      const samples = await interleaved(ctx.plan, {
        plain: () => timed(() => selectOne(plain)),
        auto: () => timed(() => selectOne(auto)),
        watched: () => timed(() => selectOne(watched)),
      });
      const rival = contender("plain session", samples.plain);
      const overhead = (ms: number[]) => `overhead ${formatValue((contender("", ms).median ?? 0) - (rival.median ?? 0), "ms")}`;
      rows.push(
        makeRow({ id: `a.overhead.${tree.name}`, section: "a", title: `${title} (SELECT 1 + collect)`, unit: "ms", better: "lower", ours: contender("withAutoBundle", samples.auto), rival, note: overhead(samples.auto) }),
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
      );
    } catch (err) {
      rows.push(errorRow(`a.overhead.${tree.name}`, "a", title, err));
    } finally {
      for (const s of sessions) await s.stop();
    }
  }
  return rows;
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
