// Shared by the watch tests: a tracker wired to real builds (no Spark), and waiting without timing asserts.
import { appendFileSync } from "node:fs";
import { buildBundle, type BundleResult } from "../../../src/bundle/archive/build.js";
import type { BundleEvent, WatchEvent } from "../../../src/bundle/events.js";
import { ChangeTracker } from "../../../src/bundle/watch/tracker.js";
import { python, tempDir } from "../helpers.js";

/** Polls `condition` until true; throws naming `what` after a generous limit (a hang guard, not an assertion on time). */
export async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

/** A small project with a package, an empty dir and a .gitignore, for watch and freshness tests. */
export const PROJECT = {
  "pyproject.toml": '[project]\nname = "proj"\n',
  "mylib/__init__.py": "",
  "mylib/core.py": "def f(x):\n    return x + 1\n",
  "mylib/empty/.keep": "",
  ".gitignore": "*.log\n",
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TrackedProject {
  tracker: ChangeTracker;
  events: Array<WatchEvent | BundleEvent>;
  updates: () => Extract<WatchEvent, { type: "watch-update" }>[];
  errors: () => Extract<WatchEvent, { type: "watch-error" }>[];
  /** What the engine's sync does, minus Spark: single-flight build through track(). */
  sync: () => Promise<BundleResult>;
  latest: () => BundleResult | undefined;
  cacheDir: string;
}

/** A ChangeTracker over `root` whose syncs are real builds; "uploads" count each new archive's bytes. */
export function trackProject(root: string, options: { watch?: boolean; cacheDir?: string } = {}): TrackedProject {
  const cacheDir = options.cacheDir ?? tempDir("sab-watch-cache-");
  const events: Array<WatchEvent | BundleEvent> = [];
  let inFlight: Promise<BundleResult> | undefined;
  let latest: BundleResult | undefined;
  let uploaded = 0;
  const build = async () => {
    const bundle = await buildBundle({ root, cacheDir, onEvent: (e) => events.push(e) });
    if (bundle.hash !== latest?.hash) uploaded += bundle.bytes;
    latest = bundle;
    return bundle;
  };
  const sync = () => (inFlight ??= tracker.track(build).finally(() => (inFlight = undefined)));
  const tracker: ChangeTracker = new ChangeTracker({
    scope: { root, cacheDir },
    projectName: "proj",
    watch: options.watch ?? true,
    sync,
    uploadedBytes: () => uploaded,
    onEvent: (e) => events.push(e),
  });
  return {
    tracker,
    events,
    updates: () => events.filter((e): e is Extract<WatchEvent, { type: "watch-update" }> => e.type === "watch-update"),
    errors: () => events.filter((e): e is Extract<WatchEvent, { type: "watch-error" }> => e.type === "watch-error"),
    sync,
    latest: () => latest,
    cacheDir,
  };
}

/** The text of one entry of a zip, read by Python's zipfile. */
export function zipText(zipPath: string, entry: string): string {
  return python("import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())", [zipPath, entry]);
}

/** Watch mode is clean again: no pending change, and the last build covers everything seen. */
export async function settled(project: TrackedProject): Promise<void> {
  await until(async () => (await project.tracker.unchanged()) && project.latest() !== undefined, "the watcher to settle");
}

/**
 * Waits until every fs event from writes made before this call was handled, then says whether any of
 * them set off a rebuild. `sentinel` is a file outside the bundle that existed at the last build: a
 * write to it is handled (counted) but never a reason to rebuild, and the watcher reads one event queue
 * in order, so once the tracker counted it, it had handled everything written before. No sleep guesses.
 */
export async function handledQuietly(project: TrackedProject, sentinel: string): Promise<boolean> {
  const before = project.tracker.stats.events;
  appendFileSync(sentinel, ".");
  await until(() => project.tracker.stats.events > before, `the write to ${sentinel} to be handled`);
  return !project.tracker.rebuildPending;
}
