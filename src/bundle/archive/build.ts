// One call from options to a cached, content-addressed bundle archive.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { BundleCache, defaultCacheDir } from "./cache.js";
import { FileChangedError, hashFiles, sortByZipPath, StatCache, type ContentHash, type HashedFile } from "./hash.js";
import { detectLayout, pyprojectName } from "../project/layout.js";
import { BundleError } from "../errors.js";
import { loadProjectConfig, mergeConfig } from "../project/config.js";
import { type BundleEvent, type WarningEvent } from "../events.js";
import { type BundleOptions, type ExtraEntry } from "../options.js";
import { callerFileFromStack, findProjectRoot } from "../project/root.js";
import { selectFiles } from "../select/select.js";
import { writeDeterministicZip } from "./zip.js";

export interface BundleResult {
  /** Content hash of the project files (see hashFiles); extra entries are not part of it. */
  hash: string;
  hash12: string;
  /** Absolute path of the archive in the cache. */
  zipPath: string;
  /** Number of project files in the bundle (extra entries not counted). */
  files: number;
  /** Size of the archive in bytes. */
  bytes: number;
  projectName: string;
  root: string;
  fromCache: boolean;
  warnings: WarningEvent[];
  /** The project files with their digests, sorted by zip path: what `hash` was computed over. */
  hashedFiles: HashedFile[];
}

export interface BuildOptions extends BundleOptions {
  /**
   * Called after hashing; an archive it returns is used instead of building the full one (the
   * session engine's overlays). A FileChangedError from it retries the build like the full archive's.
   */
  replaceArchive?: (content: ContentHash, cache: BundleCache) => Promise<{ path: string; bytes: number; fromCache: boolean } | undefined>;
}

/** Attempts before giving up on a file that keeps changing mid-build. */
const MAX_ATTEMPTS = 4;

/** Bumped whenever the archive layout changes, so old cached archives are not reused. */
const ARCHIVE_FORMAT = "spark-autobundle/archive/v1";

export interface ResolvedSettings {
  root: string;
  settings: BundleOptions;
}

/**
 * Root and settings: explicit root, else discovery from callerFile (else the first stack frame
 * outside this package, else the cwd). The package.json where discovery stopped may hold
 * "sparkAutobundle" settings; its `root` (relative to it) moves the root. Explicit options win.
 */
export function resolveBundleSettings(options: BundleOptions): ResolvedSettings {
  const callerFile = options.callerFile ?? (options.root === undefined ? callerFileFromStack() : undefined);
  const found = findProjectRoot({ root: options.root, callerFile });
  const config = loadProjectConfig(found);
  if (config.cacheDir !== undefined) config.cacheDir = resolve(found, config.cacheDir);
  const root = options.root === undefined && config.root !== undefined ? findProjectRoot({ root: resolve(found, config.root) }) : found;
  const settings = mergeConfig(options, config);
  if (options.cacheDir !== undefined) settings.cacheDir = resolve(options.cacheDir);
  return { root, settings: { ...settings, root } };
}

