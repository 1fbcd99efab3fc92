// On-disk cache of bundle archives, shared safely by concurrent processes.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, isAbsolute } from "node:path";
import { pipeline } from "node:stream/promises";
import { DEFAULTS } from "../defaults.js";
import { FileChangedError } from "./hash.js";
import { cacheFailed } from "./cache-dir.js";
import { SparkConnectError } from "../../connect/errors.js";

export const DEFAULT_CACHE_MAX_BYTES = DEFAULTS.cacheMaxBytes;
export const EVICTION_GRACE_MS = DEFAULTS.evictionGraceMs;
/** Temp files this old belong to a crashed writer. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Stat caches (one small JSON per project root, see build.ts) of projects not built for this long. */
const STALE_STAT_CACHE_MS = 30 * 24 * 60 * 60 * 1000;

/** $SPARK_AUTOBUNDLE_HOME/bundles, else the platform cache dir + spark-autobundle/bundles. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SPARK_AUTOBUNDLE_HOME) return join(env.SPARK_AUTOBUNDLE_HOME, "bundles");
  let base: string;
  if (platform === "win32") base = env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local");
  else if (platform === "darwin") base = join(homedir(), "Library", "Caches");
  else base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "spark-autobundle", "bundles");
}

export interface CachedArchive {
  path: string;
  bytes: number;
  sha256: string;
}

const ARCHIVE_NAME = /^([0-9a-f]{64})-(\d+)-([0-9a-f]{64})\.zip$/;

/** The SHA-256 a cache archive's bytes must have, from its name; undefined for a file the cache didn't name. */
export function archiveSha256(path: string): string | undefined {
  return ARCHIVE_NAME.exec(basename(path))?.[3];
}

/** The path of a cache archive an upload found damaged (ARTIFACT_DAMAGED), if that is what `err` is. */
export function damagedArchive(err: unknown): string | undefined {
  if (!(err instanceof SparkConnectError) || err.errorClass !== "ARTIFACT_DAMAGED") return undefined;
  const path = err.messageParameters?.path;
  return path !== undefined && archiveSha256(path) !== undefined ? path : undefined;
}

/**
 * Archives are named `<key>-<size>-<sha256 of the archive>.zip`, so one atomic rename publishes an
 * archive together with what it must verify against; a truncated or corrupt one fails the check
 * on reuse, is deleted, and the caller rebuilds it.
 */
export class BundleCache {
  /** Archives already verified by this process, by path → "size:mtimeMs:ino". */
  private static readonly verified = new Map<string, string>();

  constructor(readonly dir: string, readonly maxBytes: number = DEFAULT_CACHE_MAX_BYTES) {}

  async lookup(key: string): Promise<CachedArchive | undefined> {
    for (const name of await this.names()) {
      const m = ARCHIVE_NAME.exec(name);
      if (!m || m[1] !== key) continue;
      const archive = { path: join(this.dir, name), bytes: Number(m[2]), sha256: m[3]! };
      if (await this.isIntact(archive)) return archive;
    }
    return undefined;
  }

  /**
   * `write` fills a temp file in the cache dir; it is then renamed into place and the cache trimmed.
   * A failure (a full disk mid-write, say) removes the temp file: the cache never holds half an archive.
   */
  async store(key: string, write: (tmpPath: string) => Promise<{ bytes: number; sha256: string }>): Promise<CachedArchive> {
    await this.ensureDir();
    const tmp = join(this.dir, `.tmp-${key.slice(0, 12)}-${process.pid}-${randomBytes(4).toString("hex")}.part`);
    let archive: CachedArchive;
    try {
      const { bytes, sha256 } = await write(tmp);
      archive = { path: join(this.dir, `${key}-${bytes}-${sha256}.zip`), bytes, sha256 };
      await rename(tmp, archive.path);
    } catch (err) {
      await rm(tmp, { force: true });
      // Reading the project's files fails with errors of their own (UNREADABLE, a file changing); a raw
      // fs error here is the archive's own write, so it is the cache directory's problem.
      if (err instanceof FileChangedError || !isErrno(err)) throw err;
      throw cacheFailed(this.dir, err);
    }
    await this.remember(archive.path);
    await this.evict(archive.path);
    return archive;
  }

  /**
   * Drops an archive found damaged after it was vouched for (the upload's hash check): deleted, and this
   * process no longer trusts its size/mtime/inode, so the next lookup misses and the caller rebuilds.
   */
  static async discard(path: string): Promise<void> {
    BundleCache.verified.delete(path);
    await rm(path, { force: true });
  }

  /** Deletes least-recently-used archives until the total fits maxBytes; `keep` and recent ones stay. */
  async evict(keep?: string): Promise<void> {
    const now = Date.now();
    const archives: Array<{ path: string; size: number; mtimeMs: number }> = [];
    for (const name of await this.names()) {
      const path = join(this.dir, name);
      const s = await statIfPresent(path);
      if (!s) continue;
      if (name.startsWith(".tmp-") && now - s.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
      else if (/^stat-[0-9a-f]+\.json$/.test(name) && now - s.mtimeMs > STALE_STAT_CACHE_MS) await rm(path, { force: true });
      else if (ARCHIVE_NAME.test(name)) archives.push({ path, size: s.size, mtimeMs: s.mtimeMs });
    }
    let total = archives.reduce((sum, a) => sum + a.size, 0);
    archives.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const a of archives) {
      if (total <= this.maxBytes) break;
      if (a.path === keep || now - a.mtimeMs < EVICTION_GRACE_MS) continue;
      // The ages above were read a while ago: a lookup (another process's, about to upload it) may have
      // touched this archive since. Read again right before deleting, so the window is two calls wide.
      const current = await statIfPresent(a.path);
      if (current && Date.now() - current.mtimeMs < EVICTION_GRACE_MS) continue;
      await rm(a.path, { force: true });
      BundleCache.verified.delete(a.path);
      total -= a.size;
    }
  }

  private async isIntact(archive: CachedArchive): Promise<boolean> {
    const s = await statIfPresent(archive.path);
    if (!s) return false;
    const fingerprint = `${s.size}:${s.mtimeMs}:${s.ino}`;
    const intact =
      BundleCache.verified.get(archive.path) === fingerprint ||
      (s.size === archive.bytes && (await fileSha256(archive.path)) === archive.sha256);
    if (!intact) {
      await rm(archive.path, { force: true });
      BundleCache.verified.delete(archive.path);
      return false;
    }
    // Touch for LRU; the file may vanish under a concurrent eviction, which makes this a miss.
    const now = new Date();
    try {
      await utimes(archive.path, now, now);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
    return this.remember(archive.path);
  }

  private async remember(path: string): Promise<boolean> {
    const s = await statIfPresent(path);
    if (s) BundleCache.verified.set(path, `${s.size}:${s.mtimeMs}:${s.ino}`);
    return s !== undefined;
  }

  private async names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw cacheFailed(this.dir, err);
    }
  }

  private async ensureDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw cacheFailed(this.dir, err);
    }
  }
}

/** A Node fs error (has a string code), as opposed to ours or a bug. */
function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && typeof (err as NodeJS.ErrnoException).syscall === "string";
}

async function statIfPresent(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** undefined when the file vanished meanwhile (a concurrent eviction). */
export async function fileSha256(path: string): Promise<string | undefined> {
  const h = createHash("sha256");
  try {
    await pipeline(createReadStream(path), h);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw cacheFailed(path, err);
  }
  return h.digest("hex");
}
