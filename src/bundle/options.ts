// Bundle option types, defaults, errors, and loading the project's own config
// (the "sparkAutobundle" field of its package.json).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DependencyOptions } from "./deps/declared.js";

export const MiB = 1024 * 1024;
/** One file above this is almost always data or a build artifact, not source. */
export const DEFAULT_MAX_FILE_BYTES = 10 * MiB;
/** Every job uploads the bundle once per session; keep it far below Spark's message limits. */
export const DEFAULT_MAX_BUNDLE_BYTES = 100 * MiB;
/** Field of the project's package.json that holds settings. */
export const CONFIG_FIELD = "sparkAutobundle";

export interface ExtraEntry {
  /** Forward-slash path inside the zip, e.g. "_sab_loader_0123456789ab.py". */
  zipPath: string;
  content: Buffer;
}

export type BundleEvent =
  | { type: "scan"; files: number; ms: number }
  | { type: "warning"; code: WarningCode; message: string; path?: string }
  | { type: "build"; hash: string; bytes: number; fromCache: boolean };

export type WarningEvent = Extract<BundleEvent, { type: "warning" }>;

/** Watch mode's background work; `line` is the one-line summary (printed to stderr when no onEvent is given). */
export type WatchEvent =
  | {
      type: "watch-update";
      project: string;
      /** undefined for the first bundle of the session. */
      fromHash: string | undefined;
      toHash: string;
      /** Bundle files added, removed, or with new bytes or mode since the previous bundle (the first: all of them). */
      filesChanged: number;
      /** Bytes uploaded for this update (0: the session already held it). */
      bytes: number;
      ms: number;
      line: string;
    }
  | { type: "watch-error"; error: Error; line: string };

export type WarningCode =
  | "secret-skipped"
  | "symlink-escape"
  | "symlink-loop"
  | "symlink-broken"
  | "special-file"
  | "nested-repo"
  | "git-unavailable"
  | "unsafe-path"
  | "empty-bundle";

/** Settings that may also live in package.json (everything but functions). */
export interface BundleConfig {
  /** Project root; in package.json it is relative to that package.json's directory. */
  root?: string;
  /** fast-glob patterns (relative to root) of extra files to bundle; these also override the secret guard. */
  include?: string[];
  /** fast-glob patterns (relative to root) of files or directories to leave out. Wins over include. */
  exclude?: string[];
  /** Directories (relative to root) that are Python source roots; overrides layout detection. */
  pythonRoots?: string[];
  /** Jar files for the session (consumed by the upload step, not by bundling). */
  jars?: string[];
  /** Where bundle archives are cached; default see defaultCacheDir(). */
  cacheDir?: string;
  maxFileBytes?: number;
  maxBundleBytes?: number;
  /** Re-bundle on change (consumed by the session hook). */
  watch?: boolean;
  /** Third-party dependencies to ship (default: pyproject + requirements.txt); false: none. */
  dependencies?: DependencyOptions | false;
}

export interface BundleOptions extends BundleConfig {
  /** Where discovery starts when root is not given: a path or file:// URL of the calling module. */
  callerFile?: string;
  onEvent?: (event: BundleEvent) => void;
  /**
   * Generated entries added after hashing, e.g. the loader module named after hash12. Gets the
   * project files' zip paths (sorted). Called again if the build is retried.
   */
  extraEntries?: (hash12: string, zipPaths: readonly string[]) => ExtraEntry[];
}

export type BundleErrorCode =
  | "ROOT_NOT_FOUND"
  | "BAD_CONFIG"
  | "FILE_TOO_LARGE"
  | "BUNDLE_TOO_LARGE"
  | "UNREADABLE"
  | "FILE_CHANGING"
  | "ZIP_PATH_COLLISION"
  | "GIT_FAILED"
  | "CACHE_FAILED"
  | "WATCH_FAILED"
  | "DEPS_FAILED";

/** Every bundling failure a user can act on; the message names the cause and the fix. */
export class BundleError extends Error {
  readonly code: BundleErrorCode;
  readonly path: string | undefined;
  constructor(code: BundleErrorCode, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "BundleError";
    this.code = code;
    this.path = opts.path;
  }
}

const STRING_LIST_KEYS = ["include", "exclude", "pythonRoots", "jars"] as const;
const STRING_KEYS = ["root", "cacheDir"] as const;
const BYTE_KEYS = ["maxFileBytes", "maxBundleBytes"] as const;
const DEPENDENCY_KEYS = ["groups", "requirements", "serverHas", "platforms"] as const;
const KNOWN_KEYS = new Set<string>([...STRING_LIST_KEYS, ...STRING_KEYS, ...BYTE_KEYS, "watch", "dependencies"]);

