// The archive a session receives: the project files plus the per-bundle loader module.
import { buildBundle, projectNameOf, type BundleResult } from "../bundle/build.js";
import { topLevelNames } from "../bundle/hook.js";
import { loaderModuleName, loaderSource } from "../bundle/loader.js";
import type { BundleOptions } from "../bundle/options.js";

/**
 * Builds (or finds in the cache) the same archive the session engine (AutoBundle.syncOnce in
 * src/bundle/hook.ts) uploads, so `bundle` prints the cache path `push` sends. Mirrors its
 * extraEntries; test/cli/push.spark.test.ts fails if the two drift apart.
 */
export function buildSessionBundle(options: BundleOptions & { root: string }): Promise<BundleResult> {
  const projectName = projectNameOf(options.root);
  return buildBundle({
    ...options,
    extraEntries: (hash12, zipPaths) => [
      {
        zipPath: `${loaderModuleName(hash12)}.py`,
        content: Buffer.from(loaderSource({ projectName, hash12, topLevelNames: topLevelNames(zipPaths) })),
      },
    ],
  });
}
