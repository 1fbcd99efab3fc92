// The vitest plugin: wires the globalSetup and makes `vitest --watch` re-run on Python edits.
import { resolve } from "node:path";
import { configDefaults, type Plugin } from "vitest/config";
import { ownEntryFile } from "../shared/package-root.js";
import { OPTIONS_KEY, validateVitestOptions, type SparkVitestOptions } from "./options.js";
import { isInside, pythonWatchTargets, resolveVitestProject, type PythonWatchTargets } from "./project.js";

/** The globalSetup module (src/vitest/setup.ts from source, dist/vitest/setup.js once built). */
export const sparkGlobalSetup = ownEntryFile("vitest/setup");

/** testTimeout unless the config sets one. */
export const DEFAULT_TEST_TIMEOUT_MS = 60_000;

/**
 * `plugins: [sparkAutobundle(options?)]` in vitest.config.ts. It adds the globalSetup (server +
 * bundle, once per run) and, unless `watch: false`, adds the bundled Python files to
 * test.forceRerunTriggers, so editing one re-runs the tests under `vitest --watch`. It raises
 * testTimeout to 60 s unless the config sets one.
 */
export function sparkAutobundle(options: SparkVitestOptions = {}): Plugin {
  const checked = validateVitestOptions(options);
  let targets: PythonWatchTargets | undefined;
  return {
    name: "spark-autobundle",
    async config(config) {
      // A Spark job with a fresh Python worker easily outlasts vitest's 5 s default.
      const testTimeout = config.test?.testTimeout ?? DEFAULT_TEST_TIMEOUT_MS;
      const test = { globalSetup: [sparkGlobalSetup], provide: { [OPTIONS_KEY]: checked }, testTimeout };
      if (checked.watch === false) return { test };
      const vitestRoot = resolve(config.test?.root ?? config.root ?? process.cwd());
      targets = await pythonWatchTargets(resolveVitestProject(vitestRoot, checked.bundle));
      // Setting the list replaces vitest's defaults (package.json, vitest.config) unless the user set their own.
      const defaults = config.test?.forceRerunTriggers === undefined ? configDefaults.forceRerunTriggers : [];
      return { test: { ...test, forceRerunTriggers: [...defaults, ...targets.triggers] } };
    },
    configureVitest({ vitest }) {
      // vite watches its root; Python roots elsewhere (a monorepo's python/ beside web/) must be added.
      if (!vitest.config.watch || targets === undefined) return;
      const outside = targets.dirs.filter((dir) => !isInside(vitest.config.root, dir));
      if (outside.length > 0) vitest.vite.watcher.add(outside);
    },
  };
}
