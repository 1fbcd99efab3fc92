// Stat the listed paths, following symlinks inside the root exactly once.
import { lstatSync, realpathSync, statSync, type Stats } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { unreadableError } from "../errors.js";
import { type WarningEvent } from "../events.js";

export interface StatEntry {
  /** Real file to read (symlinks resolved). */
  absPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
  mode: number;
  /** Matched by an `include` glob (directly or through a followed link). */
  included: boolean;
}

type Warn = (w: WarningEvent) => void;

/**
 * Stats each path in `targets` (relative, forward slashes; they and `pool` come from git or the
 * .gitignore walk, so no parent directory in them is a symlink). A symlink to a file inside the
 * root becomes that file; a symlink to a directory inside the root contributes the pool's files
 * under its target, renamed under the link. Links escaping the root, links to an ancestor (loops),
 * directory links met inside a followed link, and broken links are refused with a warning.
 * Paths that vanished (deleted but still tracked) drop out. Result keys are paths as they appear.
 */
export function statWithLinks(
  root: string,
  pool: ReadonlyMap<string, boolean>,
  targets: Iterable<string>,
  warn: Warn,
): Map<string, StatEntry> {
  const realRoot = realpathSync(root);
  const out = new Map<string, StatEntry>();

  const visit = (sourceRel: string, shownRel: string, included: boolean, insideLink: boolean): void => {
    const abs = join(root, sourceRel);
    const l = statOrMissing(abs, lstatSync);
    if (!l) return;
    if (l.isFile()) {
      out.set(shownRel, entryOf(abs, l, included));
      return;
    }
    if (l.isDirectory()) {
      warn({ type: "warning", code: "nested-repo", path: shownRel, message: `Not bundling ${shownRel}/: git lists it as one entry (a submodule or nested repository). Add its files with the \`include\` option, or make it a regular directory.` });
      return;
    }
    if (!l.isSymbolicLink()) {
      warn({ type: "warning", code: "special-file", path: shownRel, message: `Not bundling ${shownRel}: it is not a regular file.` });
      return;
    }
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ELOOP") throw unreadableError(abs, err);
      warn({ type: "warning", code: code === "ELOOP" ? "symlink-loop" : "symlink-broken", path: shownRel, message: `Not bundling ${shownRel}: the symlink ${code === "ELOOP" ? "loops" : "points to a missing file"}.` });
      return;
    }
    const relTarget = relative(realRoot, real);
    if (relTarget.startsWith("..") || isAbsolute(relTarget)) {
      warn({ type: "warning", code: "symlink-escape", path: shownRel, message: `Not bundling ${shownRel}: it is a symlink to ${real}, outside the project root ${realRoot}. Copy the files into the project, or widen the \`root\` option.` });
      return;
    }
    const s = statOrMissing(real, statSync);
    if (!s) return;
    if (s.isFile()) {
      out.set(shownRel, entryOf(real, s, included));
      return;
    }
    if (!s.isDirectory()) {
      warn({ type: "warning", code: "special-file", path: shownRel, message: `Not bundling ${shownRel}: it links to something that is not a regular file.` });
      return;
    }
    const targetRel = relTarget.split(sep).join("/");
    const linkParent = dirname(sourceRel) === "." ? "" : dirname(sourceRel);
    const isAncestor = targetRel === "" || linkParent === targetRel || linkParent.startsWith(`${targetRel}/`);
    if (insideLink || isAncestor) {
      warn({ type: "warning", code: "symlink-loop", path: shownRel, message: `Not bundling ${shownRel}/: ${isAncestor ? "the symlink points to one of its own parent directories" : "directory symlinks inside a followed symlink are not followed again"} (loop guard).` });
      return;
    }
    for (const [path, pathIncluded] of pool) {
      if (path.startsWith(`${targetRel}/`)) {
        visit(path, shownRel + path.slice(targetRel.length), included || pathIncluded, true);
      }
    }
  };

  for (const rel of targets) visit(rel, rel, pool.get(rel) ?? false, false);
  return out;
}

function entryOf(absPath: string, s: Stats, included: boolean): StatEntry {
  return { absPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, ctimeMs: s.ctimeMs, mode: s.mode, included };
}

function statOrMissing(path: string, stat: (p: string) => Stats): Stats | undefined {
  try {
    return stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined; // deleted since git listed it
    throw unreadableError(path, err);
  }
}
