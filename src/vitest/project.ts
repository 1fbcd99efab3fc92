// From vitest's root to the bundled project: its root, its settings, and what to watch.
import { isAbsolute, relative, resolve, sep } from "node:path";
import fg from "fast-glob";
import { resolveBundleSettings } from "../bundle/project/config.js";
import { detectLayout } from "../bundle/project/layout.js";
import { selectFiles } from "../bundle/select/select.js";
import type { VitestBundleConfig } from "./options.js";

export interface VitestProject {
  /** Absolute project root the bundle is built from. */
  root: string;
  /** Settings from the options merged over package.json "sparkAutobundle", minus root. */
  bundleOptions: VitestBundleConfig;
}

/**
 * The bundle root for a vitest root: `bundle.root` resolved against the vitest root when given,
 * else the nearest project marker at or above the vitest root (so package.json "sparkAutobundle.root"
 * still applies). Never guessed from a stack.
 */
export function resolveVitestProject(vitestRoot: string, bundle: VitestBundleConfig = {}): VitestProject {
  const root = bundle.root === undefined ? undefined : resolve(vitestRoot, bundle.root);
  const resolved = resolveBundleSettings({ ...bundle, root, callerFile: root === undefined ? resolve(vitestRoot) : undefined });
  // Sessions get the root separately; functions and per-session switches do not travel to workers.
  const bundleOptions: Record<string, unknown> = { ...resolved.settings };
  for (const key of ["root", "callerFile", "onEvent", "extraEntries", "watch"]) delete bundleOptions[key];
  for (const [key, value] of Object.entries(bundleOptions)) if (value === undefined) delete bundleOptions[key];
  return { root: resolved.root, bundleOptions: bundleOptions as VitestBundleConfig };
}

export interface PythonWatchTargets {
  /** Globs (absolute, picomatch syntax) for vitest's forceRerunTriggers. */
  triggers: string[];
  /** Directories that must be watched for the triggers to fire: the project and its Python roots. */
  dirs: string[];
}

/**
 * What to watch so that editing bundled code re-runs the tests: every .py file under each Python
 * source root (new modules included), plus each bundled non-.py file (package data, `include` matches).
 * .py files are not in vite's module graph, so nothing else would notice them.
 */
export async function pythonWatchTargets(project: VitestProject): Promise<PythonWatchTargets> {
  const { root, bundleOptions } = project;
  const layout = detectLayout(root, bundleOptions.pythonRoots);
  // Size limits are the build's to report (with its own message); here they would only block vitest from starting.
  const files = await selectFiles(root, layout, {
    include: bundleOptions.include,
    exclude: bundleOptions.exclude,
    maxFileBytes: Number.POSITIVE_INFINITY,
    maxBundleBytes: Number.POSITIVE_INFINITY,
  });
  const rootDirs = layout.roots.map((r) => r.dir);
  const coveredByGlob = (path: string) => path.endsWith(".py") && rootDirs.some((dir) => isInside(dir, path));
  const triggers = [
    ...rootDirs.map((dir) => `${fg.convertPathToPattern(dir)}/**/*.py`),
    ...files.filter((f) => !coveredByGlob(f.absPath)).map((f) => fg.convertPathToPattern(f.absPath)),
  ];
  return { triggers: [...new Set(triggers)], dirs: [...new Set([root, ...rootDirs])] };
}

/** Whether `path` is `dir` or below it. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
