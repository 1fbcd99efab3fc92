// Stats a fingerprint's entries on this thread and a helper thread at once. The per-job check
// without a watcher is one stat per entry, ~3 µs each in the kernel (measured on the 2-core dev VM),
// so at 1,000+ files a second core takes a third to a half off it.
import * as nodeFs from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";

/** Fewer entries than this are statted on the calling thread alone (a message costs more than it saves). */
export const PARALLEL_MIN_ENTRIES = 256;
/** Entries per claim: small, so a helper that gets descheduled holds back little. */
const CHUNK = 32;
/** A chunk the helper claimed but has not finished this long after the caller ran out is redone here. */
const STEAL_AFTER_MS = 1;
/** Numbers per observed entry: status (OBSERVED_*), kind, size, mtimeMs, ctimeMs, ino. */
export const OBSERVED = 6;
export const OBSERVED_OK = 0;
export const OBSERVED_MISSING = 1;
/** stat threw (ENOTDIR, EACCES, ...): the caller stats it again to name the error. */
export const OBSERVED_ERROR = 2;
/** Claim ticket: round << ROUND_SHIFT | chunk index. */
const ROUND_SHIFT = 16;
const MAX_ROUND = 0x7fff;
const MAX_CHUNKS = 1 << ROUND_SHIFT;

/** How one entry is observed; shared verbatim with the helper (its source is built from it). */
function observe(path: string, follow: boolean, out: Float64Array, o: number, fs: typeof import("node:fs")): void {
  let s;
  try {
    s = follow ? fs.statSync(path, { throwIfNoEntry: false }) : fs.lstatSync(path, { throwIfNoEntry: false });
  } catch {
    out[o] = 2; // OBSERVED_ERROR: the caller re-stats the path and reports the error
    return;
  }
  if (s === undefined) {
    out[o] = 1; // OBSERVED_MISSING
    return;
  }
  out[o] = 0; // OBSERVED_OK; kinds as in freshness.ts: 1 file, 2 directory, 3 symlink
  out[o + 1] = s.isSymbolicLink() ? 3 : s.isDirectory() ? 2 : 1;
  out[o + 2] = s.size;
  out[o + 3] = s.mtimeMs;
  out[o + 4] = s.ctimeMs;
  out[o + 5] = s.ino;
}

/**
 * The helper: keeps each loaded entry set, and on "go" claims chunks until none are left. Every
 * ticket carries its round, so a late handler works for the round it claimed in, never a past one.
 */
