// Builds dist/: esbuild bundles the package's entry points (what package.json exports, the CLI, and the
// files started or loaded by path: the vitest globalSetup and the spare session maker), with the code
// they share in dist/chunks/; then tsc writes the declaration files, one per source file as before.
//
// Why bundle: Node loads an ES module per file, and resolving and reading ~140 small files was most of
// importing the package (issue 19: 330 ms → 215 ms measured side by side on this 2-core machine, with the
// dependencies still loaded from node_modules). Dependencies stay external: users dedupe them, and
// objects such as apache-arrow Tables keep one identity. Modules that need their own location use
// shared/package-root.ts, never a path relative to the file they ended up in.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const ENTRIES = ["index", "server/index", "vitest/index", "vitest/setup", "cli/main", "bundle/spare/maker"];
const pkg = JSON.parse(readFileSync("package.json", "utf8"));

rmSync("dist", { recursive: true, force: true });
const result = await build({
  entryPoints: ENTRIES.map((entry) => `src/${entry}.ts`),
  outdir: "dist",
  outbase: "src",
  entryNames: "[dir]/[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Every dependency (and anything the vitest integration imports from vitest itself) stays a bare import.
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), "vitest", "vitest/*", "vite"],
  // No source maps: they pointed stack frames at src/*.ts, which the package doesn't ship, and (with the
  // sources embedded) were most of the tarball. esbuild's output is unminified, keeps the names, and
  // marks each source file it holds (`// src/connect/errors.ts`), so a frame in dist/ is readable.
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
});
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
const outputs = Object.keys(result.metafile.outputs).filter((file) => file.endsWith(".js"));
const inputs = Object.keys(result.metafile.inputs).filter((file) => file.startsWith("src/"));
console.log(`built ${inputs.length} modules into ${outputs.length} files in dist/`);
