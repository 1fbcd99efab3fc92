// b. Cold bundle (scan, hash, zip into a fresh cache dir) vs `zip -qr` and Python's shutil.make_archive.
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildBundle } from "../src/bundle/archive/build.js";
import { freshDir, LIMITS, type BenchContext } from "./context.js";
import { interleaved, run, timed } from "./measure.js";
import { contender, errorRow, formatValue, makeRow, type Row } from "./report.js";

export async function coldBundleRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const tree of ctx.trees) {
    const title = `cold bundle, ${tree.files.toLocaleString("en")} files / ${tree.bytes / 1e6} MB`;
    try {
      const sizes = { ours: 0, zip: 0, python: 0 };
      const samples = await interleaved(ctx.plan, {
        ours: async () => {
          const cacheDir = freshDir(ctx, "cache-");
          const ms = await timed(async () => (sizes.ours = (await buildBundle({ root: tree.root, cacheDir, ...LIMITS })).bytes));
          rmSync(cacheDir, { recursive: true, force: true });
          return ms;
        },
        zip: async () => {
          const out = join(ctx.work, `info-zip-${tree.name}.zip`);
          rmSync(out, { force: true }); // zip -r adds to an existing archive
          const { ms } = await run("zip", ["-qr", out, "."], { cwd: tree.root });
          sizes.zip = statSync(out).size;
          return ms;
        },
        python: async () => {
          const base = join(ctx.work, `make-archive-${tree.name}`);
          const { ms } = await run(ctx.python, ["-c", "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2])", base, tree.root]);
          sizes.python = statSync(`${base}.zip`).size;
          return ms;
        },
      });
      const ours = contender("spark-autobundle", samples.ours);
      const size = (n: number) => formatValue(n, "bytes");
      rows.push(
        makeRow({ id: `b.cold.${tree.name}.zip`, section: "b", title, unit: "ms", better: "lower", ours, rival: contender("zip -qr", samples.zip), targetRatio: 1.5, note: `archive ${size(sizes.ours)} vs ${size(sizes.zip)}` }),
        makeRow({ id: `b.cold.${tree.name}.python`, section: "b", title, unit: "ms", better: "lower", ours, rival: contender("shutil.make_archive", samples.python), note: `archive ${size(sizes.ours)} vs ${size(sizes.python)}` }),
      );
    } catch (err) {
      rows.push(errorRow(`b.cold.${tree.name}`, "b", title, err));
    }
  }
  return rows;
}
