// Deterministic zip: same files → byte-identical archive.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import archiver from "archiver";
import { FileChangedError, readStable, sha256Hex, sortByZipPath, type HashedFile } from "./hash.js";
import { BundleError, type ExtraEntry } from "./options.js";

/** Every entry gets the DOS epoch, 1980-01-01 00:00:00 (UTC fields, so the host time zone never leaks in). */
export const ZIP_ENTRY_DATE = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));
export const FILE_MODE = 0o644;
export const EXECUTABLE_MODE = 0o755;
export const DIRECTORY_MODE = 0o755;
/** Deflate level; zlib's output is deterministic for a given level and zlib build. */
const DEFLATE_LEVEL = 6;
/** File bytes handed to archiver but not yet written; bounds memory for big bundles. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

export interface ZipResult {
  bytes: number;
  /** SHA-256 (hex) of the archive file. */
  sha256: string;
}

type Entry =
  | { kind: "file"; zipPath: string; file: HashedFile }
  | { kind: "extra"; zipPath: string; content: Buffer }
  | { kind: "dir"; zipPath: string };

/**
 * Writes files + extra entries to outPath. Entries are sorted by UTF-8 bytes of the path, with an
 * explicit entry for every directory (zipimport needs them for namespace packages). Each file's bytes
 * are re-read and must match the digest they were hashed with, or FileChangedError is thrown.
 */
export async function writeDeterministicZip(outPath: string, files: readonly HashedFile[], extras: readonly ExtraEntry[] = []): Promise<ZipResult> {
  const entries = plan(files, extras);
  const archive = archiver("zip", { zlib: { level: DEFLATE_LEVEL }, forceLocalTime: false });
  const digest = createHash("sha256");
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _enc, done) {
      digest.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const written = pipeline(archive, measure, createWriteStream(outPath));
  try {
    // Waiting for archiver to drain only past a byte budget keeps memory bounded without paying
    // a round trip per entry.
    let queuedBytes = 0;
    const drained: number[] = [];
    archive.on("entry", () => (queuedBytes -= drained.shift() ?? 0));
    for (const entry of entries) {
      const content = entry.kind === "dir" ? Buffer.alloc(0) : entry.kind === "extra" ? entry.content : verifiedBytes(entry.file);
      const executable = entry.kind === "file" && entry.file.executable;
      const mode = entry.kind === "dir" ? DIRECTORY_MODE : executable ? EXECUTABLE_MODE : FILE_MODE;
      // A name ending in "/" makes archiver write a directory entry.
      archive.append(content, { name: entry.zipPath, date: ZIP_ENTRY_DATE, mode });
      drained.push(content.length);
      queuedBytes += content.length;
      while (queuedBytes > MAX_QUEUED_BYTES) await once(archive, "entry");
    }
    await archive.finalize();
    await written;
  } catch (err) {
    archive.abort();
    await Promise.allSettled([written]); // the error being thrown is the one that matters
    throw err;
  }
  return { bytes, sha256: digest.digest("hex") };
}

function verifiedBytes(file: HashedFile): Buffer {
  const bytes = readStable(file);
  if (sha256Hex(bytes) !== file.sha256) throw new FileChangedError(file.absPath);
  return bytes;
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
  const ok = !zipPath.includes("\\") && parts.every((p) => p !== "" && p !== "." && p !== "..") && !/^[A-Za-z]:/.test(zipPath);
  if (!ok) {
    throw new BundleError("BAD_CONFIG", `"${zipPath}" is not a safe zip entry path (must be relative, use forward slashes, and have no empty, "." or ".." parts).`, { path: zipPath });
  }
  return zipPath;
}
