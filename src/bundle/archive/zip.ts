// Deterministic zip: same files → byte-identical archive, compressed on every core.
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { FileChangedError, readStableInto, sortByZipPath, type HashedFile } from "./hash.js";
import { BundleError } from "../errors.js";
import { type ExtraEntry } from "../options.js";
import { EncoderPool, type EncodedBatch, type EncodeItem } from "./zip-encoder.js";
import { centralHeader, centralHeaderBytes, endOfCentralDirectory, localHeader, localHeaderBytes, METHOD_STORED, type EntryRecord } from "./zip-records.js";

/** Every entry gets the DOS epoch, 1980-01-01 00:00:00 (UTC fields, so the host time zone never leaks in). */
export const ZIP_ENTRY_DATE = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));
export const FILE_MODE = 0o644;
export const EXECUTABLE_MODE = 0o755;
export const DIRECTORY_MODE = 0o755;
/**
 * Deflate level. zlib's output is deterministic for a given level and zlib build. Level 6 (zip's
 * default) is what the cold-bundle benchmark measured against; see bench/README.md for size vs time.
 */
export const DEFLATE_LEVEL = 1;
/** Entries sent to a worker together: fewer messages, while each batch stays small. */
const BATCH_BYTES = 256 * 1024;
const BATCH_ENTRIES = 128;
/**
 * Bytes read but not yet written: bounds memory to this plus the largest file. 2 MiB is 8 batches,
 * enough to keep the workers fed; 8 MiB was no faster and cost ~10 MiB more peak RSS (with the
 * free list of reused buffers, which is bounded by the same figure).
 */
export const WINDOW_BYTES = 2 * 1024 * 1024;
/** Zip headers are packed into blocks this size: one allocation per block, not two per entry. */
const RECORD_BLOCK_BYTES = 64 * 1024;

export interface ZipResult {
  bytes: number;
  /** SHA-256 (hex) of the archive file. */
  sha256: string;
}

export interface ZipOptions {
  /** Deflate level 1-9; default DEFLATE_LEVEL. */
  level?: number;
  /** Workers to compress on; default the shared pool (one worker per core but one, at least 1, at most 4). */
  pool?: EncoderPool;
}

type Entry =
  | { kind: "file"; zipPath: string; file: HashedFile }
  | { kind: "extra"; zipPath: string; content: Buffer }
  | { kind: "dir"; zipPath: string };

interface Batch {
  entries: Entry[];
  /** One result per entry that has bytes, in entry order; none when no entry has. */
  encoded: Promise<EncodedBatch | undefined>;
  bytes: number;
}

/**
 * Writes files + extra entries to outPath. Entries are sorted by UTF-8 bytes of the path, with an
 * explicit entry for every directory (zipimport needs them for namespace packages). Each file's bytes
 * are re-read and must match the digest they were hashed with, or FileChangedError is thrown.
 * Files are read here, in order, into batch buffers that worker threads compress in place; entries
 * are written in order. Memory: the window of batches in flight, plus the largest file.
 */
export async function writeDeterministicZip(outPath: string, files: readonly HashedFile[], extras: readonly ExtraEntry[] = [], options: ZipOptions = {}): Promise<ZipResult> {
  const level = options.level ?? DEFLATE_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new BundleError("BAD_CONFIG", `Deflate level ${level} is not an integer from 1 to 9. Pass a level from 1 (fastest) to 9 (smallest).`);
  const pool = options.pool ?? EncoderPool.shared();
  const buffers = new BatchBuffers();
  const out = new ArchiveWriter(await open(outPath, "w"));
  const queue: Batch[] = [];
  let queuedBytes = 0;
  try {
    for (const group of batches(plan(files, extras))) {
      while (queue.length > 0 && queuedBytes >= WINDOW_BYTES) {
        const written = await writeBatch(out, queue.shift()!, buffers);
        queuedBytes -= written;
      }
      const batch = readBatch(group, buffers, pool, level);
      queue.push(batch);
      queuedBytes += batch.bytes;
    }
    while (queue.length > 0) await writeBatch(out, queue.shift()!, buffers);
    return await out.finish();
  } finally {
    await out.close();
  }
}

