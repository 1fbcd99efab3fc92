// Watch mode on a real Spark Connect server: background rebuild + upload, jobs that find the bundle
// already there, bursts, deleted roots and renamed packages, stop(), and process lifetime.
// Assertions use counters and events, never elapsed time.
import { spawnSync } from "node:child_process";
import { appendFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { autoBundleOf, BundleError, lit, SparkConnectError, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../../src/index.js";
import { RACY_WINDOW_MS } from "../../../src/bundle/watch/freshness.js";
import { copyFixture, REPO_ROOT, tempDir } from "../helpers.js";
import { sleep, until } from "./helpers.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function watched(root: string, events: AutoBundleEvent[]) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-"), watch: true, onEvent: (e) => events.push(e) });
  sessions.push(s);
  return s;
}

const one = async (s: SparkSession, f: ReturnType<SparkSession["udf"]["python"]>, ...args: unknown[]) => {
  const [row] = await s.range(1).select(f(...args.map((a) => lit(a))).alias("v")).collect();
  return row!.v;
};

const updates = (events: AutoBundleEvent[]) => events.filter((e): e is Extract<AutoBundleEvent, { type: "watch-update" }> => e.type === "watch-update");
const watchErrors = (events: AutoBundleEvent[]) => events.filter((e): e is Extract<AutoBundleEvent, { type: "watch-error" }> => e.type === "watch-error");
/** Rewrites text.py with normalize returning `body` (slug stays: the package's __init__ imports it). */
const setNormalize = (root: string, body: string) =>
  writeFileSync(join(root, "src/textkit/text.py"), `def normalize(s):\n    return ${body}\n\n\ndef slug(s):\n    return s\n`);