const HELPER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const observe = ${observe.toString()};
const sets = new Map();
parentPort.on("message", (m) => {
  if (m.type === "load") sets.set(m.id, m);
  else if (m.type === "drop") sets.delete(m.id);
  else if (sets.has(m.id)) run(sets.get(m.id));
});
function run({ paths, followed, claim, done, observed }) {
  const chunks = Math.ceil(paths.length / ${CHUNK});
  for (;;) {
    const ticket = Atomics.add(claim, 0, 1);
    const k = ticket & ${MAX_CHUNKS - 1};
    if (k >= chunks) return;
    const end = Math.min(paths.length, (k + 1) * ${CHUNK});
    for (let i = k * ${CHUNK}; i < end; i++) observe(paths[i], followed[i] === 1, observed, i * ${OBSERVED}, fs);
    Atomics.store(done, k, ticket >>> ${ROUND_SHIFT});
    Atomics.notify(done, k);
  }
}
`;

let helper: Worker | null | undefined;

function sharedHelper(): Worker | null {
  if (helper === undefined) {
    if (availableParallelism() < 2) return (helper = null);
    const worker = new Worker(HELPER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    worker.unref(); // never keeps the process alive; it only ever waits for messages
    // Without it every chunk is stolen back by the caller: slower, never wrong.
    const retire = () => void (helper = helper === worker ? null : helper);
    worker.on("error", retire);
    worker.on("exit", retire);
    helper = worker;
  }
  return helper;
}

let nextId = 0;
const dropped = new FinalizationRegistry<number>((id) => helper?.postMessage({ type: "drop", id }));

/** One entry set (a fingerprint's paths), observable in parallel; see observeAll. */
export class ParallelStat {
  private readonly id = nextId++;
  private readonly chunks: number;
  /** [0]: the next claim ticket. */
  private readonly claim = new Int32Array(new SharedArrayBuffer(4));
  /** Per chunk: the round in which the helper finished it. */
  private readonly done: Int32Array;
  /** Written by the helper only (what this thread observes goes straight into `result`). */
  private readonly shared: Float64Array;
  private readonly result: Float64Array;
  private round = 0;
  private loadedInto: Worker | undefined;
  /** Who observed the chunks in the last round (for tests and diagnostics). */
  readonly lastRound = { here: 0, helper: 0, stolen: 0 };

  constructor(
    private readonly paths: readonly string[],
    /** 1 where the entry is statted (followed) rather than lstatted. */
    private readonly followed: Uint8Array,
  ) {
    this.chunks = Math.ceil(paths.length / CHUNK);
    // Half the ticket space: failed claims push the counter a little past the last chunk.
    if (this.chunks > MAX_CHUNKS / 2) throw new RangeError(`${paths.length} entries: at most ${(MAX_CHUNKS / 2) * CHUNK}`);
    this.done = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, this.chunks)));
    this.shared = new Float64Array(new SharedArrayBuffer(8 * OBSERVED * Math.max(1, paths.length)));
    this.result = new Float64Array(OBSERVED * paths.length);
    dropped.register(this, this.id);
  }

  /**
   * Every entry as it is now, OBSERVED numbers each; every stat is taken after this call began.
   * Chunks are claimed from a shared counter by this thread and the helper; a chunk the helper
   * holds for too long is statted here instead, so a busy or dead helper only costs time.
   */
  observeAll(): Float64Array {
    const worker = this.paths.length >= PARALLEL_MIN_ENTRIES ? sharedHelper() : null;
    this.round = (this.round % MAX_ROUND) + 1;
    if (this.round === 1) this.done.fill(0); // wrapped around: no chunk may look finished from long ago
    Atomics.store(this.claim, 0, this.round << ROUND_SHIFT);
    if (worker !== null) {
      if (this.loadedInto !== worker) {
        const { id, paths, followed, claim, done, shared: observed } = this;
        worker.postMessage({ type: "load", id, paths, followed, claim, done, observed });
        this.loadedInto = worker;
      }
      worker.postMessage({ type: "go", id: this.id });
    }
    const mine = new Uint8Array(this.chunks);
    for (;;) {
      const k = Atomics.add(this.claim, 0, 1) & (MAX_CHUNKS - 1);
      if (k >= this.chunks) break;
      this.observeChunk(k);
      mine[k] = 1;
    }
    const count = { here: 0, helper: 0, stolen: 0 };
    const deadline = performance.now() + STEAL_AFTER_MS;
    for (let k = 0; k < this.chunks; k++) {
      if (mine[k] === 1) {
        count.here++;
      } else if (this.awaitHelper(k, deadline)) {
        this.result.set(this.shared.subarray(k * CHUNK * OBSERVED, Math.min(this.paths.length, (k + 1) * CHUNK) * OBSERVED), k * CHUNK * OBSERVED);
        count.helper++;
      } else {
        this.observeChunk(k);
        count.stolen++;
      }
    }
    Object.assign(this.lastRound, count);
    return this.result;
  }

  private observeChunk(k: number): void {
    const end = Math.min(this.paths.length, (k + 1) * CHUNK);
    for (let i = k * CHUNK; i < end; i++) observe(this.paths[i]!, this.followed[i] === 1, this.result, i * OBSERVED, nodeFs);
  }

  /** True once the helper has finished chunk k in this round; false when the deadline passes first. */
  private awaitHelper(k: number, deadline: number): boolean {
    for (;;) {
      const round = Atomics.load(this.done, k);
      if (round === this.round) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.done, k, round, left);
    }
  }
}