/** Reads the group's bytes into one buffer and sends it off to be compressed. */
function readBatch(entries: Entry[], buffers: BatchBuffers, pool: EncoderPool, level: number): Batch {
  const total = entries.reduce((n, e) => n + sizeOf(e), 0);
  if (total === 0) return { entries, encoded: Promise.resolve(undefined), bytes: 0 };
  const buffer = buffers.take(total);
  const items: EncodeItem[] = [];
  let offset = 0;
  for (const entry of entries) {
    const length = sizeOf(entry);
    if (length === 0) continue;
    const target = new Uint8Array(buffer, offset, length);
    if (entry.kind === "file") readStableInto(entry.file, target);
    else if (entry.kind === "extra") target.set(entry.content);
    // The worker checks a file's bytes against the digest they were hashed with.
    items.push({ offset, length, sha256: entry.kind === "file" ? entry.file.sha256 : undefined });
    offset += length;
  }
  const bytes = buffer.byteLength; // read before the buffer is transferred (detached)
  const encoded = pool.encode(buffer, items, level);
  encoded.catch(() => undefined); // awaited in order by writeBatch; a failure there is the one reported
  return { entries, encoded, bytes };
}

async function writeBatch(out: ArchiveWriter, batch: Batch, buffers: BatchBuffers): Promise<number> {
  const encoded = await batch.encoded;
  let next = 0;
  for (const entry of batch.entries) {
    const isDir = entry.kind === "dir";
    const executable = entry.kind === "file" && entry.file.executable;
    const mode = isDir ? 0o040000 | DIRECTORY_MODE : 0o100000 | (executable ? EXECUTABLE_MODE : FILE_MODE);
    const size = sizeOf(entry);
    if (size === 0) {
      out.add(entry.zipPath, mode, 0, { method: METHOD_STORED, crc: 0, data: new Uint8Array(0) });
      continue;
    }
    const result = encoded!.results[next++]!;
    if (result.changed && entry.kind === "file") throw new FileChangedError(entry.file.absPath);
    const data = new Uint8Array(encoded!.buffer, result.offset, result.length);
    out.add(entry.zipPath, mode, size, { method: result.method, crc: result.crc, data });
  }
  await out.flush(); // the batch buffer is reused once its bytes are on disk
  if (encoded) buffers.give(encoded.buffer);
  return batch.bytes;
}

function sizeOf(entry: Entry): number {
  return entry.kind === "file" ? entry.file.size : entry.kind === "extra" ? entry.content.length : 0;
}

/** Consecutive entries, up to BATCH_BYTES / BATCH_ENTRIES each; a bigger file goes alone. */
function* batches(entries: Entry[]): Generator<Entry[]> {
  let group: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sizeOf(entry);
    if (group.length > 0 && (bytes + size > BATCH_BYTES || group.length >= BATCH_ENTRIES)) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(entry);
    bytes += size;
  }
  if (group.length > 0) yield group;
}

/** Batch buffers for reuse; one bigger than BATCH_BYTES (a big file) is used once and dropped. */
class BatchBuffers {
  private readonly free: ArrayBuffer[] = [];

  take(bytes: number): ArrayBuffer {
    if (bytes <= BATCH_BYTES) return this.free.pop() ?? uninitialized(BATCH_BYTES);
    return uninitialized(bytes);
  }

  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === BATCH_BYTES && this.free.length * BATCH_BYTES < WINDOW_BYTES) this.free.push(buffer);
  }
}

/** Not zero-filled (every byte sent is written first); a Buffer this size owns its ArrayBuffer. */
function uninitialized(bytes: number): ArrayBuffer {
  return Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
}

interface EntryData {
  method: number;
  crc: number;
  data: Uint8Array;
}

/**
 * Small records packed into shared blocks. `reset` recycles the current block: only once every
 * record handed out has been written (local headers, after each flush).
 */
class RecordBlocks {
  private block = Buffer.allocUnsafeSlow(RECORD_BLOCK_BYTES);
  private used = 0;
  /** Filled blocks, trimmed to their records, in order. */
  readonly filled: Buffer[] = [];

