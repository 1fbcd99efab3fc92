// The per-job freshness check on two threads: what it observes must be what a plain stat sees, for
// every entry whichever thread took it, and a change anywhere in a large tree must still be found.
import { appendFileSync, lstatSync, mkdirSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Fingerprint, RACY_WINDOW_MS } from "../../../src/bundle/watch/freshness.js";
import { OBSERVED, OBSERVED_ERROR, OBSERVED_MISSING, OBSERVED_OK, PARALLEL_MIN_ENTRIES, ParallelStat } from "../../../src/bundle/archive/stat-helper.js";
import { tempDir } from "../helpers.js";
import { sleep } from "../watch/helpers.js";

/** `count` modules in packages of 50, so the set is well over PARALLEL_MIN_ENTRIES. */
function bigTree(count: number): { root: string; files: string[] } {
  const root = tempDir();
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = join(root, `pkg${Math.floor(i / 50)}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `mod${i}.py`);
    writeFileSync(file, `X = ${i}\n`);
    files.push(file);
  }
  return { root, files };
}

/** What observeAll must report for one entry, taken with a plain stat. */
function expected(path: string, follow: boolean): number[] {
  let s;
  try {
    s = follow ? statSync(path, { throwIfNoEntry: false }) : lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    return [OBSERVED_ERROR];
  }
  if (s === undefined) return [OBSERVED_MISSING];
  return [OBSERVED_OK, s.isSymbolicLink() ? 3 : s.isDirectory() ? 2 : 1, s.size, s.mtimeMs, s.ctimeMs, s.ino];
}

function observedAt(all: Float64Array, i: number): number[] {
  const row = [...all.subarray(i * OBSERVED, (i + 1) * OBSERVED)];
  return row[0] === OBSERVED_OK ? row : [row[0]!];
}

describe("ParallelStat", () => {
  it("observes every entry as stat/lstat does: files, dirs, missing paths, followed links, ENOTDIR", () => {
    const { root, files } = bigTree(PARALLEL_MIN_ENTRIES * 2);
    symlinkSync(files[0]!, join(root, "link.py"));
    const paths = [root, ...files, join(root, "link.py"), join(root, "link.py"), join(root, "gone.py"), join(files[1]!, "under-a-file")];
    const followed = new Uint8Array(paths.length);
    followed[paths.length - 3] = 1; // the second link.py entry is its target
    const stat = new ParallelStat(paths, followed);
    for (let round = 0; round < 5; round++) {
      const all = stat.observeAll();
      paths.forEach((path, i) => expect([path, observedAt(all, i)]).toEqual([path, expected(path, followed[i] === 1)]));
    }
  });

  it("shares the work with the helper thread (its chunks arrive through shared memory)", async () => {
    const { files } = bigTree(PARALLEL_MIN_ENTRIES * 3);
    const stat = new ParallelStat(files, new Uint8Array(files.length));
    let helped = 0;
    for (let round = 0; round < 300 && helped === 0; round++) {
      const all = stat.observeAll();
      helped = stat.lastRound.helper;
      expect(stat.lastRound.here + stat.lastRound.helper + stat.lastRound.stolen).toBe(Math.ceil(files.length / 32));
      if (helped > 0) files.forEach((file, i) => expect(observedAt(all, i)).toEqual(expected(file, false)));
      await sleep(2); // the helper starts in the background
    }
    expect(helped).toBeGreaterThan(0);
  });

  it("sees, in every round, an edit made just before it, wherever the entry is (either thread's chunk)", () => {
    const { files } = bigTree(PARALLEL_MIN_ENTRIES * 3);
    const stat = new ParallelStat(files, new Uint8Array(files.length));
    stat.observeAll(); // the helper may still be starting: later rounds split the work
    for (let round = 0; round < 60; round++) {
      const i = (round * 37) % files.length;
      appendFileSync(files[i]!, "# edit\n");
      const all = stat.observeAll();
      expect([i, observedAt(all, i)]).toEqual([i, expected(files[i]!, false)]);
    }
  });
});

describe("the fingerprint of a tree big enough for two threads", () => {
  /** One tree per edit: a fingerprint reports the first change in walk (readdir) order. */
  const trees: Array<{ root: string; files: string[] }> = [];
  const take = (tree: { root: string }) => Fingerprint.take({ root: tree.root, cacheDir: join(tree.root, ".sab-cache") });

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) trees.push(bigTree(PARALLEL_MIN_ENTRIES * 3));
    await sleep(RACY_WINDOW_MS + 100); // older than the racy window, so fingerprints vouch for them
  });

  it("vouches for an unchanged tree again and again, and names an edited file wherever it is", () => {
    const fp = take(trees[0]!);
    for (let round = 0; round < 20; round++) expect(fp.firstChange()).toBeUndefined();
    const positions = [0, 0.5, 1];
    positions.forEach((at, t) => {
      const { files } = trees[t]!;
      const file = files[Math.round(at * (files.length - 1))]!;
      const before = take(trees[t]!);
      appendFileSync(file, "# edit\n");
      expect(before.firstChange()).toBe(file);
    });
  });

  it("names the directory of a deleted file before the file itself", () => {
    const tree = trees[3]!;
    const fp = take(tree);
    const victim = tree.files[tree.files.length - 10]!;
    unlinkSync(victim);
    expect(fp.firstChange()).toBe(join(victim, ".."));
  });
});