/** Reads and validates `"sparkAutobundle"` from dir/package.json; {} when the file or field is absent. */
export function loadProjectConfig(dir: string): BundleConfig {
  const file = join(dir, "package.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new BundleError("BAD_CONFIG", `Cannot read ${file}: ${(err as Error).message}. Fix its permissions.`, {
      path: file,
      cause: err,
    });
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (err) {
    throw new BundleError("BAD_CONFIG", `${file} is not valid JSON (${(err as Error).message}). Fix the syntax.`, {
      path: file,
      cause: err,
    });
  }
  const raw = (pkg as Record<string, unknown> | null)?.[CONFIG_FIELD];
  if (raw === undefined) return {};
  return validateConfig(raw, `${file} field "${CONFIG_FIELD}"`);
}

export function validateConfig(raw: unknown, where: string): BundleConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new BundleError("BAD_CONFIG", `${where} must be an object like {"include": ["data/*.csv"]}.`);
  }
  const obj = raw as Record<string, unknown>;
  const out: BundleConfig = {};
  for (const [key, value] of Object.entries(obj)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new BundleError(
        "BAD_CONFIG",
        `${where} has unknown key "${key}". Known keys: ${[...KNOWN_KEYS].join(", ")}. Remove or rename it.`,
      );
    }
    if (value === undefined) continue;
    if ((STRING_LIST_KEYS as readonly string[]).includes(key)) {
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new BundleError("BAD_CONFIG", `${where}.${key} must be an array of strings, e.g. ["pkg/**"].`);
      }
      (out as Record<string, unknown>)[key] = [...value];
    } else if ((STRING_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== "string" || value === "") {
        throw new BundleError("BAD_CONFIG", `${where}.${key} must be a non-empty string path.`);
      }
      (out as Record<string, unknown>)[key] = value;
    } else if ((BYTE_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
        throw new BundleError("BAD_CONFIG", `${where}.${key} must be a positive integer number of bytes, e.g. ${50 * MiB}.`);
      }
      (out as Record<string, unknown>)[key] = value;
    } else if (key === "dependencies") {
      out.dependencies = validateDependencies(value, `${where}.dependencies`);
    } else if (typeof value !== "boolean") {
      throw new BundleError("BAD_CONFIG", `${where}.${key} must be true or false.`);
    } else {
      out.watch = value;
    }
  }
  return out;
}

function validateDependencies(value: unknown, where: string): DependencyOptions | false {
  if (value === false) return false;
  const example = `{"groups": ["ml"], "requirements": ["requirements.txt"], "serverHas": ["numpy"]}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BundleError("BAD_CONFIG", `${where} must be false or an object like ${example}.`);
  }
  const out: DependencyOptions = {};
  for (const [key, list] of Object.entries(value)) {
    if (!(DEPENDENCY_KEYS as readonly string[]).includes(key)) {
      throw new BundleError("BAD_CONFIG", `${where} has unknown key "${key}". Known keys: ${DEPENDENCY_KEYS.join(", ")}. Remove or rename it.`);
    }
    if (!Array.isArray(list) || !list.every((v) => typeof v === "string" && v !== "")) {
      throw new BundleError("BAD_CONFIG", `${where}.${key} must be an array of non-empty strings, e.g. ${example}.`);
    }
    out[key as (typeof DEPENDENCY_KEYS)[number]] = [...list];
  }
  return out;
}

/** Explicit options win over config, key by key (undefined means "not given"). */
export function mergeConfig<T extends BundleConfig>(explicit: T, config: BundleConfig): T & BundleConfig {
  const merged: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(explicit)) if (value !== undefined) merged[key] = value;
  return merged as T & BundleConfig;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / (1024 * MiB)).toFixed(2)} GiB`;
}

/** An fs error while reading project files, turned into a message that names the file and the fix. */
export function unreadableError(absPath: string, err: unknown): BundleError {
  const e = err as NodeJS.ErrnoException;
  const fix =
    e.code === "EACCES" || e.code === "EPERM"
      ? `make it readable by this user (e.g. \`chmod u+r "${absPath}"\`)`
      : "check the file system";
  return new BundleError(
    "UNREADABLE",
    `Cannot read ${absPath}: ${e.code ?? "error"} (${e.message}). Fix: ${fix}, or leave it out of the bundle with the ` +
      `\`exclude\` option or "${CONFIG_FIELD}.exclude" in package.json.`,
    { path: absPath, cause: err },
  );
}
