// Compresses zip entry data on worker threads, so deflate uses every core.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

export interface EncodeItem {
  /** Where the entry's bytes sit in the batch buffer. */
  offset: number;
  length: number;
  /** Expected SHA-256 (hex); a mismatch gives `changed` instead of an encoding. */
  sha256?: string;
}

export interface EncodedItem {
  offset: number;
  /** Length of the bytes as they go into the archive (they start at `offset`). */
  length: number;
  /** 0 = stored, 8 = deflated. */
  method: number;
  /** CRC-32 of the uncompressed bytes. */
  crc: number;
  /** The bytes did not match the expected SHA-256: the file changed since it was hashed. */
  changed?: boolean;
}

export interface EncodedBatch {
  /** The same memory that was sent, now holding each item's archive bytes at its offset. */
  buffer: ArrayBuffer;
  results: EncodedItem[];
}

/**
 * Run by each worker, as an eval'd CommonJS script: a file next to this one would not load the
 * same way under tsx, vitest and the built dist. Per item: the SHA-256 check, CRC-32, then a probe
 * deflate of the first 32 KiB decides whether compressing is worth it (random or already-compressed
 * data is stored, so no time goes into deflating it); the result is stored anyway when deflate does
 * not shrink it. The decision depends on the bytes alone, so archives stay deterministic. Deflated
 * bytes overwrite the item's own input (they are shorter), so the batch buffer travels back and
 * forth and is reused: no per-file buffers for the garbage collector to fall behind on.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const zlib = require("node:zlib");
const crypto = require("node:crypto");
const PROBE_BYTES = 32 * 1024;
const PROBE_MAX_RATIO = 0.95;
function encode(buffer, { offset, length, sha256 }, level) {
  const data = new Uint8Array(buffer, offset, length);
  if (sha256 !== undefined && crypto.createHash("sha256").update(data).digest("hex") !== sha256) return { offset, length: 0, method: 0, crc: 0, changed: true };
  const crc = zlib.crc32(data);
  if (length > PROBE_BYTES) {
    const probe = zlib.deflateRawSync(data.subarray(0, PROBE_BYTES), { level });
    if (probe.length > PROBE_BYTES * PROBE_MAX_RATIO) return { offset, length, method: 0, crc };
  }
  const deflated = zlib.deflateRawSync(data, { level });
  if (deflated.length >= length) return { offset, length, method: 0, crc };
  data.set(deflated);
  return { offset, length: deflated.length, method: 8, crc };
}
parentPort.on("message", ({ id, buffer, items, level }) => {
  let results;
  try {
    results = items.map((item) => encode(buffer, item, level));
  } catch (error) {
    parentPort.postMessage({ id, buffer, error: String((error && error.stack) || error) }, [buffer]);
    return;
  }
  parentPort.postMessage({ id, buffer, results }, [buffer]);
});
`;

interface Job {
  resolve: (batch: EncodedBatch) => void;
  reject: (error: Error) => void;
}

interface Lane {
  worker: Worker;
  jobs: Map<number, Job>;
}

/** At most this many workers; more than the cores only adds switching. */
const MAX_WORKERS = 4;
/**
 * One core is left to the main thread, which reads every file and writes the archive. Each worker
 * is a whole V8 isolate (~10 MiB resident before any work, more once its heap grows): on 2 cores a
 * second one cost ~15-20 MiB of peak RSS for ~25 % of the cold bundle's time. Encoding on the main
 * thread when the worker is busy got the time back but cost ~35 MiB: its young generation is big.
 */
export const DEFAULT_WORKERS = Math.max(1, Math.min(MAX_WORKERS, availableParallelism() - 1));
/**
 * The workers' heaps hold only short-lived garbage (zlib handles, output chunks); a small young
 * generation is swept often, so dead output buffers are freed at once instead of piling up.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 } as const;

/**
 * A lazily grown set of workers, kept for the process's lifetime so repeated builds skip the
 * start-up cost. Idle workers are unref'd: they never keep the process alive.
 */
export class EncoderPool {
  private static instance: EncoderPool | undefined;
  private readonly lanes: Lane[] = [];
  private nextId = 0;

  constructor(readonly size: number = DEFAULT_WORKERS) {}

  static shared(): EncoderPool {
    EncoderPool.instance ??= new EncoderPool();
    return EncoderPool.instance;
  }

  /**
   * Encodes the items of one batch on one worker. `buffer` is transferred: it is detached here
   * until the returned batch hands it back.
   */
  encode(buffer: ArrayBuffer, items: EncodeItem[], level: number): Promise<EncodedBatch> {
    const lane = this.pickLane();
    const id = this.nextId++;
    return new Promise<EncodedBatch>((resolve, reject) => {
      lane.jobs.set(id, { resolve, reject });
      if (lane.jobs.size === 1) lane.worker.ref();
      lane.worker.postMessage({ id, buffer, items, level }, [buffer]);
    });
  }

  /** Stops the workers (tests and benchmarks that want a cold start). */
  async close(): Promise<void> {
    const lanes = this.lanes.splice(0);
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
    if (EncoderPool.instance === this) EncoderPool.instance = undefined;
  }

  private pickLane(): Lane {
    const idle = this.lanes.find((lane) => lane.jobs.size === 0);
    if (idle) return idle;
    if (this.lanes.length < this.size) return this.startLane();
    return this.lanes.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  private startLane(): Lane {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: WORKER_LIMITS });
    worker.unref();
    const lane: Lane = { worker, jobs: new Map() };
    const fail = (error: Error) => {
      const index = this.lanes.indexOf(lane);
      if (index >= 0) this.lanes.splice(index, 1);
      for (const job of lane.jobs.values()) job.reject(error);
      lane.jobs.clear();
    };
    worker.on("message", (message: { id: number; buffer: ArrayBuffer; results?: EncodedItem[]; error?: string }) => {
      const job = lane.jobs.get(message.id);
      if (!job) return;
      lane.jobs.delete(message.id);
      if (lane.jobs.size === 0) worker.unref();
      if (message.results) job.resolve({ buffer: message.buffer, results: message.results });
      else job.reject(new Error(`zip encoder worker failed: ${message.error}`));
    });
    worker.on("error", (error) => fail(new Error(`zip encoder worker crashed: ${error.message}`, { cause: error })));
    worker.on("exit", (code) => fail(new Error(`zip encoder worker exited (code ${code}) with jobs pending`)));
    this.lanes.push(lane);
    return lane;
  }
}
