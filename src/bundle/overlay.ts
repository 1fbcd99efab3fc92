// Overlay bundles: after a small edit, a session gets only what changed since the last full upload
// (its base) plus a tiny loader stub, instead of a whole new zip. The version id stays the content
// hash of the whole tree, so a tree is the same version however it was shipped.
import { createHash } from "node:crypto";
import { finishBuild, fullArchive, hashProject, retryWhileFilesChange, type Archive, type BundleEventSink, type BundleResult, type ProjectBuild } from "./archive/build.js";
import type { BundleCache } from "./archive/cache.js";
import type { ContentHash, HashedFile } from "./archive/hash.js";
import { loaderModuleName, overlayLoaderSource } from "./worker/loader.js";
import { writeDeterministicZip } from "./archive/zip.js";
import type { ExtraEntry } from "./options.js";
import { DEFAULTS } from "./defaults.js";
import { registerBundleFiles } from "../connect/traceback-registry.js";
import { debugLog } from "../shared/debug.js";

const debug = debugLog("bundle");

/** See DEFAULTS.overlayMaxShare. Overlays always diff against the base (no chains), so a worker merges at most two zips. */
export const OVERLAY_MAX_SHARE = DEFAULTS.overlayMaxShare;

/** Bumped whenever the overlay layout or its stub changes: it is part of every overlay's id. */
const OVERLAY_FORMAT = "spark-autobundle/overlay/v1\n";

export interface TreeDiff {
  /** Files of the new tree that are new or differ from the base's (content or executable bit). */
  changed: HashedFile[];
  /** Zip paths of base files the new tree no longer has, sorted. */
  deleted: string[];
}

/** A full upload the session holds, which later versions may be overlays on. */
export interface OverlayBase {
  hash: string;
  hash12: string;
  artifact: string;
  zipPath: string;
  files: readonly HashedFile[];
  /** Sum of the file sizes. */
  treeBytes: number;
}

/** What a version is shipped as: its artifact name and the loader module its UDF commands call. */
export interface ArtifactPlan {
  /** The version: content hash of the whole tree. */
  hash: string;
  /** e.g. "pyfiles/mylib-0123456789ab.zip". */
  artifact: string;
  loaderModule: string;
  overlay?: { base: OverlayBase; diff: TreeDiff };
}

/** The engine's view of a synced bundle: which artifact serves it and how UDF commands reach it. */
export interface SyncedBundle extends BundleResult {
  artifact: string;
  loaderModule: string;
  /** Set when the version was shipped as an overlay on an earlier full upload. */
  overlay?: { baseHash: string; baseArtifact: string; changed: string[]; deleted: string[] };
}

/** Files to add or replace, and paths to delete, to turn tree `base` into tree `next`. */
export function diffTrees(base: readonly HashedFile[], next: readonly HashedFile[]): TreeDiff {
  const before = new Map(base.map((file) => [file.zipPath, file]));
  const changed = next.filter((file) => {
    const old = before.get(file.zipPath);
    before.delete(file.zipPath);
    return old === undefined || old.sha256 !== file.sha256 || old.executable !== file.executable;
  });
  return { changed, deleted: [...before.keys()].sort() };
}

/** Bytes an overlay carries before compression: its files, plus the deleted paths listed in its stub. */
export function overlayCost(diff: TreeDiff): number {
  const files = diff.changed.reduce((sum, file) => sum + file.size, 0);
  return diff.deleted.reduce((sum, path) => sum + Buffer.byteLength(path) + 4, files);
}

/**
 * The 12 hex characters naming the overlay that turns base `baseHash` into version `versionHash`.
 * Its zip is `<project>-<id>.zip` like a full bundle's, so every loader, old ones included, treats
 * it as another version (swept from sys.path, modules evicted); and it never equals a full bundle's
 * name, so no loader takes an overlay for the whole tree.
 */
export function overlayId(baseHash: string, versionHash: string): string {
  return createHash("sha256").update(`${OVERLAY_FORMAT}${baseHash}\n${versionHash}\n`).digest("hex").slice(0, 12);
}

/** Spark Connect artifact name of a zip whose basename carries `id12` (a version's hash or an overlay's id). */
export function pyfileArtifact(projectName: string, id12: string): string {
  return `pyfiles/${projectName}-${id12}.zip`;
}

/**
 * "a/b%c.py" → "a%2Fb%25c.py". Only the loader's merged view reads an overlay, so its files need no
 * directory entries, which cost ~90 bytes per level: as much as a small edit deflates to.
 */
export function flatEntryName(zipPath: string): string {
  return zipPath.replaceAll("%", "%25").replaceAll("/", "%2F");
}

/** The loader module UDF commands must call for this bundle (an overlay's differs from its version's). */
export function loaderModuleOf(bundle: BundleResult | SyncedBundle): string {
  return "loaderModule" in bundle ? bundle.loaderModule : loaderModuleName(bundle.hash12);
}

/** The engine's record of `bundle` shipped as `plan` (the plan made for its content). */
export function syncedBundle(bundle: BundleResult, plan: ArtifactPlan): SyncedBundle {
  const synced: SyncedBundle = { ...bundle, artifact: plan.artifact, loaderModule: plan.loaderModule };
  if (plan.overlay) {
    const { base, diff } = plan.overlay;
    synced.overlay = { baseHash: base.hash, baseArtifact: base.artifact, changed: diff.changed.map((f) => f.zipPath), deleted: diff.deleted };
  }
  return synced;
}

