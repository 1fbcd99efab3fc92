// pip requirements files as projects write them: `-r`/`-c` includes (relative to the including file),
// `-e .` or a path to the project itself (its code ships as the bundle: skipped with a note), other local
// paths (`../lib`, `-e ./libs/foo`, `file:///…`, `name @ file:///…`: shipped as source, see local.ts),
// index options passed on to pip, `--hash` pins, markers, comments, `\` continuations and ${VAR}s.
// Parsed the way pip's req_file.py does, so a file pip accepts means the same thing here.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { BundleError } from "../errors.js";
import type { LocalPath } from "./local.js";

/** A requirement and the file:line it came from (for messages). */
export interface RequirementLine {
  /** As pip reads it: the specifier with markers, and any `--hash=…` options after it. */
  line: string;
  where: string;
}

export interface ParsedRequirements {
  requirements: RequirementLine[];
  /** Lines of `-c` files: versions pip must keep to, without asking for the packages. */
  constraints: string[];
  /** Index options, one per line as pip reads them in a requirements file (`--index-url https://…`). */
  pipOptions: string[];
  /** What was skipped, and why (shown by `ls --explain`). */
  notes: string[];
  /** Local package directories to ship as source. */
  localPaths: LocalPath[];
  /** Every file read (with -r/-c includes): a change to any of them is a change of the dependencies. */
  files: string[];
}

export const emptyParsed = (): ParsedRequirements => ({ requirements: [], constraints: [], pipOptions: [], notes: [], localPaths: [], files: [] });

// Passed to pip as they are: they choose where packages come from, not what is installed.
const VALUE_OPTIONS: Record<string, string> = { "-i": "--index-url", "--index-url": "--index-url", "--extra-index-url": "--extra-index-url", "-f": "--find-links", "--find-links": "--find-links", "--trusted-host": "--trusted-host" };
const FLAG_OPTIONS = new Set(["--no-index", "--pre", "--prefer-binary"]);

const OUT_OF_THE_WAY = "or set dependencies: false (in the sparkAutobundle options) and install the dependencies on the workers yourself";

/** Reads `file` (and what it includes) into `into`; `root` is the project, which `-e .` and the like name. */
export function readRequirementsFile(file: string, root: string, into: ParsedRequirements = emptyParsed()): ParsedRequirements {
  readInto(file, root, into, [], false);
  return into;
}

function readInto(file: string, root: string, out: ParsedRequirements, stack: string[], constraint: boolean): void {
  const real = existsSync(file) ? realpathSync(file) : file;
  if (stack.includes(real)) {
    const chain = [...stack.slice(stack.indexOf(real)), real].map((f) => relative(root, f) || f).join(" → ");
    throw new BundleError("BAD_CONFIG", `Requirements files include each other in a cycle (${chain}). Fix: remove one of the -r/-c lines, ${OUT_OF_THE_WAY}.`, { path: file });
  }
  const text = readFileSync(file, "utf8");
  if (!out.files.includes(file)) out.files.push(file);
  for (const { line, number } of logicalLines(text)) {
    const where = `${relative(root, file) || file}:${number}`;
    const fail = (why: string): never => {
      throw new BundleError("BAD_CONFIG", `${where}: "${line}" ${why}. Fix: edit that line, ${OUT_OF_THE_WAY}.`, { path: file });
    };
    if (line.startsWith("-")) {
      const { name, value } = splitOption(line);
      if (name === "-r" || name === "--requirement" || name === "-c" || name === "--constraint") {
        if (!value) fail("names no file");
        const included = resolve(dirname(file), value!);
        if (!existsSync(included)) fail(`includes ${included}, which does not exist`);
        readInto(included, root, out, [...stack, real], constraint || name === "-c" || name === "--constraint");
      } else if (name === "-e" || name === "--editable") {
        if (!value || !isLocalPath(value)) fail("is an editable install from a URL or VCS, which can't ship to the workers as a wheel");
        localPath(value!, [], line, file, root, where, out, fail, constraint);
      } else if (name in VALUE_OPTIONS) {
        if (!value) fail("names no value");
        out.pipOptions.push(`${VALUE_OPTIONS[name]} ${findLinksPath(VALUE_OPTIONS[name]!, value!, file)}`);
      } else if (FLAG_OPTIONS.has(name)) {
        out.pipOptions.push(name);
      } else {
        fail("is a pip option spark-autobundle does not pass on (supported: -r, -c, -e <path>, --index-url, --extra-index-url, --find-links, --trusted-host, --no-index, --pre, --prefer-binary, and --hash after a requirement)");
      }
      continue;
    }
    const [spec, ...options] = splitRequirement(line);
    for (const option of options) if (!/^--hash[=\s]\S+:\S+$/.test(option)) fail(`has the option "${option}"; only --hash=<algorithm>:<digest> may follow a requirement`);
    const direct = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*@\s*(file:\S+)(.*)$/.exec(spec!);
    if (isLocalPath(spec!) || direct) {
      localPath(direct ? `${direct[2]}${direct[3]}` : spec!, options, line, file, root, where, out, fail, constraint);
      continue;
    }
    if (constraint) out.constraints.push(line);
    else out.requirements.push({ line, where });
  }
}