describe("watch mode on a real server", () => {
  it("uploads edits in the background, so the next job neither rebuilds nor uploads", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = await watched(root, events);
    await until(() => updates(events).length === 1, "the first background upload");
    expect(updates(events)[0]!.line).toMatch(/^spark-autobundle: textkit [0-9a-f]{6} \(\d+ files\) uploaded .+ in \d+ ms$/);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    expect(await one(s, normalize, " A  B ")).toBe("a b");

    setNormalize(root, "'v2:' + s.strip()");
    await until(() => updates(events).length === 2, "a background update after the edit");
    const update = updates(events)[1]!;
    expect(update).toMatchObject({ project: "textkit", fromHash: updates(events)[0]!.toHash, filesChanged: 1 });
    expect(update.bytes).toBeGreaterThan(0);
    const engine = autoBundleOf(s)!;
    const counters = { ...engine.counters };
    const syncs = engine.syncStats.syncs;
    expect(await one(s, normalize, " A  B ")).toBe("v2:A  B");
    expect(engine.counters).toEqual(counters); // nothing sent at job time
    expect(engine.syncStats.syncs).toBe(syncs); // nothing rebuilt at job time
    expect(engine.current!.hash).toBe(update.toHash);
    expect(watchErrors(events)).toEqual([]);
  });

  it("runs the code written just before the job, before any fs event was handled", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = await watched(root, events);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    for (let i = 0; i < 4; i++) {
      setNormalize(root, `'r${i}'`);
      expect(await one(s, normalize, "x")).toBe(`r${i}`);
    }
  });

  it("rebuilds at most twice for a burst of 50 edits, and the next job runs the last one", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = await watched(root, events);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    expect(await one(s, normalize, " Q ")).toBe("q");
    await until(() => updates(events).length >= 1, "the first background update");
    const engine = autoBundleOf(s)!;
    const [syncs, seen] = [engine.syncStats.syncs, updates(events).length];
    for (let i = 0; i < 50; i++) {
      setNormalize(root, `'burst ${i}'`);
      await sleep(2);
    }
    await until(() => updates(events).length > seen, "a background update after the burst");
    expect(await one(s, normalize, "x")).toBe("burst 49");
    expect(engine.syncStats.syncs - syncs).toBeGreaterThanOrEqual(1);
    expect(engine.syncStats.syncs - syncs).toBeLessThanOrEqual(2);
  });

  it("survives the project directory being deleted; the next job says what happened", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = await watched(root, events);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    expect(await one(s, normalize, " Z ")).toBe("z");
    rmSync(root, { recursive: true });
    await until(() => watchErrors(events).length > 0, "a watch-error for the deleted root");
    const err = await one(s, normalize, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/The project root .*srclayout no longer exists.*Fix: restore it/);
  });

  it("after a package is renamed, the next job names the module it cannot import", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = await watched(root, events);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    expect(await one(s, normalize, " Y ")).toBe("y");
    const seen = updates(events).length;
    renameSync(join(root, "src/textkit"), join(root, "src/textkit2"));
    await until(() => updates(events).length > seen, "a background update after the rename");
    const err = await one(s, normalize, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("cannot import 'textkit.text'");
    expect(watchErrors(events)).toEqual([]);
  });

  it("stops watching on spark.stop()", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = await watched(root, events);
    await until(() => updates(events).length === 1, "the first background upload");
    const engine = autoBundleOf(s)!;
    await s.stop();
    const syncs = engine.syncStats.syncs;
    setNormalize(root, "'after stop'");
    await sleep(600); // a live watcher would have started a rebuild after 100 ms
    expect(engine.syncStats.syncs).toBe(syncs);
    expect(watchErrors(events)).toEqual([]);
  });

  it("close() stops the watcher, and jobs still see edits by checking the tree themselves", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = await watched(root, events);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    expect(await one(s, normalize, " C ")).toBe("c");
    const engine = autoBundleOf(s)!;
    await engine.close();
    const [syncs, seen] = [engine.syncStats.syncs, updates(events).length];
    appendFileSync(join(root, "src/textkit/text.py"), "\n\ndef normalize(s):\n    return 'closed'\n");
    await sleep(600);
    expect(engine.syncStats.syncs).toBe(syncs);
    expect(await one(s, normalize, "x")).toBe("closed");
    expect(updates(events).length).toBe(seen); // no watch lines once closed
  });

  it("without watch, a job on an unchanged tree scans nothing, and still sees an edit that keeps size and mtime", async () => {
    const root = copyFixture("srclayout");
    const events: AutoBundleEvent[] = [];
    const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-"), onEvent: (e) => events.push(e) });
    sessions.push(s);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    setNormalize(root, "'one'");
    await sleep(RACY_WINDOW_MS + 100); // older than the racy window, so the fingerprint can vouch for it
    expect(await one(s, normalize, "x")).toBe("one");
    const scans = () => events.filter((e) => e.type === "scan").length;
    const engine = autoBundleOf(s)!;
    const [before, syncs] = [scans(), engine.syncStats.syncs];
    expect(await one(s, normalize, "x")).toBe("one");
    await s.range(2).count();
    expect([scans(), engine.syncStats.syncs]).toEqual([before, syncs]); // the fast path: no listing, no hashing

    const file = join(root, "src/textkit/text.py");
    const ref = join(tempDir(), "ref");
    writeFileSync(ref, "");
    spawnSync("touch", ["-r", file, ref]);
    setNormalize(root, "'two'"); // same length as 'one'
    spawnSync("touch", ["-r", ref, file]);
    expect(await one(s, normalize, "x")).toBe("two");
    expect(engine.syncStats.syncs).toBe(syncs + 1);
  });

  it("does not keep the process alive: a script that never stops its session exits by itself", () => {
    const root = copyFixture("srclayout");
    const script = join(tempDir(), "watch-and-leave.mts");
    writeFileSync(
      script,
      `import { writeFileSync } from "node:fs";
import { lit, SparkSession, withAutoBundle } from ${JSON.stringify(join(REPO_ROOT, "src/index.ts"))};
const root = ${JSON.stringify(root)};
const s = withAutoBundle(await SparkSession.builder().remote(${JSON.stringify(inject("sparkRemote"))}).create(), { root, cacheDir: ${JSON.stringify(tempDir())}, watch: true, onEvent: () => {} });
const [row] = await s.range(1).select(s.udf.python("textkit.text:normalize", "string")(lit(" Done ")).alias("v")).collect();
writeFileSync(root + "/src/textkit/text.py", "def normalize(s):\\n    return s\\n"); // leaves a rebuild pending
console.log(row.v);
`,
    );
    const run = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 90_000 });
    expect(run.error).toBeUndefined();
    expect([run.status, run.stdout.trim(), run.stderr.includes("Error")]).toEqual([0, "done", false]);
  });
});
