// Which files go into the bundle, and under which zip paths.
import { lstatSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { listGitFiles, listGitIgnored } from "./gitview.js";
import { compareUtf8 } from "../archive/hash.js";
import { checkGlobPatterns, globOnDisk, globOverPaths } from "./globs.js";
import { isDefaultExcluded, walkGitignored, type WalkSkip } from "./ignore.js";
import { SKIPPED_TOP_MODULES, SKIPPED_TOP_PACKAGES, type Layout } from "../project/layout.js";
import { statWithLinks, type StatEntry } from "./links.js";
import { BundleError } from "../errors.js";
import { CONFIG_FIELD, DEFAULTS } from "../defaults.js";
import { formatBytes } from "../../shared/bytes.js";
import { type BundleEvent, type WarningEvent } from "../events.js";
import { secretNameRule, secretSkipped } from "./secrets.js";

export interface SelectedFile {
  /** File to read (symlinks resolved). */
  absPath: string;
  /** Forward-slash path inside the zip, relative to its Python source root. */
  zipPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Status-change time: moves on every write and can't be set back, unlike mtime (see StatCache). */
  ctimeMs?: number;
  executable: boolean;
  /** Named by an `include` glob: the secret guard's content rules let it through too (hashing applies them). */
  included?: boolean;
}

/** Why a path under the root is not in the bundle (see SelectOptions.onExcluded). */
export type ExclusionReason =
  /** .git, node_modules, .venv, __pycache__, *.pyc, /dist, /build, … (DEFAULT_EXCLUDES) */
  | "default-excluded"
  /** git (or, outside git, the .gitignore files) ignores it */
  | "gitignored"
  /** not under any Python source root */
  | "outside-python-root"
  /** a top-level file of a source root that is not a .py module (README.md, package.json) */
  | "not-a-module"
  /** its top-level name is not a Python identifier, so it cannot be imported */
  | "not-importable"
  /** setup.py, conftest.py, noxfile.py */
  | "tooling-module"
  /** under a top-level tests/ or test/ */
  | "tests-dir"
  /** a top-level directory without __init__.py under an undeclared (flat) root */
  | "not-a-package"
  /** matched by an `exclude` pattern */
  | "exclude-pattern"
  /** looks like a secret or credential file (also warned) */
  | "secret"
  /** its name cannot be stored portably in a zip (also warned) */
  | "unsafe-path";

export interface SelectOptions {
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  maxBundleBytes?: number;
  onEvent?: (event: BundleEvent) => void;
  /** false forces the .gitignore walk even inside a git repository (for tests and diagnostics). */
  useGit?: boolean;
  /**
   * Hears each path left out and why: relative to the root, forward slashes; a directory left out
   * whole is one "dir/" entry. Costs nothing when absent; when given, git is also asked what it ignores.
   */
  onExcluded?: (path: string, reason: ExclusionReason) => void;
}

interface RootRel {
  /** Relative to the project root, forward slashes, "" for the root itself. */
  rel: string;
  declared: boolean;
}

/**
 * The bundle's files, sorted by zip path. What is picked, in order:
 * 1. the tree as git lists it (tracked + untracked-not-ignored), or outside git the .gitignore walk;
 *    plus files matched by `include`; minus default excludes;
 * 2. Python rules per source root: top-level modules (*.py, not setup/conftest/noxfile.py), whole
 *    packages (top-level dir with __init__.py, data files included), and on declared roots also
 *    namespace packages (top-level dir without __init__.py holding .py files). tests/ and test/ are
 *    skipped. `include` matches bypass these rules;
 * 3. minus `exclude` matches; minus secret-looking files not matched by `include` (warned);
 * 4. size limits are enforced (errors name the file and the fix).
 */
export async function selectFiles(root: string, layout: Layout, options: SelectOptions = {}): Promise<SelectedFile[]> {
  const include = options.include ?? [];
  const exclude = options.exclude ?? [];
  checkGlobPatterns(include, "include");
  checkGlobPatterns(exclude, "exclude");
  const warn = (w: WarningEvent) => options.onEvent?.(w);
  const onExcluded = options.onExcluded;

  const treeSkips: Array<[string, ExclusionReason]> = [];
  const listed = await listTree(root, options.useGit !== false, warn, onExcluded && ((path, reason) => treeSkips.push([path, reason])));
  const pool = new Map<string, boolean>();
  for (const path of listed) {
    if (!isDefaultExcluded(path)) pool.set(path, false);
    else onExcluded?.(path, "default-excluded");
  }
  for (const path of await globOnDisk(root, include)) pool.set(path, true);
  // An ignored file that `include` names is bundled after all.
  for (const [path, reason] of treeSkips) if (!pool.has(path)) onExcluded?.(path, reason);

  const roots: RootRel[] = layout.roots
    .map((r) => ({ rel: relative(root, r.dir).split(sep).join("/"), declared: r.declared }))
    .sort((a, b) => b.rel.length - a.rel.length); // deepest first, so nested roots own their files
  const poolRules = new PythonRules(roots, pool);
  const worthStat: string[] = [];
  for (const [path, included] of pool) {
    if (!included && !poolRules.mayBeSource(path)) continue;
    // Not UTF-8 on disk: the name we hold has U+FFFD in it and opens nothing.
    if (path.includes("\ufffd") && !lstatSync(join(root, path), { throwIfNoEntry: false })) {
      warn({ type: "warning", code: "unsafe-path", path, message: `Not bundling ${path}: its name is not valid UTF-8, so it can't be stored in a zip or imported by that name. Rename it.` });
      onExcluded?.(path, "unsafe-path");
      pool.delete(path);
      continue;
    }
    worthStat.push(path);
  }
  if (onExcluded) {
    const statted = new Set(worthStat);
    for (const path of pool.keys()) if (!statted.has(path)) onExcluded(path, poolRules.whyNotSource(path) ?? "not-a-module");
  }
  const entries = statWithLinks(root, pool, worthStat, warn);

  const rules = new PythonRules(roots, entries);
  const picked = new Map<string, StatEntry>();
  for (const [rel, entry] of entries) {
    if (isDefaultExcluded(rel)) {
      onExcluded?.(rel, "default-excluded"); // paths that appeared under a followed symlink
      continue;
    }
    if (entry.included || rules.isSource(rel)) picked.set(rel, entry);
    else if (onExcluded) onExcluded(rel, rules.whyNotSource(rel) ?? "not-a-module");
  }
  for (const rel of globOverPaths(root, picked.keys(), exclude)) {
    picked.delete(rel);
    onExcluded?.(rel, "exclude-pattern");
  }

  const files: SelectedFile[] = [];
  const byZipPath = new Map<string, string>();
  for (const [rel, entry] of picked) {
    const secretRule = entry.included ? undefined : secretNameRule(rel);
    if (secretRule !== undefined) {
      warn(secretSkipped(rel, `its name matches the secret guard's rule "${secretRule}"`));
      onExcluded?.(rel, "secret");
      continue;
    }
    const zipPath = rules.zipPath(rel);
    if (!isSafeZipPath(zipPath)) {
      warn({ type: "warning", code: "unsafe-path", path: rel, message: `Not bundling ${rel}: its name cannot be stored portably in a zip (backslash, control character, or "." / ".." segment). Rename it.` });
      onExcluded?.(rel, "unsafe-path");
      continue;
    }
    const other = byZipPath.get(zipPath);
    if (other !== undefined) {
      throw new BundleError("ZIP_PATH_COLLISION", `Both ${other} and ${rel} would be stored as "${zipPath}" in the bundle (two Python source roots contain the same path). Remove one, or leave one out with the \`exclude\` option.`, { path: rel });
    }
    byZipPath.set(zipPath, rel);
    files.push({ absPath: entry.absPath, zipPath, size: entry.size, mtimeMs: entry.mtimeMs, ino: entry.ino, ctimeMs: entry.ctimeMs, executable: (entry.mode & 0o111) !== 0, included: entry.included });
  }
  checkSizes(files, byZipPath, options.maxFileBytes ?? DEFAULTS.maxFileBytes, options.maxBundleBytes ?? DEFAULTS.maxBundleBytes);
  return files.sort(inZipPathOrder);
}

const inZipPathOrder = (a: SelectedFile, b: SelectedFile) => compareUtf8(a.zipPath, b.zipPath);

/**
 * Git's view when root is in a work tree, else the .gitignore walk. Also the walk when git lists
 * nothing at all: an enclosing repository ignores the whole project (a dotfiles repo, a scratch/ dir).
 */
async function listTree(root: string, useGit: boolean, warn: (w: WarningEvent) => void, onSkip?: WalkSkip): Promise<string[]> {
  const fromGit = useGit ? await listGitFiles(root, warn) : undefined;
  if (fromGit !== undefined && fromGit.length > 0) {
    if (onSkip) for (const path of await listGitIgnored(root)) onSkip(path, "gitignored");
    return fromGit;
  }
  const walked = await walkGitignored(root, onSkip);
  if (fromGit !== undefined && walked.length > 0) {
    warn({ type: "warning", code: "git-unavailable", path: root, message: `git lists no files under ${root} (an enclosing repository's .gitignore ignores it?); using the .gitignore files inside it instead.` });
  }
  return walked;
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** Python packaging rules over a set of relative paths. */
class PythonRules {
  /** Top-level dirs (relative to the project root) that hold .py files somewhere below. */
  private readonly dirsWithPython = new Set<string>();

  /** `paths`: the caller's map keyed by path, used as is (a copy per rule set cost ~1 MB at 10,000 files). */
  constructor(
    private readonly roots: readonly RootRel[],
    private readonly paths: ReadonlyMap<string, unknown>,
  ) {
    for (const path of paths.keys()) {
      if (!path.endsWith(".py")) continue;
      const owner = this.ownerOf(path);
      if (!owner) continue;
      const slash = owner.sub.indexOf("/");
      if (slash > 0) this.dirsWithPython.add(owner.prefix + owner.sub.slice(0, slash));
    }
  }

  private ownerOf(rel: string): { root: RootRel; prefix: string; sub: string } | undefined {
    for (const root of this.roots) {
      if (root.rel === "") return { root, prefix: "", sub: rel };
      if (rel.startsWith(`${root.rel}/`)) return { root, prefix: `${root.rel}/`, sub: rel.slice(root.rel.length + 1) };
    }
    return undefined;
  }

  /** Cheap pre-filter before stat: top-level entries may be symlinks to packages, so keep them all. */
  mayBeSource(rel: string): boolean {
    const owner = this.ownerOf(rel);
    return owner !== undefined && (!owner.sub.includes("/") || this.isSource(rel));
  }

  isSource(rel: string): boolean {
    return this.whyNotSource(rel) === undefined;
  }

  /** undefined for Python source; else the rule that leaves rel out. */
  whyNotSource(rel: string): ExclusionReason | undefined {
    const owner = this.ownerOf(rel);
    if (!owner) return "outside-python-root";
    const { root, prefix, sub } = owner;
    const slash = sub.indexOf("/");
    if (slash < 0) {
      if (!sub.endsWith(".py")) return "not-a-module";
      if (!IDENTIFIER.test(sub.slice(0, -3))) return "not-importable";
      return SKIPPED_TOP_MODULES.has(sub) ? "tooling-module" : undefined;
    }
    const top = sub.slice(0, slash);
    if (!IDENTIFIER.test(top)) return "not-importable";
    if (SKIPPED_TOP_PACKAGES.has(top)) return "tests-dir";
    if (this.paths.has(`${prefix}${top}/__init__.py`)) return undefined;
    return root.declared && this.dirsWithPython.has(prefix + top) ? undefined : "not-a-package";
  }

  /** Relative to the owning source root; files outside every root keep their project-relative path. */
  zipPath(rel: string): string {
    return this.ownerOf(rel)?.sub ?? rel;
  }
}

function isSafeZipPath(zipPath: string): boolean {
  if (zipPath.includes("\\") || /[\u0000-\u001f]/.test(zipPath)) return false;
  return zipPath.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

function checkSizes(files: SelectedFile[], byZipPath: Map<string, string>, maxFile: number, maxBundle: number): void {
  const howToExclude = (rels: string[]) =>
    `leave ${rels.length > 1 ? "them" : "it"} out with exclude: [${rels.map((r) => JSON.stringify(r)).join(", ")}] (option or "${CONFIG_FIELD}.exclude" in package.json)`;
  for (const f of files) {
    if (f.size > maxFile) {
      const rel = byZipPath.get(f.zipPath)!;
      throw new BundleError("FILE_TOO_LARGE", `${rel} is ${formatBytes(f.size)}, over the ${formatBytes(maxFile)} per-file limit. Fix: ${howToExclude([rel])}, or raise maxFileBytes.`, { path: f.absPath });
    }
  }
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > maxBundle) {
    const largest = [...files].sort((a, b) => b.size - a.size).slice(0, 5);
    const rels = largest.map((f) => byZipPath.get(f.zipPath)!);
    const list = largest.map((f, i) => `${rels[i]} (${formatBytes(f.size)})`).join(", ");
    throw new BundleError("BUNDLE_TOO_LARGE", `The bundle would be ${formatBytes(total)} (${files.length} files), over the ${formatBytes(maxBundle)} limit. Largest files: ${list}. Fix: ${howToExclude(rels)}, or raise maxBundleBytes.`);
  }
}
