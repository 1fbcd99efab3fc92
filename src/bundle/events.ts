// What the bundle engine reports while it works (a leaf: types only).

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
  | "empty-bundle"
  /** The configured cache directory can't be written; a private temp directory is used instead. */
  | "cache-unwritable";