/**
 * Lines as pip sees them: `\` at the end joins the next line, `#` after whitespace starts a comment,
 * ${VAR} is the environment variable's value (left as is when unset, as pip does). Numbered from 1 by
 * the first physical line of each.
 */
export function logicalLines(text: string, env: NodeJS.ProcessEnv = process.env): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const number = i + 1;
    let line = physical[i]!;
    while (line.endsWith("\\") && !/(^|\s)#/.test(line) && i + 1 < physical.length) line = line.slice(0, -1) + physical[++i]!;
    // Runs of blanks collapsed: a continued line reads "humanize >=4.0", not "humanize     >=4.0".
    line = line.replace(/(^|\s+)#.*$/, "").replace(/\$\{([A-Z0-9_]+)\}/g, (all, name: string) => env[name] ?? all).replace(/\s+/g, " ").trim();
    if (line) out.push({ line, number });
  }
  return out;
}

/** "-r base.txt", "-rbase.txt", "--requirement=base.txt", "--pre" → name and value. */
function splitOption(line: string): { name: string; value?: string } {
  const long = /^(--[A-Za-z0-9-]+)(?:\s*=\s*|\s+)?(.*)$/.exec(line);
  if (line.startsWith("--") && long) return { name: long[1]!, value: long[2]!.trim() || undefined };
  return { name: line.slice(0, 2), value: line.slice(2).replace(/^\s*=?\s*/, "").trim() || undefined };
}

/** The specifier, then each option after it (pip: the first token starting with "-" ends the requirement). */
function splitRequirement(line: string): string[] {
  const at = line.search(/\s-/);
  if (at < 0) return [line];
  const options = line.slice(at).trim().split(/\s+(?=-)/);
  return [line.slice(0, at).trim(), ...options];
}

/** "." "../lib" "/abs/pkg" "file:..." name a directory on disk, not a distribution on an index. */
function isLocalPath(spec: string): boolean {
  if (/^(\.{1,2}([\\/]|$)|[\\/]|~|file:)/.test(spec)) return true;
  return /[\\/]/.test(spec) && !/:\/\/|\s@\s|@/.test(spec);
}

/**
 * A path requirement: the project itself is skipped with a note (its code ships as the bundle); a wheel
 * file goes to pip as it is; another directory is a local package shipped as source (local.ts).
 */
function localPath(spec: string, options: readonly string[], line: string, file: string, root: string, where: string, out: ParsedRequirements, fail: (why: string) => never, constraint: boolean): void {
  if (constraint) fail("is a local path in a constraints file, which pip does not allow");
  const [target = "", marker] = spec.split(/\s*;\s*/, 2);
  const path = resolve(dirname(file), decodeURI(target.replace(/^file:(\/\/(localhost)?)?/, "")).replace(/\[[^\]]*\]$/, "").replace(/^~(?=\/|$)/, homedir()));
  if (path === resolve(root)) {
    out.notes.push(`${where}: "${line}" skipped: it is this project, whose code ships as the bundle`);
    return;
  }
  if (/\.whl$/.test(path)) {
    if (!existsSync(path)) fail(`names the wheel ${path}, which does not exist`);
    out.requirements.push({ line: [marker ? `${path} ; ${marker}` : path, ...options].join(" "), where });
    return;
  }
  // We hash a directory's files ourselves (content-addressed); pip can't check a hash of a directory either.
  if (options.length) fail("puts --hash on a local directory, which has no single file to check; remove the --hash");
  if (!existsSync(path) || !statSync(path).isDirectory()) fail(`names ${path}, which is not a directory or a .whl file (an sdist archive can't ship: only wheels and source directories do)`);
  out.localPaths.push({ path, line, where, marker });
  out.notes.push(`${where}: "${line}" shipped as source: a local package (${relative(root, path) || path})`);
}

/** pip reads a relative --find-links next to the requirements file when it exists there. */
function findLinksPath(option: string, value: string, file: string): string {
  if (option !== "--find-links" || /:\/\//.test(value) || isAbsolute(value)) return value;
  const local = resolve(dirname(file), value);
  return existsSync(local) ? local : value;
}