/**
 * Chooses, per version, between a full upload and an overlay on the session's base. One per
 * session engine; the base is the last version synced as a full upload.
 */
export class OverlayPlanner {
  private base: OverlayBase | undefined;

  constructor(
    private readonly projectName: string,
    private readonly maxShare: number = OVERLAY_MAX_SHARE,
  ) {}

  /** The archive at `zipPath` was found damaged and deleted: if it was the base, later versions need a new one. */
  forgetArchive(zipPath: string): void {
    if (this.base?.zipPath === zipPath) this.base = undefined;
  }

  /** Starts from a full upload the session is known to hold (a claimed spare session's). */
  seed(base: OverlayBase): void {
    this.base = base;
  }

  /** The base later overlays build on, if any. */
  get currentBase(): OverlayBase | undefined {
    return this.base;
  }

  /**
   * Full when there is no usable base, the session already holds the full zip, or the change is big.
   * A pure decision: nothing is written or remembered until synced() is told the plan was shipped.
   */
  plan(content: ContentHash, held: ReadonlySet<string>): ArtifactPlan {
    const full: ArtifactPlan = { hash: content.hash, artifact: pyfileArtifact(this.projectName, content.hash12), loaderModule: loaderModuleName(content.hash12) };
    const base = this.base;
    if (base === undefined || base.hash === content.hash || held.has(full.artifact) || !held.has(base.artifact)) return full;
    const diff = diffTrees(base.files, content.files);
    if (overlayCost(diff) > this.maxShare * base.treeBytes) return full;
    const id = overlayId(base.hash, content.hash);
    return { hash: content.hash, artifact: pyfileArtifact(this.projectName, id), loaderModule: loaderModuleName(id), overlay: { base, diff } };
  }

  /** After the session holds the plan's artifact: a full one becomes the base. */
  synced(plan: ArtifactPlan, bundle: BundleResult): void {
    if (plan.overlay) return;
    const treeBytes = bundle.hashedFiles.reduce((sum, file) => sum + file.size, 0);
    this.base = { hash: bundle.hash, hash12: bundle.hash12, artifact: plan.artifact, zipPath: bundle.zipPath, files: bundle.hashedFiles, treeBytes };
  }
}

/**
 * One version as a session engine ships it, in three phases: hash the project, plan full or overlay
 * against what the session holds, write that archive (full: with `extraEntries`, the loader). A file
 * changing under any phase starts all three over. The planner remembers nothing until synced().
 */
export async function buildVersion(
  build: ProjectBuild,
  planner: OverlayPlanner,
  held: ReadonlySet<string>,
  extraEntries: ((hash12: string, zipPaths: readonly string[]) => ExtraEntry[]) | undefined,
  sink: BundleEventSink,
): Promise<{ bundle: BundleResult; plan: ArtifactPlan }> {
  return retryWhileFilesChange(async () => {
    const hashed = await hashProject(build, sink);
    const plan = planner.plan(hashed.content, held);
    debug("version %s ships as %s%s", hashed.content.hash12, plan.artifact, plan.overlay ? ` (an overlay on ${plan.overlay.base.artifact}: ${plan.overlay.diff.changed.length} changed, ${plan.overlay.diff.deleted.length} deleted)` : " (full)");
    const archive = plan.overlay ? await writeOverlay(build.cache, plan, hashed.content) : await fullArchive(build.cache, hashed.content, extraEntries);
    const bundle = await finishBuild(build, hashed, archive, sink);
    // So a worker's traceback through this zip names the files on disk, and says when one changed
    // since (connect/traceback-registry.ts): the array is kept as is, one Map insert per version.
    registerBundleFiles(plan.artifact, hashed.content.files);
    return { bundle, plan };
  });
}

/**
 * The overlay zip (cached like full archives): the changed and added files, and the loader stub
 * that names the base and the deleted paths. Files are stored flat (see flatEntryName). They are
 * re-verified against their digests while written, so one changing meanwhile throws FileChangedError
 * and the build retries (retryWhileFilesChange).
 */
export async function writeOverlay(cache: BundleCache, plan: ArtifactPlan, content: ContentHash): Promise<Archive> {
  if (!plan.overlay) throw new TypeError("writeOverlay: the plan is a full upload, not an overlay");
  const { base, diff } = plan.overlay;
  const stub = Buffer.from(overlayLoaderSource({ baseHash12: base.hash12, versionHash12: content.hash12, deleted: diff.deleted }));
  const key = createHash("sha256").update(`${OVERLAY_FORMAT}archive\n${base.hash}\n${content.hash}\n`).update(stub).digest("hex");
  const cached = await cache.lookup(key);
  if (cached) return { path: cached.path, bytes: cached.bytes, fromCache: true };
  const extras = [{ zipPath: `${plan.loaderModule}.py`, content: stub }];
  const flat = diff.changed.map((file) => ({ ...file, zipPath: flatEntryName(file.zipPath) }));
  const stored = await cache.store(key, (tmp) => writeDeterministicZip(tmp, flat, extras));
  return { path: stored.path, bytes: stored.bytes, fromCache: false };
}
