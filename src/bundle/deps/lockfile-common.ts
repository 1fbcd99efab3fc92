// What the lockfile readers share (a leaf): the neutral package form, the reader's context, and
// small TOML helpers. lockfile.ts picks and reads the file; lockfile-formats.ts knows each format.
import { resolve } from "node:path";
import { BundleError } from "../errors.js";
import { specifierContains, type MarkerEnv } from "./markers.js";

/** Which lockfile wins when several are at the root: the standard, tool-neutral export first. */
export const LOCKFILES = ["pylock.toml", "uv.lock", "poetry.lock"] as const;

/** One package to put on the workers, as the lockfile pins it. */
export interface LockedPackage {
  /** PEP 503-normalized. */
  name: string;
  version: string;
  /** sha256 (hex) of the wheels the lockfile lists for this version: the downloaded one must be among them. */
  hashes: string[];
  /** The index it was locked from, when not PyPI. */
  index?: string;
  /** A local directory (shipped as source, see local.ts). */
  local?: string;
  /** A wheel file on disk. */
  wheelFile?: string;
  /** Why it can't be shipped (a VCS checkout, an sdist-only URL); selecting it is an error. */
  unsupported?: string;
}

export interface Lockfile {
  format: (typeof LOCKFILES)[number];
  /** Absolute path, and relative to the root (for messages). */
  path: string;
  rel: string;
  /** sha256 of the file's bytes: part of the resolution key. */
  sha256: string;
  /** Names `dependencies.groups` may use: extras and dependency groups the file knows. */
  groups: string[];
  /** The packages for an environment and the requested groups (extras or dependency groups). */
  select(env: MarkerEnv, groups: readonly string[]): LockedPackage[];
}

export const OFF_LOCK = 'set dependencies.lockfile: false (resolve the requirements instead), or dependencies: false';

/** The fail helper every format uses: names the lockfile and both ways out. */
export function lockError(rel: string, what: string, fix: string): BundleError {
  return new BundleError("BAD_CONFIG", `${rel}: ${what}. Fix: ${fix}, or ${OFF_LOCK}.`);
}

/** What a format reader gets: where relative paths start, and the error helper naming the file. */
export interface LockContext {
  root: string;
  dir: string;
  rel: string;
  fail: (what: string, fix?: string) => BundleError;
}

export type Table = Record<string, unknown>;
export const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);
export const tables = (v: unknown): Table[] => (Array.isArray(v) ? v.filter(isTable) : []);
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
export const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** "sha256:abc…" → "abc…" (lowercase); other algorithms are not checked. */
export function sha256Of(hash: unknown): string | undefined {
  const m = typeof hash === "string" ? /^sha256[:=]([0-9a-fA-F]{64})$/.exec(hash) : undefined;
  return m?.[1]!.toLowerCase();
}

/** A directory source: the project itself is skipped (undefined), another is a local package. */
export function localSource(ctx: LockContext, path: string): string | undefined {
  const abs = resolve(ctx.dir, path);
  return abs === ctx.root ? undefined : abs;
}

/** The lockfile's requires-python must hold for the workers' Python, or nothing it pins was meant for them. */
export function checkRequiresPython(ctx: LockContext, spec: unknown, env: MarkerEnv): void {
  if (typeof spec !== "string" || !spec.trim()) return;
  let ok = true;
  try {
    ok = specifierContains(spec, env.python_full_version);
  } catch {
    return; // a spelling this reader doesn't know (the tool accepted it): let pip judge
  }
  if (!ok) throw ctx.fail(`requires-python "${spec}" excludes the workers' Python ${env.python_full_version}`, "lock for that Python (widen requires-python), or run the workers on a Python it allows");
}
