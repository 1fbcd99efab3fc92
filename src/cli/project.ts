// Which project a verb works on: --root, else discovery from the working directory, as jobs do.
import { resolve } from "node:path";
import { resolveBundleSettings } from "../bundle/project/config.js";
import { defaultCacheDir } from "../bundle/archive/cache.js";
import type { BundleOptions } from "../bundle/options.js";
import type { CliContext } from "./command.js";

export interface CliProject {
  root: string;
  /** The settings a build of this root uses (package.json "sparkAutobundle" merged with CLI options). */
  settings: BundleOptions;
  cacheDir: string;
}

/**
 * The root is found the way withAutoBundle finds it (walking up from the cwd instead of the calling
 * file); the settings are then read the way the engine's builds read them, from that root.
 */
export function resolveProject(values: { root?: string; "cache-dir"?: string }, context: CliContext): CliProject {
  const found = values.root !== undefined ? { root: resolve(context.cwd, values.root) } : { callerFile: context.cwd };
  const { root } = resolveBundleSettings(found);
  const cacheDirFlag = values["cache-dir"] !== undefined ? resolve(context.cwd, values["cache-dir"]) : undefined;
  const { settings } = resolveBundleSettings({ root, cacheDir: cacheDirFlag });
  return { root, settings, cacheDir: settings.cacheDir ?? defaultCacheDir(context.env) };
}
