// The archive a session receives: the project files plus the per-bundle loader module.
import { buildBundle, type BundleResult } from "../bundle/archive/build.js";
import { projectNameOf } from "../bundle/project/config.js";
import { loaderEntries } from "../bundle/worker/loader.js";
import type { BundleOptions } from "../bundle/options.js";

/** Builds (or finds in the cache) the same full archive the session engine uploads, so `bundle` prints the path `push` sends. */
export function buildSessionBundle(options: BundleOptions & { root: string }): Promise<BundleResult> {
  return buildBundle({ ...options, extraEntries: loaderEntries(projectNameOf(options.root)) });
}
