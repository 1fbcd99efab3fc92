// The bundle engine's one error type (a leaf): each message names the cause and the fix.
import { CONFIG_FIELD } from "./defaults.js";

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
