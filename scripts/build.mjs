// Builds dist/: esbuild transpiles every source file (same layout as src/,
// so relative paths such as ../../package.json keep working), then tsc
// writes the declaration files.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { build } from "esbuild";
import fg from "fast-glob";

rmSync("dist", { recursive: true, force: true });
const entryPoints = await fg("src/**/*.ts", { ignore: ["**/*.d.ts"] });
await build({
  entryPoints,
  outdir: "dist",
  outbase: "src",
  format: "esm",
  platform: "node",
  target: "node20",
  // No source maps: they pointed stack frames at src/*.ts, which the package doesn't ship, and (with
  // the sources embedded) were 55% of the tarball. esbuild's output keeps the names and layout of the
  // source, unminified, so frames at dist/*.js are real files a user can open and read.
  sourcemap: false,
  logLevel: "warning",
});
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
console.log(`built ${entryPoints.length} modules into dist/`);
