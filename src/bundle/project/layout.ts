// Where the project's Python sources live: explicit pythonRoots, pyproject setuptools keys, src/, or flat.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { parse as parseToml } from "smol-toml";
import { BundleError } from "../errors.js";

export interface PythonRoot {
  /** Absolute directory; zip paths of files under it are relative to it. */
  dir: string;
  /**
   * Declared roots (pythonRoots option, pyproject package-dir/where, a conventional src/) are pure
   * source: namespace packages (dirs with .py files but no __init__.py) are bundled from them.
   * An undeclared flat root is the project root itself, so only real packages and top-level modules count.
   */
  declared: boolean;
}

export interface Layout {
  roots: PythonRoot[];
  source: "option" | "pyproject" | "src" | "flat";
}

export function detectLayout(root: string, pythonRoots?: string[]): Layout {
  if (pythonRoots !== undefined && pythonRoots.length > 0) {
    return { roots: pythonRoots.map((dir) => checkedRoot(root, dir, "the pythonRoots option")), source: "option" };
  }
  const declared = pyprojectSourceDirs(root);
  if (declared.length > 0) {
    return { roots: declared.map((dir) => checkedRoot(root, dir, `${join(root, "pyproject.toml")}`)), source: "pyproject" };
  }
  const roots: PythonRoot[] = [];
  const src = join(root, "src");
  if (hasPythonTopLevel(src)) roots.push({ dir: src, declared: true });
  if (roots.length === 0 || hasPythonTopLevel(root)) roots.push({ dir: root, declared: false });
  return { roots, source: roots[0]!.dir === src ? "src" : "flat" };
}

function checkedRoot(root: string, dir: string, where: string): PythonRoot {
  const abs = resolve(root, dir);
  const rel = relative(root, abs);
  if (rel.startsWith("..") || isAbsolute(rel)) {
    throw new BundleError("BAD_CONFIG", `Python source root "${dir}" (from ${where}) is outside the project root ${root}. Use a directory inside it, or move the root.`);
  }
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (!isDir) {
    throw new BundleError("BAD_CONFIG", `Python source root "${dir}" (from ${where}) does not exist: ${abs}. Fix the path or create the directory.`, { path: abs });
  }
  return { dir: abs.endsWith(sep) ? abs.slice(0, -1) : abs, declared: true };
}

/** A top-level *.py module or a dir with __init__.py directly inside `dir`. */
function hasPythonTopLevel(dir: string): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw err;
  }
  return entries.some((e) => {
    if (e.name.endsWith(".py")) return !SKIPPED_TOP_MODULES.has(e.name);
    if (!e.isDirectory() || SKIPPED_TOP_PACKAGES.has(e.name)) return false;
    return statSync(join(dir, e.name, "__init__.py"), { throwIfNoEntry: false })?.isFile() === true;
  });
}

/** Project-tooling modules that live next to packages but are never imported by jobs. */
export const SKIPPED_TOP_MODULES = new Set(["setup.py", "conftest.py", "noxfile.py"]);
/** Test packages are not shipped unless `include` names them. */
export const SKIPPED_TOP_PACKAGES = new Set(["tests", "test"]);

/** Source dirs declared by pyproject: [tool.setuptools] package-dir "" and [tool.setuptools.packages.find] where. */
export function pyprojectSourceDirs(root: string): string[] {
  const toml = readPyproject(root);
  if (!toml) return [];
  const dirs: string[] = [];
  const packageDir = toml.get("tool.setuptools", "package-dir");
  if (isStringMap(packageDir) && typeof packageDir[""] === "string") dirs.push(packageDir[""]);
  const tableDir = toml.get("tool.setuptools.package-dir", "");
  if (typeof tableDir === "string") dirs.push(tableDir);
  const where = toml.get("tool.setuptools.packages.find", "where");
  if (Array.isArray(where)) for (const w of where) if (typeof w === "string") dirs.push(w);
  return [...new Set(dirs.map((d) => (d === "" ? "." : d)))];
}

/** [project] name, else [tool.poetry] name. */
export function pyprojectName(root: string): string | undefined {
  const toml = readPyproject(root);
  const name = toml?.get("project", "name") ?? toml?.get("tool.poetry", "name");
  return typeof name === "string" ? name : undefined;
}

type TomlTable = Record<string, unknown>;
const isTable = (v: unknown): v is TomlTable => typeof v === "object" && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isTable(v) && Object.values(v).every((x) => typeof x === "string");

/** The value at a dotted table path plus key, e.g. ("tool.setuptools", "package-dir"). */
function lookup(doc: TomlTable, table: string, key: string): unknown {
  let node: unknown = doc;
  for (const part of [...table.split("."), key]) {
    if (!isTable(node)) return undefined;
    node = node[part];
  }
  return node;
}

interface PyprojectDoc {
  get(table: string, key: string): unknown;
}

function readPyproject(root: string): PyprojectDoc | undefined {
  const file = join(root, "pyproject.toml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let doc: TomlTable;
  try {
    doc = parseToml(text) as TomlTable;
  } catch (err) {
    throw new BundleError("BAD_CONFIG", `Cannot read ${file}: ${(err as Error).message.split("\n")[0]}. Fix the TOML, or pass the pythonRoots option to skip layout detection.`, { path: file, cause: err });
  }
  return { get: (table, key) => lookup(doc, table, key) };
}
