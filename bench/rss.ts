// f. Peak RSS while bundling the biggest tree, in a child that does nothing else; rival `zip -qr`.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freshDir, type BenchContext } from "./context.js";
import { interleaved, median, run } from "./measure.js";
import { contender, errorRow, makeRow, type Row } from "./report.js";
import type { BenchTree } from "./trees.js";

const CHILD = fileURLToPath(new URL("./rss-child.ts", import.meta.url));
const MiB = 1024 * 1024;

interface ChildPeak {
  maxRssBytes: number;
  stages: { imported: number; scanned: number };
}

async function bundlePeak(ctx: BenchContext, root: string, stages?: ChildPeak["stages"][]): Promise<number> {
  const cacheDir = freshDir(ctx, "rss-cache-");
  // Same loader as this process (tsx), so the child runs the TypeScript sources too.
  const { stdout } = await run(process.execPath, [...process.execArgv, CHILD, root, cacheDir]);
  rmSync(cacheDir, { recursive: true, force: true });
  const peak = JSON.parse(stdout.trim().split("\n").pop()!) as ChildPeak;
  stages?.push(peak.stages);
  return peak.maxRssBytes / MiB;
}

/** The smallest bundle there is: one module. Its peak is the runtime, the library and one compression worker. */
function trivialTree(ctx: BenchContext): string {
  const root = freshDir(ctx, "rss-trivial-");
  mkdirSync(join(root, "trivial"));
  writeFileSync(join(root, "trivial", "__init__.py"), "VALUE = 1\n");
  return root;
}

async function zipPeak(ctx: BenchContext, tree: BenchTree): Promise<number> {
  const out = join(ctx.work, `rss-${tree.name}.zip`);
  rmSync(out, { force: true });
  const { stderr } = await run("/usr/bin/time", ["-f", "maxrss=%M", "zip", "-qr", out, "."], { cwd: tree.root });
  const kib = /maxrss=(\d+)/.exec(stderr)?.[1];
  if (kib === undefined) throw new Error(`/usr/bin/time printed no maxrss: ${stderr.slice(-300)}`);
  return Number(kib) / 1024;
}

/**
 * The target "≤ 2× the largest file + a constant" needs a constant: the peak of bundling a trivial
 * tree in the same kind of child (runtime, tsx, the library, one compression worker), which is
 * everything that does not grow with the tree. The stages say where the rest goes.
 */
export async function peakRssRows(ctx: BenchContext): Promise<Row[]> {
  const big = ctx.trees[ctx.trees.length - 1]!;
  const title = `peak RSS bundling ${big.files.toLocaleString("en")} files / ${big.bytes / 1e6} MB`;
  try {
    const trivial = trivialTree(ctx);
    const stages: ChildPeak["stages"][] = [];
    const samples = await interleaved(ctx.plan, {
      ours: () => bundlePeak(ctx, big.root, stages),
      zip: () => zipPeak(ctx, big),
      constant: () => bundlePeak(ctx, trivial),
    });
    const ours = contender("spark-autobundle", samples.ours);
    const constant = contender("trivial bundle", samples.constant).median ?? 0;
    const bound = constant + (2 * big.largest) / MiB;
    const stage = (key: keyof ChildPeak["stages"]) => (median(stages.slice(-ctx.plan.runs).map((s) => s[key] / MiB)) ?? 0).toFixed(0);
    return [
      makeRow({
        id: `f.rss.${big.name}`,
        section: "f",
        title,
        unit: "MiB",
        better: "lower",
        ours,
        rival: contender("zip -qr", samples.zip),
        target: { text: `≤ ${bound.toFixed(0)} MiB (trivial-bundle peak ${constant.toFixed(0)} + 2 × largest file ${(big.largest / MiB).toFixed(1)})`, met: ours.median === null ? null : ours.median <= bound },
        note: `peak after import ${stage("imported")} MiB, after select + hash ${stage("scanned")} MiB`,
      }),
    ];
  } catch (err) {
    return [errorRow(`f.rss.${big.name}`, "f", title, err)];
  }
}
