// Outside git: walk the tree applying nested .gitignore files the way git does. Also the default excludes.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";
import { unreadableError } from "../errors.js";

/**
 * Never bundled (gitignore syntax, relative to the project root). dist/ and build/ are anchored to
 * the root because that is where build tools put them, while a subpackage named `build` is legit.
 */
export const DEFAULT_EXCLUDES = [
  ".git", ".hg/", ".svn/",
  "node_modules/",
  ".venv/", "venv/",
  "__pycache__/", "*.pyc", "*.pyo",
  "/dist/", "/build/", "*.egg-info/",
  ".tox/", ".nox/", ".mypy_cache/", ".pytest_cache/", ".ruff_cache/", ".hypothesis/", ".ipynb_checkpoints/",
  ".spark-autobundle/",
  ".gitignore", ".gitattributes", ".DS_Store",
];

/** `ignore` caches every path it answers, for good: a fresh instance this often keeps that bounded. */
const EXCLUDER_ANSWERS = 4096;
let defaultExcluder = ignore().add(DEFAULT_EXCLUDES);
let answered = 0;

/** True when rel (forward slashes, relative to root) or one of its parent directories is a default exclude. */
export function isDefaultExcluded(rel: string, isDir = false): boolean {
  if (++answered > EXCLUDER_ANSWERS) {
    defaultExcluder = ignore().add(DEFAULT_EXCLUDES);
    answered = 1;
  }
  return defaultExcluder.ignores(isDir ? `${rel}/` : rel);
}

/** What `git init` picks for core.ignoreCase: case-insensitive file systems on macOS and Windows. */
const IGNORE_CASE = process.platform === "darwin" || process.platform === "win32";

interface IgnoreLevel {
  /** Directory of the .gitignore, relative to root ("" for root). */
  base: string;
  rules: Ignore;
}

/** Why the walk left a path out; a pruned directory is reported once, as "dir/". */
export type WalkSkip = (path: string, reason: "default-excluded" | "gitignored") => void;

/**
 * Files and symlinks under root (relative, forward slashes) that git would list as tracked or
 * untracked-not-ignored, judged from the .gitignore files alone: each applies relative to its own
 * directory, deeper files override shallower ones, and nothing inside an ignored directory can be
 * re-included. Symlinks are listed, not followed (as git does). Default-excluded dirs are pruned.
 * `onSkip` hears every path left out (for explanations).
 */
export async function walkGitignored(root: string, onSkip?: WalkSkip): Promise<string[]> {
  const out: string[] = [];
  await walkDir(root, "", [], out, onSkip);
  return out;
}

async function walkDir(root: string, relDir: string, levels: IgnoreLevel[], out: string[], onSkip: WalkSkip | undefined): Promise<void> {
  const absDir = relDir === "" ? root : join(root, relDir);
  let entries;
  try {
    entries = await readdir(absDir, { withFileTypes: true });
  } catch (err) {
    throw unreadableError(absDir, err);
  }
  const here = entries.find((e) => e.name === ".gitignore" && e.isFile());
  const active = here ? [...levels, { base: relDir, rules: ignore({ ignorecase: IGNORE_CASE }).add(await readGitignore(join(absDir, ".gitignore"))) }] : levels;
  const subdirs: string[] = [];
  for (const entry of entries) {
    const rel = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
    const isDir = entry.isDirectory();
    if (!isDir && !entry.isFile() && !entry.isSymbolicLink()) continue; // git skips sockets and FIFOs too
    // A name that is not UTF-8 reaches us with U+FFFD in it and can't be opened by that name:
    // listed as it is (not walked into), so the selection can warn about it.
    if (entry.name.includes("\ufffd") && !existsSync(join(absDir, entry.name))) {
      out.push(rel);
      continue;
    }
    const defaultExcluded = isDefaultExcluded(rel, isDir);
    if (defaultExcluded || isGitignored(active, rel, isDir)) {
      onSkip?.(isDir ? `${rel}/` : rel, defaultExcluded ? "default-excluded" : "gitignored");
      continue;
    }
    if (isDir) subdirs.push(rel);
    else out.push(rel);
  }
  for (const sub of subdirs) await walkDir(root, sub, active, out, onSkip);
}

async function readGitignore(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw unreadableError(file, err);
  }
}

/** The deepest .gitignore with a matching rule decides, as in git ("last match wins" across files). */
export function isGitignored(levels: readonly IgnoreLevel[], rel: string, isDir: boolean): boolean {
  for (let k = levels.length - 1; k >= 0; k--) {
    const { base, rules } = levels[k]!;
    const sub = base === "" ? rel : rel.slice(base.length + 1);
    const verdict = rules.checkIgnore(isDir ? `${sub}/` : sub);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}
