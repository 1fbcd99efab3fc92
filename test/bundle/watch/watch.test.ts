// Watch mode without Spark: the tracker over a real chokidar watcher with real builds. Waits poll
// for a state; nothing asserts on elapsed time.
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildBundle, type BundleResult } from "../../../src/bundle/archive/build.js";
import { RACY_WINDOW_MS } from "../../../src/bundle/watch/freshness.js";
import { BundleError } from "../../../src/bundle/errors.js";
import { ChangeTracker } from "../../../src/bundle/watch/tracker.js";
import { git, makeTree, REPO_ROOT, tempDir } from "../helpers.js";
import { handledQuietly, PROJECT, settled, sleep, trackProject, until, zipText, type TrackedProject } from "./helpers.js";
import { settleFsEvents } from "../../../src/bundle/watch/watcher.js";

describe("watch mode over a real tree", () => {
  const open: ChangeTracker[] = [];
  afterEach(async () => {
    for (const tracker of open.splice(0)) await tracker.close();
  });
  const watched = (root: string, options?: { cacheDir?: string }) => {
    const project = trackProject(root, options);
    open.push(project.tracker);
    return project;
  };
  const syncs = (p: TrackedProject) => p.tracker.stats.syncs;
  const core = (p: TrackedProject) => zipText(p.latest()!.zipPath, "mylib/core.py");

  it("builds in the background once ready, then once per edit, with one summary line each", async () => {
    const root = makeTree(PROJECT);
    const p = watched(root);
    await until(() => p.updates().length === 1, "the first background build");
    await settled(p);
    const first = p.updates()[0]!;
    expect(first).toMatchObject({ type: "watch-update", project: "proj", fromHash: undefined, toHash: p.latest()!.hash, filesChanged: p.latest()!.files });
    expect(first.line).toMatch(new RegExp(`^spark-autobundle: proj ${first.toHash.slice(0, 6)} \\(${first.filesChanged} files\\) uploaded \\d+(\\.\\d)? (B|KiB) in \\d+ ms$`));

    writeFileSync(join(root, "mylib/core.py"), "def f(x):\n    return x + 100\n");
    await until(() => p.updates().length === 2, "a rebuild after the edit");
    const update = p.updates()[1]!;
    expect(update).toMatchObject({ fromHash: p.updates()[0]!.toHash, toHash: p.latest()!.hash, filesChanged: 1 });
    expect(update.line).toMatch(new RegExp(`^spark-autobundle: proj ${update.fromHash!.slice(0, 6)}→${update.toHash.slice(0, 6)} \\(1 file changed\\) uploaded .+ in \\d+ ms$`));
    expect(core(p)).toContain("x + 100");
    expect(p.errors()).toEqual([]);
  });

  it("never vouches for the old bundle right after a write, before any event was handled", async () => {
    const root = makeTree(PROJECT);
    const p = watched(root);
    await settled(p);
    for (let i = 0; i < 25; i++) {
      writeFileSync(join(root, i % 2 ? "mylib/core.py" : "mylib/other.py"), `V = ${i}\n`);
      expect(await p.tracker.unchanged()).toBe(false);
      await settled(p);
    }
  });

  it("rebuilds at most twice for a burst of 50 edits, and ends with the last one", async () => {
    const root = makeTree(PROJECT);
    const p = watched(root);
    await settled(p);
    const before = syncs(p);
    for (let i = 0; i < 50; i++) {
      appendFileSync(join(root, "mylib/core.py"), `# edit ${i}\n`); // growing: never the same size twice
      await sleep(2); // spread over event-loop turns, as a formatter or a save-all would
    }
    await settled(p);
    expect(syncs(p) - before).toBeGreaterThanOrEqual(1);
    expect(syncs(p) - before).toBeLessThanOrEqual(2);
    expect(core(p)).toContain("# edit 49");
  });

  it("sees editors' saves (atomic rename, vim's backup dance) and ignores their swap files", async () => {
    const root = makeTree({ ...PROJECT, "app.log": "" });
    const p = watched(root);
    await settled(p);
    const file = join(root, "mylib/core.py");
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(root, "mylib/.core.py.tmp123"), `A = ${i}\n`);
      renameSync(join(root, "mylib/.core.py.tmp123"), file);
      await settled(p);
      expect(core(p)).toBe(`A = ${i}\n`);
    }
    writeFileSync(join(root, "mylib/4913"), "");
    unlinkSync(join(root, "mylib/4913"));
    renameSync(file, `${file}~`);
    writeFileSync(file, "VIM = 1\n");
    unlinkSync(`${file}~`);
    await settled(p);
    expect(core(p)).toBe("VIM = 1\n");

    const quiet = syncs(p);
    for (let i = 0; i < 5; i++) writeFileSync(join(root, "mylib/.core.py.swp"), `swap ${i}`);
    unlinkSync(join(root, "mylib/.core.py.swp"));
    expect(await handledQuietly(p, join(root, "app.log"))).toBe(true);
    expect(syncs(p)).toBe(quiet);
  });

  it("never reacts to its own cache inside the project, node_modules or .git internals, but does to .git/info/exclude", async () => {
    const root = makeTree({ ...PROJECT, "node_modules/dep/index.js": "x", "app.log": "" });
    git(root, "init", "-q");
    const p = watched(root, { cacheDir: join(root, ".sab-cache") });
    await settled(p);
    writeFileSync(join(root, "mylib/core.py"), "V = 2\n"); // the build writes a zip and a stat cache into .sab-cache
    await settled(p);
    const quiet = syncs(p);
    writeFileSync(join(root, "node_modules/dep/index.js"), "y");
    git(root, "add", "-A"); // rewrites .git/index
    writeFileSync(join(root, ".sab-cache/junk.tmp"), "z");
    expect(await handledQuietly(p, join(root, "app.log"))).toBe(true);
    expect(syncs(p)).toBe(quiet);

    writeFileSync(join(root, ".git/info/exclude"), "mylib/core.py\n");
    await until(() => syncs(p) > quiet, "a rebuild after .git/info/exclude changed");
  });

  it("does not rebuild for writes to files outside the bundle (a log), only for their creation", async () => {
    const root = makeTree(PROJECT);
    const p = watched(root);
    await settled(p);
    const quiet = syncs(p);
    writeFileSync(join(root, "app.log"), "start\n"); // new: the selection may change (it does not)
    await settled(p);
    expect(syncs(p)).toBe(quiet + 1);
    for (let i = 0; i < 20; i++) appendFileSync(join(root, "app.log"), `line ${i}\n`);
    writeFileSync(join(root, "mylib/empty/.keep"), "bundled data, so it counts\n");
    await settled(p);
    expect(syncs(p)).toBe(quiet + 2); // the .keep edit; the log lines alone would have been nothing
    for (let i = 0; i < 20; i++) appendFileSync(join(root, "app.log"), `more ${i}\n`);
    expect(await handledQuietly(p, join(root, "app.log"))).toBe(true);
    expect(syncs(p)).toBe(quiet + 2);
    expect(await p.tracker.unchanged()).toBe(true);
  });

  it("reports a failed background rebuild as a watch-error line (never an unhandled rejection), then recovers", async () => {
    const root = makeTree(PROJECT);
    const p = watched(root);
    await settled(p);
    writeFileSync(join(root, "pyproject.toml"), "[project\nname = \n");
    await until(() => p.errors().length === 1, "a watch-error for the broken pyproject.toml");
    expect(p.errors()[0]!.error).toBeInstanceOf(BundleError);
    expect(p.errors()[0]!.line).toMatch(/^spark-autobundle: watch: Cannot read .*pyproject\.toml: .*Fix the TOML/);
    await expect(p.sync()).rejects.toThrow(/pyproject\.toml/);

    const seen = p.updates().length;
    writeFileSync(join(root, "pyproject.toml"), '[project]\nname = "proj"\n');
    writeFileSync(join(root, "mylib/core.py"), "FIXED = 1\n");
    await until(() => p.updates().length > seen, "an update once the file is fixed");
    expect(core(p)).toBe("FIXED = 1\n");
  });

  it("writes its one-line summaries to stderr when no onEvent is given", async () => {
    const root = makeTree(PROJECT);
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const cacheDir = tempDir();
      let inFlight: Promise<BundleResult> | undefined;
      const tracker: ChangeTracker = new ChangeTracker({
        scope: { root, cacheDir },
        projectName: "quiet",
        watch: true,
        sync: () => (inFlight ??= tracker.track(() => buildBundle({ root, cacheDir })).finally(() => (inFlight = undefined))),
        uploadedBytes: () => 0,
        onEvent: undefined,
      });
      open.push(tracker);
      await until(() => written.length > 0, "a line on stderr");
      expect(written).toEqual([expect.stringMatching(/^spark-autobundle: quiet [0-9a-f]{6} \(\d+ files\) already on the server \(\d+ ms\)\n$/)]);
    } finally {
      spy.mockRestore();
    }
  });

  it("survives its root being deleted: the next sync names the cause, and it recovers when the root is back", async () => {
    const parent = tempDir();
    const root = join(parent, "proj");
    cpSync(makeTree(PROJECT), root, { recursive: true });
    const p = watched(root);
    await settled(p);
    const saved = join(parent, "saved");
    cpSync(root, saved, { recursive: true });
    rmSync(root, { recursive: true });
    await until(() => p.errors().length > 0, "a watch-error about the missing root");
    expect(p.errors()[0]!.line).toMatch(/^spark-autobundle: watch: The project root .*proj no longer exists.*Fix: restore it/);
    const err = await p.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe("ROOT_NOT_FOUND");

    renameSync(saved, root); // back, as a new directory: the old watch is dead
    await p.sync();
    writeFileSync(join(root, "mylib/core.py"), "BACK = 1\n");
    await until(() => p.latest() !== undefined && core(p) === "BACK = 1\n", "a rebuild from the new watcher");
  });

  it("stops on close(): no more background builds, and jobs fall back to checking the tree", async () => {
    const root = makeTree(PROJECT);
    const p = watched(root);
    await settled(p);
    await p.tracker.close();
    await sleep(RACY_WINDOW_MS + 100); // so the next fingerprint can vouch for the tree
    await p.sync();
    const quiet = syncs(p);
    expect(await p.tracker.unchanged()).toBe(true);
    const handled = p.tracker.stats.events;
    writeFileSync(join(root, "mylib/core.py"), "AFTER = 1\n");
    // The watcher is closed, so no event can arrive: give any that were queued two event-loop turns.
    await settleFsEvents();
    expect(p.tracker.stats.events).toBe(handled);
    expect(p.tracker.rebuildPending).toBe(false);
    expect(syncs(p)).toBe(quiet);
    expect(await p.tracker.unchanged()).toBe(false);
  });

  it("does not keep the process alive, even with a rebuild pending", () => {
    const dir = tempDir();
    const root = makeTree(PROJECT);
    const script = join(dir, "watch-and-leave.mts");
    writeFileSync(
      script,
      `import { writeFileSync } from "node:fs";
import { ChangeTracker } from ${JSON.stringify(join(REPO_ROOT, "src/bundle/watch/tracker.ts"))};
const root = ${JSON.stringify(root)};
const tracker = new ChangeTracker({ scope: { root, cacheDir: ${JSON.stringify(join(dir, "cache"))} }, projectName: "p", watch: true,
  sync: () => new Promise(() => {}), uploadedBytes: () => 0, onEvent: () => {} });
setTimeout(() => { writeFileSync(root + "/mylib/core.py", "X = 1\\n"); console.log("wrote"); }, 300);
`,
    );
    const run = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    expect(run.error).toBeUndefined();
    expect([run.status, run.stdout.trim()]).toEqual([0, "wrote"]);
  });
});
