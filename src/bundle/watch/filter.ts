// Which paths watch mode (and the per-job freshness walk) looks at, and which changes count.
import { basename, isAbsolute, relative, sep } from "node:path";
import ignore from "ignore";
import { DEFAULT_EXCLUDES } from "../select/ignore.js";

export interface WatchScope {
  /** Project root (absolute). */
  root: string;
  /** The bundle cache (absolute): our own zips and stat cache; may lie inside the root. */
  cacheDir: string;
  /** More files (relative to the root) whose content shapes the upload: the requirements files. */
  inputs?: readonly string[];
}

/** Directories that never hold bundled files (node_modules, venvs, __pycache__, /build, ...). */
const prunedDirs = ignore().add(DEFAULT_EXCLUDES.filter((p) => p.endsWith("/")));

/** The only paths inside .git that change what is selected (git's per-repository excludes). */
const GIT_KEPT = new Set([".git", ".git/info", ".git/info/exclude"]);

/** Forward-slash path relative to the root; undefined when outside it (or the root itself: ""). */
function relOf(scope: WatchScope, absPath: string): string | undefined {
  const rel = relative(scope.root, absPath);
  if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return sep === "/" ? rel : rel.split(sep).join("/");
}

function isInside(dir: string, absPath: string): boolean {
  return absPath === dir || absPath.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * True for paths neither the watcher nor the freshness walk enters: outside the root, the cache
 * dir, default-excluded directories, and .git (except .git/info/exclude). `isDir` undefined means
 * "not known"; then a name that is a pruned directory name is pruned too.
 */
export function isPruned(scope: WatchScope, absPath: string, isDir?: boolean): boolean {
  const rel = relOf(scope, absPath);
  if (rel === undefined || isInside(scope.cacheDir, absPath)) return true;
  if (rel === "") return false;
  if (rel === ".git" || rel.startsWith(".git/")) return !GIT_KEPT.has(rel);
  if (rel.split("/").includes(".git")) return true; // nested repositories and submodules
  if (prunedDirs.ignores(rel)) return true; // a path under a pruned directory
  return isDir !== false && prunedDirs.ignores(`${rel}/`);
}

/**
 * Scratch files editors write next to the file being saved; they never hold code anyone imports,
 * and the save itself shows up as an event on the real file.
 */
export function isEditorScratch(name: string): boolean {
  if (name.endsWith("~") || name === ".DS_Store") return true; // backups (vim, emacs, nano); Finder
  if (/^\..+\.sw[a-p]$|^\..+\.swx$/.test(name)) return true; // vim swap files
  if (/^#.*#$|^\.#/.test(name)) return true; // emacs auto-save and lock files
  if (/___jb_(tmp|old)___$/.test(name)) return true; // JetBrains "safe write"
  if (/^\d+$/.test(name)) {
    const n = Number(name); // vim's "can I write here" probe: 4913, then +123 while taken
    return n >= 4913 && (n - 4913) % 123 === 0;
  }
  return /\.py[co]$/.test(name);
}

/**
 * Files whose content (not just existence) shapes the selection or the upload: .gitignore files,
 * the root's pyproject.toml and package.json (layout, name, settings), .git/info/exclude, jars,
 * and the scope's inputs (requirements files: the dependency zip).
 */
export function isSelectionInput(scope: WatchScope, absPath: string): boolean {
  const name = basename(absPath);
  if (name === ".gitignore" || name.endsWith(".jar")) return true;
  const rel = relOf(scope, absPath);
  return rel === "pyproject.toml" || rel === "package.json" || rel === ".git/info/exclude" || (rel !== undefined && scope.inputs?.includes(rel) === true);
}

/** Does a change at absPath possibly change the bundle? (Checked on every raw fs event: cheap.) */
export function isRelevantChange(scope: WatchScope, absPath: string): boolean {
  if (absPath === scope.root) return true; // the root itself was deleted or moved
  return !isEditorScratch(basename(absPath)) && !isPruned(scope, absPath);
}
