// What `ls` shows: the selection the engine would bundle, and with --explain what it leaves out and why.
import { relative, sep } from "node:path";
import { isDefaultExcluded } from "../bundle/select/ignore.js";
import { detectLayout, type Layout } from "../bundle/project/layout.js";
import { BundleError } from "../bundle/errors.js";
import { formatBytes } from "../shared/bytes.js";
import { type WarningCode, type WarningEvent } from "../bundle/events.js";
import { DEFAULTS } from "../bundle/defaults.js";
import { selectFiles, type ExclusionReason } from "../bundle/select/select.js";
import type { CliProject } from "./project.js";

/** Selection exclusions, plus files over the size limit and paths refused with a warning (links, submodules). */
export type ListedExclusionReason = ExclusionReason | "too-large" | Exclude<WarningCode, "secret-skipped" | "unsafe-path" | "git-unavailable" | "empty-bundle" | "cache-unwritable">;

export interface ListedFile {
  /** Path inside the zip. */
  zipPath: string;
  /** Path of the file read, relative to the root. */
  source: string;
  size: number;
}

export interface ExcludedEntry {
  /** Relative to the root; a directory ends with "/". */
  path: string;
  reason: ListedExclusionReason;
  /** When several excluded paths under one directory share the reason: how many this line stands for. */
  entries?: number;
  /** Set for reasons whose cause is specific to the path (size, link target). */
  detail?: string;
}

export interface ProjectListing {
  root: string;
  layout: Layout;
  files: ListedFile[];
  warnings: WarningEvent[];
  /** Only when asked for. */
  excluded: ExcludedEntry[] | undefined;
  /** The bundle cannot be built as is (size limits); files and exclusions are still listed. */
  error: BundleError | undefined;
}

/** Warnings that refuse one path; `ls --explain` shows them among the exclusions. */
const PATH_REFUSALS = new Set<WarningCode>(["symlink-escape", "symlink-loop", "symlink-broken", "special-file", "nested-repo"]);
const SIZE_ERRORS = new Set(["FILE_TOO_LARGE", "BUNDLE_TOO_LARGE"]);

export async function listProject(project: CliProject, explain: boolean): Promise<ProjectListing> {
  const { root, settings } = project;
  const layout = detectLayout(root, settings.pythonRoots);
  const maxFileBytes = settings.maxFileBytes ?? DEFAULTS.maxFileBytes;
  const run = async (limits: { maxFileBytes: number; maxBundleBytes: number }) => {
    const warnings: WarningEvent[] = [];
    const raw: Array<{ path: string; reason: ListedExclusionReason; detail?: string }> = [];
    const files = await selectFiles(root, layout, {
      include: settings.include,
      exclude: settings.exclude,
      ...limits,
      onEvent: (event) => {
        if (event.type !== "warning") return;
        warnings.push(event);
        if (explain && event.path !== undefined && PATH_REFUSALS.has(event.code)) {
          raw.push({ path: event.path, reason: event.code as ListedExclusionReason, detail: event.message });
        }
      },
      onExcluded: explain ? (path, reason) => raw.push({ path, reason }) : undefined,
    });
    return { files, warnings, raw };
  };

  let error: BundleError | undefined;
  let result;
  try {
    result = await run({ maxFileBytes, maxBundleBytes: settings.maxBundleBytes ?? DEFAULTS.maxBundleBytes });
  } catch (err) {
    if (!(err instanceof BundleError) || !SIZE_ERRORS.has(err.code)) throw err;
    // List anyway, so the user sees what is too large; the error still decides the exit code.
    error = err;
    result = await run({ maxFileBytes: Number.MAX_SAFE_INTEGER, maxBundleBytes: Number.MAX_SAFE_INTEGER });
  }

  const files: ListedFile[] = [];
  for (const file of result.files) {
    const source = relative(root, file.absPath).split(sep).join("/");
    if (file.size > maxFileBytes) {
      result.raw.push({ path: source, reason: "too-large", detail: `${formatBytes(file.size)}, over the ${formatBytes(maxFileBytes)} per-file limit` });
    } else {
      files.push({ zipPath: file.zipPath, source, size: file.size });
    }
  }
  const excluded = explain ? summariseExclusions(result.raw, files.map((f) => f.source)) : undefined;
  return { root, layout, files, warnings: result.warnings, excluded, error };
}

