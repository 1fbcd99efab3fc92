// From options to a cached, content-addressed bundle archive, in phases the session engine shares:
// open a build (settings as of now, caches), hash the project, write an archive, describe the result.
// buildBundle writes the full archive; the engine may write an overlay instead (overlay.ts) between
// the same hashing and the same result. Any phase may meet a file changing under it: the caller
// wraps the phases in retryWhileFilesChange, which starts them over.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { performance } from "node:perf_hooks";
import { BundleCache, defaultCacheDir } from "./cache.js";
import { usableCacheDir } from "./cache-dir.js";
import { FileChangedError, hashFiles, sortByZipPath, StatCache, type ContentHash, type HashedFile } from "./hash.js";
import { detectLayout, type Layout } from "../project/layout.js";
import { BundleError } from "../errors.js";
import { projectNameOf, resolveBundleSettings } from "../project/config.js";
import { type BundleEvent, type WarningEvent } from "../events.js";
import { type BundleOptions, type ExtraEntry } from "../options.js";
import { selectFiles } from "../select/select.js";
import { ignoringRules } from "../select/gitview.js";
import { secretSkipped } from "../select/secrets.js";
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

/** Attempts before giving up on a file that keeps changing mid-build. */
const MAX_ATTEMPTS = 4;

/** Bumped whenever the archive layout changes, so old cached archives are not reused. */
const ARCHIVE_FORMAT = "spark-autobundle/archive/v1";

/** One build of a project: the settings as they are now, and the caches it reads and fills. */
export interface ProjectBuild {
  root: string;
  settings: BundleOptions;
  cache: BundleCache;
  statCache: StatCache;
  layout: Layout;
  /** Set when the configured cache dir is not writable and this build uses the temp fallback (cache-dir.ts). */
  cacheWarning?: WarningEvent;
}

/** The project's files as hashed by one attempt, and the warnings selecting them raised. */
export interface HashedProject {
  content: ContentHash;
  warnings: WarningEvent[];
}

/** An archive in the cache: a full bundle or an overlay. */
export interface Archive {
  path: string;
  bytes: number;
  fromCache: boolean;
}

export type BundleEventSink = (event: BundleEvent) => void;

export async function buildBundle(options: BundleOptions = {}): Promise<BundleResult> {
  const { root, settings } = resolveBundleSettings(options);
  const build = await openBuild(root, settings);
  // A retry after a mid-build change reports the same warnings again: each is reported once per call.
  const onEvent = onceEachWarning((event) => settings.onEvent?.(event));
  return retryWhileFilesChange(async () => {
    const hashed = await hashProject(build, onEvent);
    return finishBuild(build, hashed, await fullArchive(build.cache, hashed.content, settings.extraEntries), onEvent);
  });
}

/**
 * Runs `attempt` until no file changes under it: hashing, planning and writing read the tree at
 * different moments, so a FileChangedError from any of them means they disagree, and all start over.
 */
export async function retryWhileFilesChange<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof FileChangedError)) throw err;
      if (n >= MAX_ATTEMPTS) {
        throw new BundleError("FILE_CHANGING", `${err.absPath} kept changing while the bundle was built (${MAX_ATTEMPTS} attempts). Fix: let whatever writes it finish first, or leave it out with the \`exclude\` option (or "sparkAutobundle.exclude" in package.json).`, { path: err.absPath, cause: err });
      }
    }
  }
}

/**
 * `sink`, less warnings it was given before: a warning (a skipped secret, say) comes back on every
 * retry and every rebuild, and is news only once. The one place warnings are de-duplicated; the
 * caller's choice of sink decides for how long (buildBundle: one call; the engine: its lifetime).
 */
export function onceEachWarning(sink: BundleEventSink): BundleEventSink {
  const seen = new Set<string>();
  return (event) => {
    if (event.type === "warning") {
      const id = `${event.code}\0${event.path ?? event.message}`;
      if (seen.has(id)) return;
      seen.add(id);
    }
    sink(event);
  };
}

/** The settings' caches and layout, set up once per build (not per attempt). */
export async function openBuild(root: string, settings: BundleOptions): Promise<ProjectBuild> {
  const { dir: cacheDir, warning } = await usableCacheDir(settings.cacheDir ?? defaultCacheDir());
  const statCache = await StatCache.open(join(cacheDir, `stat-${sha256(root).slice(0, 16)}.json`));
  const build: ProjectBuild = { root, settings, cache: new BundleCache(cacheDir), statCache, layout: detectLayout(root, settings.pythonRoots) };
  if (warning) build.cacheWarning = warning;
  return build;
}

