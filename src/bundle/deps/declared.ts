// The project's declared third-party dependencies: a lockfile at the root when there is one (lockfile.ts:
// it then wins over everything else), else pyproject [project].dependencies (+ chosen optional groups) and
// requirements files (requirements.txt by default; their syntax: requirements-file.ts).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { BundleError } from "../errors.js";
import { DEFAULTS } from "../defaults.js";
import { emptyParsed, readRequirementsFile, type RequirementLine } from "./requirements-file.js";
import { findLockfile, LOCKFILES, type Lockfile } from "./lockfile.js";
import type { LocalPath } from "./local.js";

/** `dependencies` option: false turns shipping off; groups / requirements pick more sources. */
export interface DependencyOptions {
  /** [project.optional-dependencies] groups to add, e.g. ["ml"]; with a lockfile, its extras or dependency groups. */
  groups?: string[];
  /**
   * A lockfile (relative to the root) whose pins ship; false: none, resolve the requirements instead.
   * Default: the first of pylock.toml, uv.lock, poetry.lock at the root.
   */
  lockfile?: string | false;
  /** Requirements files relative to the root; default ["requirements.txt"] (when it exists). */
  requirements?: string[];
  /** Distributions the server already has (beyond what is discovered), never shipped. */
  serverHas?: string[];
  /** pip --platform tags of the workers; default: the embedded server's machine. */
  platforms?: string[];
}

/** Read when it exists and no requirements files are configured. */
export const DEFAULT_REQUIREMENTS = DEFAULTS.requirementsFile;