  take(bytes: number): Buffer {
    if (this.used + bytes > RECORD_BLOCK_BYTES) this.seal();
    if (bytes > RECORD_BLOCK_BYTES) {
      const own = Buffer.allocUnsafe(bytes); // a name near zip's 64 KiB limit: a block of its own
      this.filled.push(own);
      return own;
    }
    this.used += bytes;
    return this.block.subarray(this.used - bytes, this.used);
  }

  private seal(): void {
    if (this.used === 0) return;
    this.filled.push(this.block.subarray(0, this.used));
    this.block = Buffer.allocUnsafeSlow(RECORD_BLOCK_BYTES);
    this.used = 0;
  }

  /** Every block with records, the current one last. */
  all(): Buffer[] {
    return this.used === 0 ? this.filled : [...this.filled, this.block.subarray(0, this.used)];
  }

  reset(): void {
    this.filled.length = 0;
    this.used = 0;
  }
}

/** Appends entries to an open file (written at each flush) and keeps the central directory. */
class ArchiveWriter {
  private offset = 0;
  private entries = 0;
  private readonly central = new RecordBlocks();
  private readonly locals = new RecordBlocks();
  private pending: Uint8Array[] = [];
  private readonly digest = createHash("sha256");
  private closed = false;

  constructor(private readonly file: FileHandle) {}

  add(name: string, mode: number, size: number, entry: EntryData): void {
    const record: EntryRecord = { name, method: entry.method, crc: entry.crc, compressedSize: entry.data.length, size, mode, offset: this.offset };
    this.push(localHeader(record, this.locals.take(localHeaderBytes(record))));
    this.push(entry.data);
    centralHeader(record, this.central.take(centralHeaderBytes(record)));
    this.entries++;
  }

  async finish(): Promise<ZipResult> {
    const directoryOffset = this.offset;
    const directory = this.central.all();
    let directoryBytes = 0;
    for (const block of directory) {
      directoryBytes += block.length;
      this.push(block);
    }
    this.push(endOfCentralDirectory(this.entries, directoryBytes, directoryOffset));
    await this.flush();
    return { bytes: this.offset, sha256: this.digest.digest("hex") };
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buffers = this.pending;
    this.pending = [];
    await this.file.writev(buffers);
    this.locals.reset(); // written: their block can take the next batch's headers
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }

  private push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.offset += bytes.length;
    this.digest.update(bytes);
  }
}

function plan(files: readonly HashedFile[], extras: readonly ExtraEntry[]): Entry[] {
  const entries = new Map<string, Entry>();
  const add = (entry: Entry) => {
    if (entries.has(entry.zipPath)) {
      throw new BundleError("ZIP_PATH_COLLISION", `Two bundle entries are both named "${entry.zipPath}" (a generated entry clashes with a project file?). Rename or exclude the project file.`, { path: entry.zipPath });
    }
    entries.set(entry.zipPath, entry);
  };
  for (const file of files) add({ kind: "file", zipPath: checkZipPath(file.zipPath), file });
  for (const extra of extras) add({ kind: "extra", zipPath: checkZipPath(extra.zipPath), content: extra.content });
  for (const path of [...entries.keys()]) {
    for (let slash = path.indexOf("/"); slash > 0; slash = path.indexOf("/", slash + 1)) {
      const dir = path.slice(0, slash + 1);
      if (!entries.has(dir)) entries.set(dir, { kind: "dir", zipPath: dir });
    }
  }
  return sortByZipPath([...entries.values()]);
}

/** Relative, forward slashes, no "." or ".." segments, no empty segments. */
export function checkZipPath(zipPath: string): string {
  const parts = zipPath.split("/");
  const ok = !zipPath.includes("\\") && parts.every((p) => p !== "" && p !== "." && p !== "..");
  if (!ok || /^[A-Za-z]:/.test(zipPath)) {
    throw new BundleError("BAD_CONFIG", `"${zipPath}" is not a safe zip entry path (must be relative, use forward slashes, and have no empty, "." or ".." parts).`, { path: zipPath });
  }
  return zipPath;
}
