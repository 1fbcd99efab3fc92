// Option types of the bundle engine (types only); defaults live in defaults.ts, config loading in project/config.ts.
import type { DependencyOptions } from "./deps/declared.js";
import type { BundleEvent } from "./events.js";

export interface ExtraEntry {
  /** Forward-slash path inside the zip, e.g. "_sab_loader_0123456789ab.py". */
  zipPath: string;
  content: Buffer;
}

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
