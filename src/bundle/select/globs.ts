// include/exclude globs (fast-glob syntax, relative to the root). A pattern naming a directory
// means everything under it.
import { statSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import fg from "fast-glob";
import { BundleError } from "../errors.js";
import { CONFIG_FIELD } from "../defaults.js";
import { DEFAULT_EXCLUDES, isDefaultExcluded } from "./ignore.js";

export function checkGlobPatterns(patterns: readonly string[], option: "include" | "exclude"): void {
  for (const pattern of patterns) {
    const bad = pattern === "" || isAbsolute(pattern) || pattern.split(/[\\/]/).includes("..");
    if (bad) {
      throw new BundleError("BAD_CONFIG", `The \`${option}\` pattern "${pattern}" must be a non-empty glob relative to the project root, without ".." (option or "${CONFIG_FIELD}.${option}" in package.json). Example: "data/*.csv".`);
    }
  }
}

/** Each pattern, plus "<pattern>/**" unless it names a file (on disk, fast-glob fails with ENOTDIR there). */
const withDirContents = (patterns: readonly string[], isFile: (pattern: string) => boolean = () => false) =>
  patterns.flatMap((p) => (isFile(p) ? [p] : [p, `${p.replace(/\/+$/, "")}/**`]));

function isLiteralFile(root: string, pattern: string): boolean {
  if (fg.isDynamicPattern(pattern)) return false;
  try {
    return statSync(join(root, pattern)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return false;
    throw err;
  }
}

/** Default excludes as fast-glob ignore patterns, so include globs never walk node_modules or a venv. */
const DEFAULT_EXCLUDE_GLOBS = DEFAULT_EXCLUDES.filter((p) => p.endsWith("/")).map((p) =>
  p.startsWith("/") ? `${p.slice(1)}**` : `**/${p}**`,
);

/** Files and symlinks on disk matched by `patterns` (relative paths), minus default excludes. */
export async function globOnDisk(root: string, patterns: readonly string[]): Promise<string[]> {
  if (patterns.length === 0) return [];
  const found = await fg(withDirContents(patterns, (p) => isLiteralFile(root, p)), {
    cwd: root,
    dot: true,
    onlyFiles: false,
    markDirectories: true,
    followSymbolicLinks: false,
    ignore: DEFAULT_EXCLUDE_GLOBS,
    unique: true,
  });
  return found.filter((p) => !p.endsWith("/") && !isDefaultExcluded(p));
}

/**
 * Which of `paths` (relative, forward slashes) the patterns match, judged over a virtual tree made of
 * exactly these paths: no disk walk, and paths reached through followed symlinks match like any other.
 */
export function globOverPaths(root: string, paths: Iterable<string>, patterns: readonly string[]): Set<string> {
  if (patterns.length === 0) return new Set();
  const dirs = new Map<string, Map<string, boolean>>([["", new Map()]]);
  for (const path of paths) {
    const parts = path.split("/");
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const children = dirs.get(parent) ?? new Map<string, boolean>();
      dirs.set(parent, children);
      children.set(parts[i]!, i < parts.length - 1);
    }
  }
  const toRel = (p: string) => relative(root, p).split(sep).join("/");
  const kindOf = (p: string): "file" | "dir" | undefined => {
    const rel = toRel(p);
    if (dirs.has(rel)) return "dir";
    const slash = rel.lastIndexOf("/");
    const isDir = dirs.get(slash < 0 ? "" : rel.slice(0, slash))?.get(rel.slice(slash + 1));
    return isDir === undefined ? undefined : isDir ? "dir" : "file";
  };
  const fakeStat = (name: string, kind: "file" | "dir") => ({
    name,
    isFile: () => kind === "file",
    isDirectory: () => kind === "dir",
    isSymbolicLink: () => false,
    isBlockDevice: () => false,
    isCharacterDevice: () => false,
    isFIFO: () => false,
    isSocket: () => false,
  });
  const statSync = (p: string) => {
    const kind = kindOf(p);
    if (kind === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
    return fakeStat(p, kind);
  };
  const readdirSync = (p: string) => {
    const children = dirs.get(toRel(p));
    if (!children) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
    return [...children].map(([name, isDir]) => fakeStat(name, isDir ? "dir" : "file"));
  };
  const virtualFs = { statSync, lstatSync: statSync, readdirSync } as unknown as Partial<fg.FileSystemAdapter>;
  const matched = fg.sync(withDirContents(patterns), {
    cwd: root,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    fs: virtualFs,
  });
  return new Set(matched);
}
