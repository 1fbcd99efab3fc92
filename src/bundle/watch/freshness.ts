// The per-job "did anything change?" check without a watcher: a stat fingerprint of the tree.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { OBSERVED, OBSERVED_MISSING, OBSERVED_OK, ParallelStat } from "../archive/stat-helper.js";
import { isPruned, type WatchScope } from "./filter.js";

/** Beyond this many entries the fingerprint costs about what a rebuild does; jobs then rebuild. */
export const MAX_FINGERPRINT_ENTRIES = 200_000;
/**
 * File timestamps are coarse (a kernel tick on Linux, 1 s on HFS+), so an entry changed within the
 * same tick as it was recorded keeps its stamp. As in git's "racy clean" rule, entries stamped this
 * close to the walk are not vouched for: the next check reports them, and the rebuild re-records them.
 */
export const RACY_WINDOW_MS = 1000;

const NO_THROW = { throwIfNoEntry: false } as const;
const MISSING = 0;
const FILE = 1;
const DIR = 2;
const LINK = 3;
/** kind, size, mtimeMs, ctimeMs, ino: ctime catches edits that keep size and mtime (touch -r, cp -p). */
const STAMP = 5;

/**
 * What every input of the bundle looked like, taken BEFORE a build reads the tree, so a change
 * racing the build shows up as a difference next time (never as a silently kept stale bundle).
 *
 * Recorded: every directory under the root except pruned ones (a new, deleted or renamed entry
 * changes its directory's mtime), every file and symlink in them (content edits change mtime or
 * ctime), symlink targets, and outside the walk what `git ls-files` depends on: .git/index,
 * .git/info/exclude, the .gitignore files between the repository top and the root, and the user's
 * global excludes file (at its default place; a custom core.excludesFile is not seen).
 */
export class Fingerprint {
  /** An entry stamped within RACY_WINDOW_MS of the walk: reported as changed by the next check. */
  private readonly racy: string | undefined;
  private stat: ParallelStat | undefined;

  private constructor(
    private readonly paths: string[],
    /** STAMP numbers per path. */
    private readonly stamps: Float64Array,
    /** 1 for paths recorded with stat (followed) rather than lstat: symlink targets. */
    private readonly followed: Uint8Array,
    /** Indexes of entries every narrowed fingerprint keeps (git's inputs outside the walk). */
    private readonly pinned: Set<number>,
    /** Why this fingerprint can not vouch for anything (the walk was refused): then always stale. */
    private readonly refused: string | undefined,
    private readonly racyFrom: number,
  ) {
    for (let i = 0; i < paths.length && this.racy === undefined; i++) {
      const o = i * STAMP;
      if (stamps[o] !== MISSING && (stamps[o + 2]! >= racyFrom || stamps[o + 3]! >= racyFrom)) this.racy = `${paths[i]} (changed just before the last build)`;
    }
  }