export async function buildBundle(options: BuildOptions = {}): Promise<BundleResult> {
  const { root, settings } = resolveBundleSettings(options);
  const cacheDir = settings.cacheDir ?? defaultCacheDir();
  const cache = new BundleCache(cacheDir);
  const statCache = await StatCache.open(join(cacheDir, `stat-${sha256(root).slice(0, 16)}.json`));
  const layout = detectLayout(root, settings.pythonRoots);
  const emitted = new Set<string>();
  const emit = (event: BundleEvent) => {
    if (event.type === "warning") {
      const id = `${event.code}\0${event.path ?? event.message}`;
      if (emitted.has(id)) return; // a retry after a mid-build change reports the same things again
      emitted.add(id);
    }
    settings.onEvent?.(event);
  };

  for (let attempt = 1; ; attempt++) {
    const warnings: WarningEvent[] = [];
    const onEvent = (event: BundleEvent) => {
      if (event.type === "warning") warnings.push(event);
      emit(event);
    };
    try {
      const started = performance.now();
      const selection = { include: settings.include, exclude: settings.exclude, maxFileBytes: settings.maxFileBytes, maxBundleBytes: settings.maxBundleBytes, onEvent };
      // Nothing holds on to the selection once hashed: content.files has the same records (less memory while zipping).
      const content = await hashFiles(await selectFiles(root, layout, selection), statCache);
      const files = content.files;
      onEvent({ type: "scan", files: files.length, ms: Math.round(performance.now() - started) });
      if (files.length === 0) {
        onEvent({ type: "warning", code: "empty-bundle", path: root, message: `No Python files found to bundle under ${layout.roots.map((r) => r.dir).join(", ")}. Fix: set the \`pythonRoots\` option (or "sparkAutobundle.pythonRoots" in package.json) to the directory holding your packages, or name files with \`include\`.` });
      }
      const archive = (await options.replaceArchive?.(content, cache)) ?? (await fullArchive(cache, content, settings.extraEntries));
      await statCache.save();
      onEvent({ type: "build", hash: content.hash, bytes: archive.bytes, fromCache: archive.fromCache });
      return {
        hash: content.hash,
        hash12: content.hash12,
        zipPath: archive.path,
        files: files.length,
        bytes: archive.bytes,
        projectName: projectNameOf(root),
        root,
        fromCache: archive.fromCache,
        warnings,
        hashedFiles: content.files,
      };
    } catch (err) {
      if (!(err instanceof FileChangedError)) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        throw new BundleError("FILE_CHANGING", `${err.absPath} kept changing while the bundle was built (${MAX_ATTEMPTS} attempts). Fix: let whatever writes it finish first, or leave it out with the \`exclude\` option (or "sparkAutobundle.exclude" in package.json).`, { path: err.absPath, cause: err });
      }
    }
  }
}

/** The archive of every project file plus the extra entries, from the cache when it has it. */
async function fullArchive(cache: BundleCache, content: ContentHash, extraEntries: BundleOptions["extraEntries"]) {
  const extras = extraEntries?.(content.hash12, content.files.map((f) => f.zipPath)) ?? [];
  const key = bundleKey(content.hash, extras);
  const cached = await cache.lookup(key);
  const archive = cached ?? (await cache.store(key, (tmp) => writeDeterministicZip(tmp, content.files, extras)));
  return { path: archive.path, bytes: archive.bytes, fromCache: cached !== undefined };
}

/** Cache key: the content hash plus everything else that shapes the archive bytes. */
function bundleKey(hash: string, extras: readonly ExtraEntry[]): string {
  const h = createHash("sha256").update(`${ARCHIVE_FORMAT}\n${hash}\n`);
  for (const extra of extras) {
    if (typeof extra?.zipPath !== "string" || !Buffer.isBuffer(extra.content)) {
      throw new BundleError("BAD_CONFIG", "extraEntries must return an array of { zipPath: string, content: Buffer }.");
    }
  }
  for (const extra of sortByZipPath(extras)) {
    const name = Buffer.from(extra.zipPath);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(name.length);
    h.update(len).update(name).update(createHash("sha256").update(extra.content).digest());
  }
  return h.digest("hex");
}

/** pyproject [project] name, else package.json name, else the root dir name; limited to [A-Za-z0-9_.-]. */
export function projectNameOf(root: string): string {
  const raw = pyprojectName(root) ?? packageJsonName(root) ?? basename(root);
  const clean = raw.replace(/^@/, "").replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[._-]+|[._-]+$/g, "");
  return clean === "" ? "project" : clean;
}

function packageJsonName(root: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(root, "package.json"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (err) {
    throw new BundleError("BAD_CONFIG", `${join(root, "package.json")} is not valid JSON (${(err as Error).message}). Fix the syntax.`, { cause: err });
  }
  const name = (pkg as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : undefined;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
