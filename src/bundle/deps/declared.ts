// The project's declared third-party dependencies: pyproject [project].dependencies (+ chosen
// optional groups) and requirements files (requirements.txt by default).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { BundleError } from "../errors.js";
import { DEFAULTS } from "../defaults.js";

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
  /** Requirement lines, trimmed, in source order, duplicates dropped. */
  requirements: string[];
  /** Where each came from, for `ls --explain`. */
  sources: string[];
}

/** Reads every declared requirement; a missing requirements file that was asked for is an error. */
export function readDeclaredDeps(root: string, options: DependencyOptions = {}): DeclaredDeps {
  const requirements: string[] = [];
  const sources: string[] = [];
  const add = (lines: string[], source: string) => {
    if (lines.length) sources.push(source);
    for (const line of lines) if (!requirements.includes(line)) requirements.push(line);
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
    add(stringList(project.dependencies, `${pyproject} [project].dependencies`), "pyproject.toml [project].dependencies");
    const optional = (project["optional-dependencies"] ?? {}) as Record<string, unknown>;
    for (const group of options.groups ?? []) {
      if (!(group in optional)) {
        throw new BundleError("BAD_CONFIG", `Dependency group "${group}" is not in ${pyproject} [project.optional-dependencies] (has: ${Object.keys(optional).join(", ") || "none"}). Fix the group name.`, { path: pyproject });
      }
      add(stringList(optional[group], `${pyproject} [project.optional-dependencies].${group}`), `pyproject.toml optional group ${group}`);
    }
  }
  const files = options.requirements ?? [DEFAULT_REQUIREMENTS];
  for (const rel of files) {
    const file = join(root, rel);
    if (!existsSync(file)) {
      if (options.requirements === undefined) continue;
      throw new BundleError("BAD_CONFIG", `Requirements file ${file} does not exist. Fix the path in dependencies.requirements.`, { path: file });
    }
    add(parseRequirementsText(readFileSync(file, "utf8"), file), rel);
  }
  return { requirements, sources };
}

/** Requirement lines of a requirements file; pip options (-r, -e, --index-url...) are refused. */
export function parseRequirementsText(text: string, file: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    if (line.startsWith("-")) {
      throw new BundleError("BAD_CONFIG", `${file}: "${line}" is a pip option; only plain requirements (name, version, markers) are supported. Fix: list the requirements themselves.`, { path: file });
    }
    out.push(line);
  }
  return out;
}

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