  static take(scope: WatchScope, racyWindowMs = RACY_WINDOW_MS): Fingerprint {
    const racyFrom = Date.now() - racyWindowMs;
    const paths: string[] = [];
    const stamps: number[] = [];
    const followed: number[] = [];
    const pinned = new Set<number>();
    let refused: string | undefined;
    const add = (path: string, s: Stats | undefined, follow = false) => {
      if (follow) followed.push(paths.length);
      paths.push(path);
      stamps.push(...stampOf(s));
    };
    const walk = (dir: string): void => {
      if (refused !== undefined) return;
      add(dir, lstatOrMissing(dir)); // before reading it: an entry added meanwhile changes its mtime
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return; // gone since its parent was read: recorded as changed
        refused = `cannot read ${dir} (${code ?? (err as Error).message})`; // the rebuild reports it properly
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          // .git itself is not walked: gitInputs names the two files in it that matter.
          if (entry.name !== ".git" && !isPruned(scope, path, true)) walk(path);
          continue;
        }
        add(path, lstatOrMissing(path));
        if (entry.isSymbolicLink()) add(path, statOrMissing(path), true);
        if (paths.length > MAX_FINGERPRINT_ENTRIES) refused = `more than ${MAX_FINGERPRINT_ENTRIES} entries under ${scope.root}`;
        if (refused !== undefined) return;
      }
    };
    walk(scope.root);
    for (const path of gitInputs(scope.root)) {
      pinned.add(paths.length);
      add(path, lstatOrMissing(path));
    }
    const followedFlags = new Uint8Array(paths.length);
    for (const i of followed) followedFlags[i] = 1;
    return new Fingerprint(paths, Float64Array.from(stamps), followedFlags, pinned, refused, racyFrom);
  }

  /**
   * The same fingerprint minus files whose bytes cannot change the bundle (`matters` says which do:
   * the bundle's files and selection inputs). Directories, symlinks and git's inputs stay, so files
   * appearing or vanishing are still seen; a log written inside the project no longer is.
   */
  narrow(matters: (path: string) => boolean): Fingerprint {
    const keep: number[] = [];
    for (let i = 0; i < this.paths.length; i++) {
      const kind = this.stamps[i * STAMP];
      if (kind === DIR || kind === LINK || this.followed[i] === 1 || this.pinned.has(i) || matters(this.paths[i]!)) keep.push(i);
    }
    const stamps = new Float64Array(keep.length * STAMP);
    keep.forEach((from, to) => stamps.set(this.stamps.subarray(from * STAMP, (from + 1) * STAMP), to * STAMP));
    const followed = Uint8Array.from(keep, (from) => this.followed[from]!);
    const pinned = new Set(keep.flatMap((from, to) => (this.pinned.has(from) ? [to] : [])));
    return new Fingerprint(keep.map((i) => this.paths[i]!), stamps, followed, pinned, this.refused, this.racyFrom);
  }

  /**
   * The first recorded path that looks different now; undefined when everything is as recorded.
   * The per-job cost without a watcher: one (l)stat per entry and nothing else, ~3 µs each in the
   * kernel on the 2-core dev VM (Node adds ~1.5 µs), so they are spread over two threads.
   */
  firstChange(): string | undefined {
    if (this.refused !== undefined || this.racy !== undefined) return this.refused ?? this.racy;
    const { paths, stamps } = this;
    this.stat ??= new ParallelStat(paths, this.followed);
    const now = this.stat.observeAll();
    for (let i = 0; i < paths.length; i++) {
      const o = i * STAMP;
      const n = i * OBSERVED;
      const status = now[n];
      if (status === OBSERVED_MISSING) {
        if (stamps[o] !== MISSING) return paths[i];
        continue;
      }
      if (status !== OBSERVED_OK) return this.statError(i) ?? paths[i]; // ENOTDIR, EACCES...: let a rebuild judge
      // ctime first: it moves on every write, rename and chmod.
      if (stamps[o + 3] !== now[n + 4] || stamps[o + 2] !== now[n + 3] || stamps[o + 1] !== now[n + 2] || stamps[o + 4] !== now[n + 5] || stamps[o] !== now[n + 1]) return paths[i];
    }
    return undefined;
  }

  /** Why entry i cannot be statted (asked again, to name the error). */
  private statError(i: number): string | undefined {
    const path = this.paths[i]!;
    try {
      if (this.followed[i] === 1) statSync(path, NO_THROW);
      else lstatSync(path, NO_THROW);
    } catch (err) {
      return `${path} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`;
    }
    return undefined; // readable again by now: still reported, as a change
  }
}

function kindOf(s: Stats): number {
  return s.isSymbolicLink() ? LINK : s.isDirectory() ? DIR : FILE;
}

function stampOf(s: Stats | undefined): number[] {
  return s === undefined ? [MISSING, 0, 0, 0, 0] : [kindOf(s), s.size, s.mtimeMs, s.ctimeMs, s.ino];
}

/** undefined when missing; other failures too (recorded as missing, so the next check sees "changed"). */
function lstatOrMissing(path: string): Stats | undefined {
  return tryStat(() => lstatSync(path, NO_THROW));
}

function statOrMissing(path: string): Stats | undefined {
  return tryStat(() => statSync(path, NO_THROW));
}

function tryStat(stat: () => Stats | undefined): Stats | undefined {
  try {
    return stat();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR" || code === "ELOOP" || code === "EACCES" || code === "EPERM") return undefined;
    throw err;
  }
}

/** Files outside the walk that `git ls-files --cached --others --exclude-standard` reads. */
function gitInputs(root: string): string[] {
  const out: string[] = [];
  const globalConfig = process.env.XDG_CONFIG_HOME && isAbsolute(process.env.XDG_CONFIG_HOME) ? process.env.XDG_CONFIG_HOME : join(homedir(), ".config");
  out.push(join(globalConfig, "git", "ignore"));
  for (let dir = root; ; dir = dirname(dir)) {
    const dotGit = join(dir, ".git");
    if (existsSync(dotGit)) {
      for (const gitDir of gitDirsOf(dotGit)) out.push(join(gitDir, "index"), join(gitDir, "info", "exclude"));
      return out;
    }
    if (dirname(dir) === dir) return out.slice(0, 1); // not in a repository: the walk covers .gitignore files
    // Between the repository top and the root: a new or edited .gitignore there applies to the root.
    out.push(join(dirname(dir), ".gitignore"));
  }
}

/** The git dir (a `.git` file points elsewhere: worktrees, submodules) and its common dir. */
function gitDirsOf(dotGit: string): string[] {
  let text: string;
  try {
    if (statSync(dotGit).isDirectory()) return [dotGit];
    text = readFileSync(dotGit, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES") return [dotGit]; // recorded as missing: a rebuild judges
    throw err;
  }
  const match = /^gitdir:\s*(.+)$/m.exec(text);
  if (!match) return [dotGit];
  const gitDir = resolve(dirname(dotGit), match[1]!.trim());
  try {
    return [gitDir, resolve(gitDir, readFileSync(join(gitDir, "commondir"), "utf8").trim())];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [gitDir];
    throw err;
  }
}
