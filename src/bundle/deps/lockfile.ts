// Lockfiles at the project root: pylock.toml (PEP 751), uv.lock, poetry.lock. When one is there, the
// workers get exactly the versions it pins (its markers evaluated for the workers' Python and platform,
// the main dependencies only unless `dependencies.groups` names more), not a fresh resolution of loose
// ranges. Each format is read into LockedPackage lists (lockfile-formats.ts).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { parse } from "smol-toml";
import { BundleError } from "../errors.js";
import { LOCKFILES, OFF_LOCK, lockError, type LockContext, type Lockfile } from "./lockfile-common.js";
import { poetryLock, pylock, uvLock } from "./lockfile-formats.js";

export { LOCKFILES, type Lockfile, type LockedPackage } from "./lockfile-common.js";

/**
 * The lockfile in use: `option` a path (relative to the root) picks one; false turns them off;
 * undefined looks for LOCKFILES in order. `notes` says which were passed over.
 */
export function findLockfile(root: string, option: string | false | undefined): { lock?: Lockfile; notes: string[] } {
  if (option === false) return { notes: [] };
  if (option !== undefined) {
    const path = resolve(root, option);
    if (!existsSync(path)) {
      throw new BundleError("BAD_CONFIG", `dependencies.lockfile names ${path}, which does not exist. Fix the path, or remove the option (then ${LOCKFILES.join(", ")} are looked for at the root), or set it to false.`, { path });
    }
    return { lock: readLockfile(root, path), notes: [] };
  }
  const present = LOCKFILES.filter((name) => existsSync(resolve(root, name)));
  if (present.length === 0) return { notes: [] };
  const notes = present.slice(1).map((name) => `${name} not read: ${present[0]} wins (order: ${LOCKFILES.join(", ")}); set dependencies.lockfile to choose`);
  return { lock: readLockfile(root, resolve(root, present[0]!)), notes };
}

function formatOf(path: string): Lockfile["format"] | undefined {
  const name = basename(path);
  if (name === "uv.lock" || name === "poetry.lock") return name;
  return /^pylock\.([^.]+\.)?toml$/.test(name) ? "pylock.toml" : undefined;
}

export function readLockfile(root: string, path: string): Lockfile {
  const rel = path.startsWith(resolve(root)) ? path.slice(resolve(root).length + 1) : path;
  const format = formatOf(path);
  if (!format) {
    throw new BundleError("BAD_CONFIG", `dependencies.lockfile names ${rel}, which is none of ${LOCKFILES.join(", ")} (or pylock.<name>.toml). Fix: name one of those, or set dependencies.lockfile: false.`, { path });
  }
  const bytes = readFileSync(path);
  let doc: Record<string, unknown>;
  try {
    doc = parse(bytes.toString("utf8")) as Record<string, unknown>;
  } catch (err) {
    const where = (err as { line?: number }).line;
    throw new BundleError("BAD_CONFIG", `${rel}${where ? `:${where}` : ""} is not valid TOML (${(err as Error).message.split("\n")[0]}). Fix: regenerate it (${regenerate(format)}), or ${OFF_LOCK}.`, { path, cause: err });
  }
  const base = { path, rel, sha256: createHash("sha256").update(bytes).digest("hex") };
  const ctx: LockContext = { root: resolve(root), dir: dirname(path), rel, fail: (what, fix = `regenerate it (${regenerate(format)})`) => lockError(rel, what, fix) };
  if (format === "pylock.toml") return { format, ...base, ...pylock(doc, ctx) };
  return { format, ...base, ...(format === "uv.lock" ? uvLock(doc, ctx) : poetryLock(doc, ctx)) };
}

const regenerate = (format: Lockfile["format"]) => (format === "uv.lock" ? "`uv lock`" : format === "poetry.lock" ? "`poetry lock`" : "with the tool that wrote it");