/** Phase one: select the project's files and hash them (the stat cache spares re-reading unchanged ones). */
export async function hashProject(build: ProjectBuild, sink: BundleEventSink): Promise<HashedProject> {
  const { root, settings, layout } = build;
  const warnings: WarningEvent[] = [];
  const onEvent = (event: BundleEvent) => {
    if (event.type === "warning") warnings.push(event);
    sink(event);
  };
  // Given here because openBuild has no sink; hashing is every build's first phase, so it comes before any archive.
  if (build.cacheWarning) onEvent(build.cacheWarning);
  const started = performance.now();
  const selection = { include: settings.include, exclude: settings.exclude, maxFileBytes: settings.maxFileBytes, maxBundleBytes: settings.maxBundleBytes, onEvent };
  // Nothing holds on to the selection once hashed: content.files has the same records (less memory while zipping).
  const onSecret = (file: HashedFile) => onEvent(secretSkipped(relative(root, file.absPath).split(sep).join("/"), `its contents match the secret guard's rule "${file.secret}"`));
  const content = await hashFiles(await selectFiles(root, layout, selection), build.statCache, onSecret);
  onEvent({ type: "scan", files: content.files.length, ms: Math.round(performance.now() - started) });
  if (content.files.length === 0) onEvent(await emptyBundleWarning(root, layout));
  return { content, warnings };
}

/** The archive of every project file plus the extra entries, from the cache when it has it. */
export async function fullArchive(cache: BundleCache, content: ContentHash, extraEntries: BundleOptions["extraEntries"]): Promise<Archive> {
  const extras = extraEntries?.(content.hash12, content.files.map((f) => f.zipPath)) ?? [];
  const key = bundleKey(content.hash, extras);
  const cached = await cache.lookup(key);
  const archive = cached ?? (await cache.store(key, (tmp) => writeDeterministicZip(tmp, content.files, extras)));
  return { path: archive.path, bytes: archive.bytes, fromCache: cached !== undefined };
}

/** Last, once the archive is written: the stat cache is kept for next time, and the build reported. */
export async function finishBuild(build: ProjectBuild, hashed: HashedProject, archive: Archive, sink: BundleEventSink): Promise<BundleResult> {
  const { content, warnings } = hashed;
  await build.statCache.save();
  sink({ type: "build", hash: content.hash, bytes: archive.bytes, fromCache: archive.fromCache });
  return {
    hash: content.hash,
    hash12: content.hash12,
    zipPath: archive.path,
    files: content.files.length,
    bytes: archive.bytes,
    projectName: projectNameOf(build.root),
    root: build.root,
    fromCache: archive.fromCache,
    warnings,
    hashedFiles: content.files,
  };
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

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Nothing to bundle. When git ignores the Python packages that are there (a `.gitignore` line such
 * as `mylib/`), the warning names that line: pythonRoots would not help, and was what it said before.
 */
async function emptyBundleWarning(root: string, layout: Layout): Promise<WarningEvent> {
  const candidates: string[] = [];
  for (const { dir } of layout.roots) {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true }).filter((e) => (e.isDirectory() && existsSync(join(dir, e.name, "__init__.py"))) || (e.isFile() && e.name.endsWith(".py"))).map((e) => e.name);
    } catch {
      continue; // a root that can't be listed has nothing to explain; the warning below stands
    }
    for (const name of names.slice(0, 50)) candidates.push(relative(root, join(dir, name)).split(sep).join("/"));
  }
  const rules = await ignoringRules(root, candidates);
  if (rules.length > 0) {
    const shown = rules.slice(0, 5).map((r) => `${r.path} by ${relative(root, resolve(root, r.source)).split(sep).join("/")} line ${r.line} (\`${r.pattern}\`)`);
    return {
      type: "warning",
      code: "empty-bundle",
      path: root,
      message: `No Python files to bundle: git ignores ${shown.join(", ")}${rules.length > 5 ? ` and ${rules.length - 5} more` : ""}. Fix: remove or narrow that line, or name the files with \`include\` (e.g. "${rules[0]!.path}/**"), which ships ignored files too.`,
    };
  }
  return { type: "warning", code: "empty-bundle", path: root, message: `No Python files found to bundle under ${layout.roots.map((r) => r.dir).join(", ")}. Fix: set the \`pythonRoots\` option (or "sparkAutobundle.pythonRoots" in package.json) to the directory holding your packages, or name files with \`include\`.` };
}
