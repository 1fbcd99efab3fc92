// Which files go into the bundle, and under which zip paths.
import { relative, sep } from "node:path";
import { listGitFiles } from "./gitview.js";
import { sortByZipPath } from "./hash.js";
import { checkGlobPatterns, globOnDisk, globOverPaths } from "./globs.js";
import { isDefaultExcluded, walkGitignored } from "./ignore.js";
import { SKIPPED_TOP_MODULES, SKIPPED_TOP_PACKAGES, type Layout } from "./layout.js";
import { statWithLinks, type StatEntry } from "./links.js";
import {
  BundleError,
  CONFIG_FIELD,
  DEFAULT_MAX_BUNDLE_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  formatBytes,
  type BundleEvent,
  type WarningEvent,
} from "./options.js";
import { looksLikeSecret } from "./secrets.js";

export interface SelectedFile {
  /** File to read (symlinks resolved). */
  absPath: string;
  /** Forward-slash path inside the zip, relative to its Python source root. */
  zipPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
  executable: boolean;
}

export interface SelectOptions {
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  maxBundleBytes?: number;
  onEvent?: (event: BundleEvent) => void;
  /** false forces the .gitignore walk even inside a git repository (for tests and diagnostics). */
  useGit?: boolean;
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

  const listed = await listTree(root, options.useGit !== false, warn);
  const pool = new Map<string, boolean>();
  for (const path of listed) if (!isDefaultExcluded(path)) pool.set(path, false);
  for (const path of await globOnDisk(root, include)) pool.set(path, true);

  const roots: RootRel[] = layout.roots
    .map((r) => ({ rel: relative(root, r.dir).split(sep).join("/"), declared: r.declared }))
    .sort((a, b) => b.rel.length - a.rel.length); // deepest first, so nested roots own their files
  const poolRules = new PythonRules(roots, pool.keys());
  const worthStat = [...pool].filter(([path, included]) => included || poolRules.mayBeSource(path)).map(([p]) => p);
  const entries = statWithLinks(root, pool, worthStat, warn);

  const rules = new PythonRules(roots, entries.keys());
  const picked = new Map<string, StatEntry>();
  for (const [rel, entry] of entries) {
    if (isDefaultExcluded(rel)) continue; // paths that appeared under a followed symlink
    if (entry.included || rules.isSource(rel)) picked.set(rel, entry);
  }
  for (const rel of globOverPaths(root, picked.keys(), exclude)) picked.delete(rel);

  const files: SelectedFile[] = [];
  const byZipPath = new Map<string, string>();
  for (const [rel, entry] of picked) {
    if (looksLikeSecret(rel) && !entry.included) {
      warn({ type: "warning", code: "secret-skipped", path: rel, message: `Not bundling ${rel}: it looks like a secret or credential file. If it really belongs in the bundle, name it in the \`include\` option (e.g. include: ["${rel}"]).` });
      continue;
    }
    const zipPath = rules.zipPath(rel);
    if (!isSafeZipPath(zipPath)) {
      warn({ type: "warning", code: "unsafe-path", path: rel, message: `Not bundling ${rel}: its name cannot be stored portably in a zip (backslash, control character, or "." / ".." segment). Rename it.` });
      continue;
    }
    const other = byZipPath.get(zipPath);
    if (other !== undefined) {
      throw new BundleError("ZIP_PATH_COLLISION", `Both ${other} and ${rel} would be stored as "${zipPath}" in the bundle (two Python source roots contain the same path). Remove one, or leave one out with the \`exclude\` option.`, { path: rel });
    }
    byZipPath.set(zipPath, rel);
    files.push({ absPath: entry.absPath, zipPath, size: entry.size, mtimeMs: entry.mtimeMs, ino: entry.ino, executable: (entry.mode & 0o111) !== 0 });
  }
  checkSizes(files, byZipPath, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES);
  return sortByZipPath(files);
}

/**
 * Git's view when root is in a work tree, else the .gitignore walk. Also the walk when git lists
 * nothing at all: an enclosing repository ignores the whole project (a dotfiles repo, a scratch/ dir).
 */
async function listTree(root: string, useGit: boolean, warn: (w: WarningEvent) => void): Promise<string[]> {
  const fromGit = useGit ? await listGitFiles(root, warn) : undefined;
  if (fromGit !== undefined && fromGit.length > 0) return fromGit;
  const walked = await walkGitignored(root);
  if (fromGit !== undefined && walked.length > 0) {
    warn({ type: "warning", code: "git-unavailable", path: root, message: `git lists no files under ${root} (an enclosing repository's .gitignore ignores it?); using the .gitignore files inside it instead.` });
  }
  return walked;
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** Python packaging rules over a set of relative paths. */
class PythonRules {
  private readonly paths: Set<string>;
  /** Top-level dirs (relative to the project root) that hold .py files somewhere below. */
  private readonly dirsWithPython = new Set<string>();

  constructor(private readonly roots: readonly RootRel[], paths: Iterable<string>) {
    this.paths = new Set(paths);
    for (const path of this.paths) {
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
    const owner = this.ownerOf(rel);
    if (!owner) return false;
    const { root, prefix, sub } = owner;
    const slash = sub.indexOf("/");
    if (slash < 0) return sub.endsWith(".py") && IDENTIFIER.test(sub.slice(0, -3)) && !SKIPPED_TOP_MODULES.has(sub);
    const top = sub.slice(0, slash);
    if (!IDENTIFIER.test(top) || SKIPPED_TOP_PACKAGES.has(top)) return false;
    if (this.paths.has(`${prefix}${top}/__init__.py`)) return true;
    return root.declared && this.dirsWithPython.has(prefix + top);
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
