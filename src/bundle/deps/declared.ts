// The project's declared third-party dependencies: pyproject [project].dependencies (+ chosen
// optional groups) and requirements files (requirements.txt by default; their syntax: requirements-file.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { BundleError } from "../errors.js";
import { DEFAULTS } from "../defaults.js";
import { readRequirementsFile, type ParsedRequirements, type RequirementLine } from "./requirements-file.js";

/** `dependencies` option: false turns shipping off; groups / requirements pick more sources. */
export interface DependencyOptions {
  /** [project.optional-dependencies] groups to add, e.g. ["ml"]. */
  groups?: string[];
  /** Requirements files relative to the root; default ["requirements.txt"] (when it exists). */
  requirements?: string[];
  /** Distributions the server already has (beyond what is discovered), never shipped. */
  serverHas?: string[];
  /** pip --platform tags of the workers; default: the embedded server's machine. */
  platforms?: string[];
}

/** Read when it exists and no requirements files are configured. */
export const DEFAULT_REQUIREMENTS = DEFAULTS.requirementsFile;

export interface DeclaredDeps {
  /** Requirement lines, trimmed, in source order, duplicates dropped (a line may end in `--hash=…` options). */
  requirements: string[];
  /** Where each came from, for `ls --explain`. */
  sources: string[];
  /** Lines of the requirements files' `-c` constraints files. */
  constraints: string[];
  /** Index options of the requirements files, passed on to pip (`--index-url https://…`). */
  pipOptions: string[];
  /** Lines skipped, and why (`-e .`: the project ships as the bundle). */
  notes: string[];
}

/** Reads every declared requirement; a missing requirements file that was asked for is an error. */
export function readDeclaredDeps(root: string, options: DependencyOptions = {}): DeclaredDeps {
  const found: RequirementLine[] = [];
  const sources: string[] = [];
  const add = (lines: RequirementLine[], source: string) => {
    if (lines.length) sources.push(source);
    for (const line of lines) if (!found.some((f) => f.line === line.line)) found.push(line);
  };
  const pyproject = join(root, "pyproject.toml");
  if (existsSync(pyproject)) {
    let doc: Record<string, unknown>;
    try {
      doc = parse(readFileSync(pyproject, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new BundleError("BAD_CONFIG", `${pyproject} is not valid TOML (${(err as Error).message}). Fix its syntax.`, { path: pyproject, cause: err });
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
  const parsed: ParsedRequirements = { requirements: [], constraints: [], pipOptions: [], notes: [] };
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
  return { requirements: found.map((f) => f.line), sources, constraints: unique(parsed.constraints), pipOptions: unique(parsed.pipOptions), notes: parsed.notes };
}

/**
 * pip's hash-checking mode, checked before pip runs so the message names the line: once one
 * requirement carries --hash, every requirement must, pinned with == (pip refuses the whole set
 * otherwise, pyproject.toml's too, since they go to the same pip call).
 */
function checkHashes(found: readonly RequirementLine[]): void {
  if (!found.some((f) => /\s--hash[=\s]/.test(f.line))) return;
  for (const f of found) {
    const hashed = /\s--hash[=\s]/.test(f.line);
    const pinned = /^[A-Za-z0-9._-]+(\[[^\]]*\])?\s*===?\s*[^\s,;]+\s*(;.*?)?(\s--hash|$)/.test(f.line);
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
    throw new BundleError("BAD_CONFIG", `${where} must be an array of requirement strings, e.g. ["humanize>=4"].`);
  }
  return value.map((v) => v.trim()).filter(Boolean);
}

/** PEP 503 name normalization. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
