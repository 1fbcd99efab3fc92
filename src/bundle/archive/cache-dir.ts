// The cache directory a build may write to: the configured one, or, when this user can't write
// there (EACCES, EPERM, a read-only mount's EROFS), a private temp directory for this process, so
// bundling keeps working (uncached across runs) with one warning instead of a raw Node error.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { access, constants, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPidAlive } from "../../shared/pid.js";
import { CONFIG_FIELD } from "../defaults.js";
import { BundleError } from "../errors.js";
import type { WarningEvent } from "../events.js";

/** Errors that mean "not for this user here", where another directory works. */
const UNWRITABLE = new Set(["EACCES", "EPERM", "EROFS"]);
/** Errors that no other directory on the same disk fixes. */
const FULL = new Set(["ENOSPC", "EDQUOT"]);

const FALLBACK_PREFIX = "spark-autobundle-cache-";

export function isUnwritableError(err: unknown): boolean {
  return UNWRITABLE.has((err as NodeJS.ErrnoException)?.code ?? "");
}

/** A CACHE_FAILED error for an fs error under `dir`: names the directory, the cause and the fix for that cause. */
export function cacheFailed(dir: string, err: unknown): BundleError {
  if (err instanceof BundleError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? "error";
  const move = `or point the \`cacheDir\` option ("${CONFIG_FIELD}.cacheDir" in package.json, --cache-dir on the CLI) or $SPARK_AUTOBUNDLE_HOME at another directory`;
  const fix = FULL.has(code)
    ? `free space on the disk holding ${dir} (\`df -h "${dir}"\`), ${move}`
    : UNWRITABLE.has(code)
      ? `make ${dir} writable by this user (\`chmod u+rwx "${dir}"\`), ${move}`
      : `check that ${dir} is a directory this user can write, ${move}`;
  const why = FULL.has(code) ? "the disk is full" : code;
  return new BundleError("CACHE_FAILED", `Cannot write the bundle cache directory ${dir}: ${why} (${e?.message ?? String(err)}). Fix: ${fix}.`, { path: dir, cause: err });
}

export interface UsableCacheDir {
  dir: string;
  /** Set when `dir` is the fallback: the warning to give (once per process per configured directory). */
  warning?: WarningEvent;
}

/** Configured directories already warned about: the fallback is news once per process. */
const warned = new Set<string>();
/** The fallback directory per temp root ($TMPDIR may differ between calls, e.g. in tests). */
const fallbacks = new Map<string, string>();

/**
 * `requested` when this user can create and write it, else the process's private fallback (with a
 * warning the first time). Full disk and other failures are CACHE_FAILED. Two syscalls when the
 * directory is fine, so it runs before every build.
 */
export async function usableCacheDir(requested: string): Promise<UsableCacheDir> {
  try {
    await mkdir(requested, { recursive: true });
    await access(requested, constants.R_OK | constants.W_OK | constants.X_OK);
    return { dir: requested };
  } catch (err) {
    if (!isUnwritableError(err)) throw cacheFailed(requested, err);
    const dir = fallbackDir();
    if (warned.has(requested)) return { dir };
    warned.add(requested);
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      `The bundle cache directory ${requested} is not writable (${code}${code === "EROFS" ? ": a read-only file system" : ""}); ` +
      `bundles are built in the private temp directory ${dir} for this process instead (removed at exit, so nothing is cached between runs). ` +
      `Fix: make it writable, or point the \`cacheDir\` option ("${CONFIG_FIELD}.cacheDir" in package.json, --cache-dir on the CLI) or $SPARK_AUTOBUNDLE_HOME at a writable directory.`;
    return { dir, warning: { type: "warning", code: "cache-unwritable", path: requested, message } };
  }
}

/** This process's fallback cache: created 0700 by mkdtemp, removed when the process exits. */
function fallbackDir(): string {
  const base = tmpdir();
  const existing = fallbacks.get(base);
  if (existing) return existing;
  sweepDeadFallbacks(base);
  let dir: string;
  try {
    dir = mkdtempSync(join(base, `${FALLBACK_PREFIX}${process.pid}-`));
  } catch (err) {
    throw cacheFailed(base, err);
  }
  fallbacks.set(base, dir);
  if (fallbacks.size === 1) process.once("exit", removeFallbacks);
  return dir;
}

function removeFallbacks(): void {
  for (const dir of fallbacks.values()) rmSync(dir, { recursive: true, force: true });
  fallbacks.clear();
}

/** A process killed by a signal never ran its exit handler: the next fallback user removes what it left. */
function sweepDeadFallbacks(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch (err) {
    throw cacheFailed(base, err);
  }
  for (const name of names) {
    const pid = Number(/^spark-autobundle-cache-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || isPidAlive(pid)) continue;
    try {
      rmSync(join(base, name), { recursive: true, force: true });
    } catch (err) {
      // Another user's leftover (a shared /tmp with the sticky bit): theirs to remove, not an error of this build.
      if (!isUnwritableError(err)) throw cacheFailed(base, err);
    }
  }
}