/** The requirements files a dependency resolution reads, so editing one counts as a change. */
export function requirementsFiles(options: DependencyOptions | false | undefined): string[] {
  if (options === false) return [];
  return (options?.requirements ?? [DEFAULT_REQUIREMENTS]).map((rel) => rel.split("\\").join("/").replace(/^\.\//, ""));
}

export interface DeclaredDeps {
  /** Requirement lines, trimmed, in source order, duplicates dropped (a line may end in `--hash=…` options). */
  requirements: string[];
  /** Where each came from, for `ls --explain`. */
  sources: string[];
  /** Lines of the requirements files' `-c` constraints files. */
  constraints: string[];
  /** Index options of the requirements files, passed on to pip (`--index-url https://…`). */
  pipOptions: string[];
  /** Lines skipped or shipped specially, and why (`-e .`: the project ships as the bundle). */
  notes: string[];
  /** Local package directories, shipped as source (local.ts). */
  localPaths: LocalPath[];
  /** The lockfile whose pins ship instead of `requirements` (then empty). */
  lock?: Lockfile;
  /** Every file read: a change to any of them may change what ships. */
  files: string[];
  /** Digest of what was declared (not of where it resolves to): finds the cached resolution for `ls --explain`. */
  inputs: string;
}

/** Reads every declared requirement; a missing requirements file that was asked for is an error. */
export function readDeclaredDeps(root: string, options: DependencyOptions = {}): DeclaredDeps {
  const { lock, notes: lockNotes } = findLockfile(root, options.lockfile);
  if (lock) return lockedDeps(root, lock, lockNotes, options);
  const found: RequirementLine[] = [];
  const sources: string[] = [];
  const add = (lines: RequirementLine[], source: string) => {
    if (lines.length) sources.push(source);
    for (const line of lines) if (!found.some((f) => f.line === line.line)) found.push(line);
  };
  const pyproject = join(root, "pyproject.toml");
  const read: string[] = [];
  if (existsSync(pyproject)) {
    read.push(pyproject);
    let doc: Record<string, unknown>;
    try {
      doc = parse(readFileSync(pyproject, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new BundleError("BAD_CONFIG", `${pyproject} is not valid TOML (${(err as Error).message}). Fix its syntax, or set dependencies: false to ship no dependencies.`, { path: pyproject, cause: err });
    }
    const project = (doc.project ?? {}) as Record<string, unknown>;
    const where = (table: string) => (line: string) => ({ line, where: `pyproject.toml ${table}` });
    add(stringList(project.dependencies, `${pyproject} [project].dependencies`).map(where("[project].dependencies")), "pyproject.toml [project].dependencies");
    const optional = (project["optional-dependencies"] ?? {}) as Record<string, unknown>;
    for (const group of options.groups ?? []) {
      if (!(group in optional)) {
        throw new BundleError("BAD_CONFIG", `Dependency group "${group}" is not in ${pyproject} [project.optional-dependencies] (has: ${Object.keys(optional).join(", ") || "none"}). Fix the group name.`, { path: pyproject });
      }
      const table = `[project.optional-dependencies].${group}`;
      add(stringList(optional[group], `${pyproject} ${table}`).map(where(table)), `pyproject.toml optional group ${group}`);
    }
  }
  const parsed = emptyParsed();
  const files = options.requirements ?? [DEFAULT_REQUIREMENTS];
  for (const rel of files) {
    const file = join(root, rel);
    if (!existsSync(file)) {
      if (options.requirements === undefined) continue;
      throw new BundleError("BAD_CONFIG", `Requirements file ${file} does not exist. Fix the path in dependencies.requirements.`, { path: file });
    }
    const before = parsed.requirements.length;
    readRequirementsFile(file, root, parsed);
    add(parsed.requirements.slice(before), rel);
  }
  checkHashes(found);
  const out = { requirements: found.map((f) => f.line), sources, constraints: unique(parsed.constraints), pipOptions: unique(parsed.pipOptions), notes: parsed.notes, localPaths: parsed.localPaths };
  return { ...out, files: [...read, ...parsed.files], inputs: digest({ ...out, groups: options.groups ?? [] }) };
}

/** With a lockfile, it alone says what ships: requirements files and pyproject ranges are not read. */
function lockedDeps(root: string, lock: Lockfile, lockNotes: string[], options: DependencyOptions): DeclaredDeps {
  for (const group of options.groups ?? []) {
    if (!lock.groups.includes(group)) {
      throw new BundleError("BAD_CONFIG", `Dependency group "${group}" is not in ${lock.rel} (has: ${lock.groups.join(", ") || "none"}). Fix the name in dependencies.groups, or set dependencies.lockfile: false to read pyproject.toml and the requirements files instead.`, { path: lock.path });
    }
  }
  const passedOver = [...(options.requirements ?? [DEFAULT_REQUIREMENTS]), "pyproject.toml"].filter((rel) => existsSync(join(root, rel)));
  const notes = [...lockNotes, ...(passedOver.length ? [`${passedOver.join(", ")}: dependency ranges not read, ${lock.rel} pins the versions (dependencies.lockfile: false to resolve them instead)`] : [])];
  const groups = options.groups?.length ? ` + ${options.groups.join(", ")}` : "";
  return { requirements: [], sources: [`${lock.rel} (main${groups})`], constraints: [], pipOptions: [], notes, localPaths: [], lock, files: [lock.path], inputs: digest({ lock: lock.sha256, groups: options.groups ?? [] }) };
}

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 24);

/** Lockfile names read at the root, for the watcher (a new or edited lockfile changes what ships). */
export const LOCKFILE_NAMES: readonly string[] = LOCKFILES;

/**
 * pip's hash-checking mode, checked before pip runs so the message names the line: once one
 * requirement carries --hash, every requirement must, pinned with == (pip refuses the whole set
 * otherwise, pyproject.toml's too, since they go to the same pip call).
 */
function checkHashes(found: readonly RequirementLine[]): void {
  if (!found.some((f) => /\s--hash[=\s]/.test(f.line))) return;
  for (const f of found) {
    const hashed = /\s--hash[=\s]/.test(f.line);
    // A wheel file (a path or a URL) is one exact file, so pip counts it as pinned.
    const pinned = /^[A-Za-z0-9._-]+(\[[^\]]*\])?\s*===?\s*[^\s,;]+\s*(;.*?)?(\s--hash|$)/.test(f.line) || /^(\S+\s*@\s*)?\S+\.whl(\s|$)/.test(f.line);
    if (hashed && pinned) continue;
    throw new BundleError(
      "BAD_CONFIG",
      `${f.where}: "${f.line}" ${hashed ? "is not pinned with ==" : "has no --hash"}, but other requirements carry hashes: pip then checks hashes for all of them and refuses the set (its --require-hashes mode). ` +
        `Fix: pin it with == and add its --hash=sha256:… (\`pip hash <wheel>\`, or pip-compile --generate-hashes), remove the hashes, or set dependencies: false.`,
    );
  }
}

const unique = (lines: string[]) => [...new Set(lines)];

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new BundleError("BAD_CONFIG", `${where} must be an array of requirement strings, e.g. ["humanize>=4"]. Fix it, or set dependencies: false.`);
  }
  return value.map((v) => v.trim()).filter(Boolean);
}

/** PEP 503 name normalization. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
