// Where this package is installed, found from any of its modules: the built package bundles modules
// into shared chunks (scripts/build.mjs), so a path relative to one module's own file ("../../x") would
// depend on which chunk it landed in. The package root is the nearest directory up with a package.json.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The directory holding this package's package.json (the repository when running from src/). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  root = dir;
  return root;
}

/** This package's own code: <package>/src (from source) and <package>/dist (built), each with a trailing separator. */
export function ownCodeDirectories(): string[] {
  return [join(packageRoot(), "src") + sep, join(packageRoot(), "dist") + sep];
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/**
 * One of the package's own entry files by its source path ("bundle/spare/maker"): src/<path>.ts when
 * this module runs from source (tsx), dist/<path>.js once built.
 */
export function ownEntryFile(sourcePath: string): string {
  const fromSource = import.meta.url.endsWith(".ts");
  return join(packageRoot(), fromSource ? "src" : "dist", `${sourcePath}${fromSource ? ".ts" : ".js"}`);
}
