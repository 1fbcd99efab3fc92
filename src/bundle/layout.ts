// Where the project's Python sources live: explicit pythonRoots, pyproject setuptools keys, src/, or flat.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { BundleError } from "./options.js";

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

type TomlValue = string | TomlValue[] | { [key: string]: TomlValue };
const isStringMap = (v: unknown): v is Record<string, TomlValue> => typeof v === "object" && v !== null && !Array.isArray(v);

interface MiniToml {
  get(table: string, key: string): TomlValue | undefined;
}

function readPyproject(root: string): MiniToml | undefined {
  const file = join(root, "pyproject.toml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return readMiniToml(text);
  } catch (err) {
    throw new BundleError("BAD_CONFIG", `Cannot read ${file}: ${(err as Error).message}. Fix the TOML, or pass the pythonRoots option to skip layout detection.`, { path: file, cause: err });
  }
}

/**
 * Minimal TOML reader for the few keys above (a real parser, smol-toml, is wanted as a dependency).
 * Handles: [table] and [[array]] headers (quoted segments too), bare/quoted keys, basic and literal
 * strings (multi-line ones are skipped safely), arrays and inline tables of strings, comments.
 * Numbers, booleans and dates are kept as raw text. Dotted keys inside a table are kept verbatim.
 */
export function readMiniToml(text: string): MiniToml {
  const values = new Map<string, TomlValue>();
  let table = "";
  for (const statement of splitStatements(text)) {
    if (statement.startsWith("[[")) {
      table = "\0array"; // entries of arrays of tables are never the keys we read
    } else if (statement.startsWith("[")) {
      const cursor = new Cursor(statement, 1);
      table = cursor.keyPath("]");
    } else {
      const cursor = new Cursor(statement, 0);
      const key = cursor.keyPath("=");
      values.set(`${table}\0${key}`, cursor.value());
    }
  }
  return { get: (t, k) => values.get(`${t}\0${k}`) };
}

/** Splits into header/key-value statements: newlines end one unless inside brackets or strings. */
function splitStatements(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const end = stringEnd(text, i);
      current += text.slice(i, end);
      i = end - 1;
    } else if (ch === "#") {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
    } else if (ch === "\n" && depth === 0) {
      if (current.trim() !== "") out.push(current.trim());
      current = "";
    } else {
      if (ch === "[" || ch === "{") depth++;
      if (ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
      current += ch;
    }
  }
  if (current.trim() !== "") out.push(current.trim());
  return out;
}

/** Index just past the string literal starting at `start` (handles """ ''' and escapes). */
function stringEnd(text: string, start: number): number {
  const quote = text[start]!;
  const triple = text.startsWith(quote.repeat(3), start);
  const closing = triple ? quote.repeat(3) : quote;
  for (let i = start + closing.length; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") {
      i++;
    } else if (text.startsWith(closing, i)) {
      let end = i + closing.length;
      // Up to two quotes may end a multi-line string's content: """a"""" is the string a".
      for (let extra = 0; triple && extra < 2 && text[end] === quote; extra++) end++;
      return end;
    } else if (!triple && text[i] === "\n") {
      throw new Error(`unterminated string at offset ${start}`);
    }
  }
  throw new Error(`unterminated string at offset ${start}`);
}

class Cursor {
  constructor(private readonly s: string, private i: number) {}

  private skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  /** Reads `a."b c".d` up to `stop`, returning segments joined by "." (quotes removed). */
  keyPath(stop: string): string {
    const parts: string[] = [];
    for (;;) {
      this.skipSpace();
      const ch = this.s[this.i];
      if (ch === '"' || ch === "'") {
        parts.push(this.string());
      } else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i));
        if (!m) throw new Error(`bad key in "${this.s.slice(0, 60)}"`);
        parts.push(m[0]);
        this.i += m[0].length;
      }
      this.skipSpace();
      if (this.s[this.i] === ".") {
        this.i++;
        continue;
      }
      if (this.s[this.i] !== stop) throw new Error(`expected "${stop}" in "${this.s.slice(0, 60)}"`);
      this.i++;
      return parts.join(".");
    }
  }

  value(): TomlValue {
    this.skipSpace();
    const ch = this.s[this.i];
    if (ch === '"' || ch === "'") return this.string();
    if (ch === "[") return this.list("]", () => this.value());
    if (ch === "{") {
      const table: Record<string, TomlValue> = {};
      this.list("}", () => {
        const key = this.keyPath("=");
        table[key] = this.value();
        return table[key]!;
      });
      return table;
    }
    const m = /^[^,\]}\s]+/.exec(this.s.slice(this.i));
    if (!m) throw new Error(`bad value in "${this.s.slice(0, 60)}"`);
    this.i += m[0].length;
    return m[0];
  }

  private list(close: string, item: () => TomlValue): TomlValue[] {
    const items: TomlValue[] = [];
    this.i++;
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === close) break;
      items.push(item());
      this.skipSpace();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] !== close) throw new Error(`expected "," or "${close}" in "${this.s.slice(0, 60)}"`);
    }
    this.i++;
    return items;
  }

  private string(): string {
    const end = stringEnd(this.s, this.i);
    const raw = this.s.slice(this.i, end);
    this.i = end;
    if (raw.startsWith("'''")) return raw.slice(3, -3).replace(/^\n/, "");
    if (raw.startsWith("'")) return raw.slice(1, -1);
    if (raw.startsWith('"""')) return raw.slice(3, -3).replace(/^\n/, "");
    return JSON.parse(raw.replace(/\\U([0-9A-Fa-f]{8})/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))) as string;
  }
}
