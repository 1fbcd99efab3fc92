// Every default of the bundle engine, in one object (a leaf). Each value's reason is beside it.
import { MiB } from "../shared/bytes.js";

export const DEFAULTS = {
  /** One file above this is almost always data or a build artifact, not source. */
  maxFileBytes: 10 * MiB,
  /** Every job uploads the bundle once per session; keep it far below Spark's message limits. */
  maxBundleBytes: 100 * MiB,
  /**
   * Total size the archive cache may grow to before least-recently-used archives are evicted. 1 GiB
   * holds hundreds of typical bundles (a few MiB each) yet stays small next to a Spark/pip install.
   */
  cacheMaxBytes: 1024 * MiB,
  /** Archives used this recently are never evicted: another process may be about to upload one. */
  evictionGraceMs: 10 * 60 * 1000,
  /**
   * An overlay is used while what it carries (changed and added files, plus the deleted paths) stays
   * under this share of the base's bytes; past it the next upload is a new full base.
   */
  overlayMaxShare: 0.25,
  /** Watch mode: quiet time after the last change before rebuilding (editors' save patterns take a few ms). */
  watchDebounceMs: 100,
  /** Watch mode: a tree that never goes quiet (a generator rewriting modules) is still rebuilt this often. */
  watchMaxWaitMs: 2000,
  /** Third-party dependencies: read when it exists and no requirements files are configured. */
  requirementsFile: "requirements.txt",
} as const;

/** Field of the project's package.json that holds settings. */
export const CONFIG_FIELD = "sparkAutobundle";
