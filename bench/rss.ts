// f. Peak RSS while bundling the biggest tree, in a child that does nothing else; rival `zip -qr`.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freshDir, type BenchContext } from "./context.js";
import { interleaved, run } from "./measure.js";
import { contender, errorRow, makeRow, type Row } from "./report.js";
import type { BenchTree } from "./trees.js";

const CHILD = fileURLToPath(new URL("./rss-child.ts", import.meta.url));
const MiB = 1024 * 1024;

async function bundlePeak(ctx: BenchContext, tree: BenchTree): Promise<number> {
  const cacheDir = freshDir(ctx, "rss-cache-");
  // Same loader as this process (tsx), so the child runs the TypeScript sources too.
  const { stdout } = await run(process.execPath, [...process.execArgv, CHILD, tree.root, cacheDir]);
  rmSync(cacheDir, { recursive: true, force: true });
  return (JSON.parse(stdout.trim().split("\n").pop()!) as { maxRssBytes: number }).maxRssBytes / MiB;
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
 * The target "≤ 2× the largest file + a constant" needs a constant: the peak when bundling the
 * smallest tree (runtime, workers, buffers — everything that does not grow with the tree).
 */
export async function peakRssRows(ctx: BenchContext): Promise<Row[]> {
  const big = ctx.trees[ctx.trees.length - 1]!;
  const small = ctx.trees[0]!;
  const title = `peak RSS bundling ${big.files.toLocaleString("en")} files / ${big.bytes / 1e6} MB`;
  try {
    const samples = await interleaved(ctx.plan, {
      ours: () => bundlePeak(ctx, big),
      zip: () => zipPeak(ctx, big),
      constant: () => (big === small ? Promise.resolve(0) : bundlePeak(ctx, small)),
    });
    const ours = contender("spark-autobundle", samples.ours);
    const constant = contender("small tree", samples.constant).median ?? 0;
    const bound = constant + (2 * big.largest) / MiB;
    return [
      makeRow({
        id: `f.rss.${big.name}`,
        section: "f",
        title,
        unit: "MiB",
        better: "lower",
        ours,
        rival: contender("zip -qr", samples.zip),
        target: { text: `≤ ${bound.toFixed(0)} MiB (${small.name}-tree peak ${constant.toFixed(0)} + 2 × largest file ${(big.largest / MiB).toFixed(1)})`, met: ours.median === null ? null : ours.median <= bound },
      }),
    ];
  } catch (err) {
    return [errorRow(`f.rss.${big.name}`, "f", title, err)];
  }
}
