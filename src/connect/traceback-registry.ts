// What this process shipped to Spark's workers, so a worker's traceback can be read against it: the
// project's files in each bundle zip (and whether each still matches the disk), and the packages in
// each dependency zip or native archive. Filled by the bundle engine (bundle/overlay.ts,
// bundle/deps/shipper.ts); read only when an error is formatted.
//
// Process-wide and keyed by the zip's (or native dir's) file name, not by session: error objects are
// built where no session is known, the name is in the frame itself, and names are content-addressed,
// so one name means the same files whichever session shipped it. Registering stores the caller's
// array as is (one Map insert per version); lookups index it on first use.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { zipEntryNames } from "../shared/zip-names.js";

/** A project file as the bundle shipped it: where it lives, and the content and stat it had then. */
export interface ShippedFile {
  /** Forward-slash path inside the zip. */
  zipPath: string;
  absPath: string;
  /** SHA-256 (hex) of the bytes shipped; without it the file is never called changed. */
  sha256?: string;
  size?: number;
  mtimeMs?: number;
  ctimeMs?: number;
}

/** A third-party distribution shipped in a deps zip or native archive. */
export interface ShippedPackage {
  name: string;
  version: string;
  /** A local copy of its wheel: its file list says which paths are this package's. */
  wheel?: string;
}

/**
 * Where a frame's file is for the reader: the file on disk (a project file) or "requests 2.32.3:
 * requests/models.py" (a dependency), with a note when the disk no longer holds the version that ran.
 */
export interface FrameTarget {
  file: string;
  note?: string;
  /** Line `n` (1-based) of the version that ran, read only when that is known to be the disk's. */
  sourceLine?(n: number): string | undefined;
}

/** Maps a frame inside a shipped zip or dir (its file name, the path within) to what the reader should see. */
export type TracebackMapping = (container: string, pathInside: string) => FrameTarget | string | undefined;

/** How many bundle zips are remembered: a watch session makes one per edit, and old ones stop failing. */
const REMEMBERED_ZIPS = 64;
/** Dependency sets change only when the requirements do. */
const REMEMBERED_DEPS = 16;

interface BundleEntry {
  files: readonly ShippedFile[];
  byPath?: Map<string, ShippedFile>;
}
interface DepsEntry {
  packages: readonly ShippedPackage[];
  owners?: Map<string, ShippedPackage>;
}

const bundles = new Map<string, BundleEntry>();
const deps = new Map<string, DepsEntry>();

/** "pyfiles/x-0123.zip" → "x-0123.zip"; "archives/sab-native-0123.zip#sab-native-0123" → "sab-native-0123". */
function containerName(artifactName: string): string {
  const fragment = artifactName.indexOf("#");
  if (fragment >= 0) return artifactName.slice(fragment + 1);
  return artifactName.slice(artifactName.lastIndexOf("/") + 1);
}

function remember<T>(map: Map<string, T>, key: string, value: T, limit: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= limit) break;
    map.delete(oldest);
  }
}

/**
 * Records that the zip artifact `artifactName` ("pyfiles/pricetag-2be6f4690436.zip") holds these files.
 * An overlay zip registers every file of its version: the worker reports each module inside the
 * overlay, changed or not. The array is kept, not copied: callers must not mutate it afterwards.
 */
export function registerBundleFiles(artifactName: string, files: readonly ShippedFile[]): void {
  remember(bundles, containerName(artifactName), { files }, REMEMBERED_ZIPS);
}

/**
 * Records the packages in a dependency artifact: "pyfiles/sab-deps-<hash12>.zip" (imported from the zip)
 * or "archives/sab-native-<hash12>.zip#sab-native-<hash12>" (unpacked into that directory).
 */
export function registerDependencies(artifactName: string, packages: readonly ShippedPackage[]): void {
  remember(deps, containerName(artifactName), { packages }, REMEMBERED_DEPS);
}

/** The mapping of everything registered in this process. */
export const registeredBundles: TracebackMapping = (container, pathInside) => {
  const bundle = bundles.get(container);
  if (bundle) {
    bundle.byPath ??= new Map(bundle.files.map((f) => [f.zipPath, f]));
    const file = bundle.byPath.get(pathInside);
    return file ? projectFrame(file) : undefined;
  }
  const shipped = deps.get(container);
  if (!shipped) return undefined;
  const owner = ownerOf(shipped, pathInside);
  return { file: owner ? `${owner.name} ${owner.version}: ${pathInside}` : `${container}: ${pathInside}` };
};

/** The file on disk, and a note when its content is no longer what the bundle shipped. */
function projectFrame(file: ShippedFile): FrameTarget {
  const state = diskState(file);
  if (state === "same") return { file: file.absPath, sourceLine: (n) => lineOf(file.absPath, n) };
  if (state === "unknown") return { file: file.absPath };
  return { file: file.absPath, note: `${state === "gone" ? "deleted" : "changed"} on disk since this bundle ran` };
}

/**
 * Compared the way the engine decides a file is unchanged: same size and times means the same bytes;
 * otherwise the bytes are hashed (a touch or a save of identical content is not a change).
 */
function diskState(file: ShippedFile): "same" | "changed" | "gone" | "unknown" {
  if (file.sha256 === undefined) return "unknown";
  let stat;
  try {
    stat = statSync(file.absPath);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : "unknown";
  }
  if (file.size !== undefined && stat.size !== file.size) return "changed";
  if (stat.size === file.size && stat.mtimeMs === file.mtimeMs && (file.ctimeMs === undefined || stat.ctimeMs === file.ctimeMs)) return "same";
  try {
    return createHash("sha256").update(readFileSync(file.absPath)).digest("hex") === file.sha256 ? "same" : "changed";
  } catch {
    return "unknown";
  }
}

function lineOf(path: string, n: number): string | undefined {
  try {
    return readFileSync(path, "utf8").split(/\r?\n/)[n - 1];
  } catch {
    return undefined;
  }
}

/**
 * The package a path inside a deps zip belongs to: by its wheel's file list (read once per deps zip,
 * on the first frame that needs it), else by the path's top folder matching a package's name.
 */
function ownerOf(entry: DepsEntry, pathInside: string): ShippedPackage | undefined {
  if (entry.owners === undefined) {
    entry.owners = new Map();
    for (const pkg of entry.packages) for (const name of (pkg.wheel && zipEntryNames(pkg.wheel)) || []) entry.owners.set(name, pkg);
  }
  const owner = entry.owners.get(pathInside);
  if (owner) return owner;
  const top = normalize(pathInside.split("/")[0]!.replace(/\.py$/, ""));
  return entry.packages.find((pkg) => normalize(pkg.name) === top);
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "_");