/**
 * One line per directory whose every known path is left out for the same reason ("docs/" with 40
 * entries), and per always-excluded directory ("node_modules/", however git listed it), else one
 * line per path. Sorted by path.
 */
export function summariseExclusions(
  raw: ReadonlyArray<{ path: string; reason: ListedExclusionReason; detail?: string }>,
  selected: readonly string[],
): ExcludedEntry[] {
  // Per directory prefix ("a/", "a/b/"): the reasons of everything below it, and how many entries.
  const below = new Map<string, { reasons: Set<string>; entries: number }>();
  const note = (path: string, reason: string) => {
    for (let slash = path.indexOf("/"); slash >= 0 && slash < path.length - 1; slash = path.indexOf("/", slash + 1)) {
      const dir = path.slice(0, slash + 1);
      const entry = below.get(dir) ?? { reasons: new Set(), entries: 0 };
      entry.reasons.add(reason);
      entry.entries++;
      below.set(dir, entry);
    }
  };
  const unique = new Map<string, (typeof raw)[number]>();
  for (const item of raw) if (!unique.has(item.path)) unique.set(item.path, item);
  for (const item of unique.values()) note(item.path, item.reason);
  for (const path of selected) note(path, "\0selected");

  const out = new Map<string, ExcludedEntry>();
  for (const item of unique.values()) {
    const group = (item.reason === "default-excluded" ? excludedAncestor(item.path, below) : undefined) ?? shallowestUniformDir(item.path, item.reason, below);
    if (group === undefined) {
      out.set(item.path, item.detail === undefined ? { path: item.path, reason: item.reason } : { ...item });
    } else if (!out.has(group.dir)) {
      out.set(group.dir, { path: group.dir, reason: item.reason, entries: group.entries });
    }
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The outermost always-excluded directory above path (a file git listed inside node_modules/, .venv/, …). */
function excludedAncestor(path: string, below: Map<string, { entries: number }>) {
  for (let slash = path.indexOf("/"); slash >= 0 && slash < path.length - 1; slash = path.indexOf("/", slash + 1)) {
    if (isDefaultExcluded(path.slice(0, slash), true)) return { dir: path.slice(0, slash + 1), entries: below.get(path.slice(0, slash + 1))!.entries };
  }
  return undefined;
}

function shallowestUniformDir(path: string, reason: string, below: Map<string, { reasons: Set<string>; entries: number }>) {
  for (let slash = path.indexOf("/"); slash >= 0 && slash < path.length - 1; slash = path.indexOf("/", slash + 1)) {
    const dir = path.slice(0, slash + 1);
    const info = below.get(dir)!;
    if (info.entries >= 2 && info.reasons.size === 1 && info.reasons.has(reason)) return { dir, entries: info.entries };
  }
  return undefined;
}

/** Human wording of each reason, for `ls --explain`. */
export function describeReason(entry: ExcludedEntry, layout: Layout, root: string): string {
  const roots = layout.roots.map((r) => relative(root, r.dir).split(sep).join("/") || ".").join(", ");
  const texts: Record<ListedExclusionReason, string> = {
    "default-excluded": "always left out (VCS, dependency, virtualenv, cache or build output)",
    gitignored: "ignored by git / .gitignore",
    "outside-python-root": `not under a Python source root (${roots})`,
    "not-a-module": "not a Python module (a top-level file that is not *.py)",
    "not-importable": "its name is not a Python identifier, so it cannot be imported",
    "tooling-module": "project tooling (setup.py, conftest.py, noxfile.py)",
    "tests-dir": "tests directory (name it in `include` to ship it)",
    "not-a-package": "directory without __init__.py: not a package",
    "exclude-pattern": "matched an `exclude` pattern",
    secret: "looks like a secret or credential (name it in `include` to ship it)",
    "unsafe-path": "its name cannot be stored portably in a zip",
    "too-large": "too large",
    "symlink-escape": "symlink to outside the root",
    "symlink-loop": "symlink loop",
    "symlink-broken": "broken symlink",
    "special-file": "not a regular file",
    "nested-repo": "submodule or nested repository",
  };
  const text = entry.reason === "too-large" && entry.detail !== undefined ? `too large: ${entry.detail}` : texts[entry.reason];
  return entry.entries !== undefined ? `${text} (${entry.entries} ${entry.entries === 1 ? "entry" : "entries"})` : text;
}
