// The project's own settings: where its root is, the "sparkAutobundle" field of its package.json,
// validated and merged under explicit options, and the name its artifacts carry.
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { MiB } from "../../shared/bytes.js";
import { CONFIG_FIELD } from "../defaults.js";
import type { DependencyOptions } from "../deps/declared.js";
import { BundleError } from "../errors.js";
import type { BundleConfig, BundleOptions } from "../options.js";
import { pyprojectName } from "./layout.js";
import { callerFileFromStack, findProjectRoot } from "./root.js";

const STRING_LIST_KEYS = ["include", "exclude", "pythonRoots", "jars"] as const;
const STRING_KEYS = ["root", "cacheDir"] as const;
const BYTE_KEYS = ["maxFileBytes", "maxBundleBytes"] as const;
const DEPENDENCY_KEYS = ["groups", "requirements", "serverHas", "platforms", "lockfile"] as const;
const KNOWN_KEYS = new Set<string>([...STRING_LIST_KEYS, ...STRING_KEYS, ...BYTE_KEYS, "watch", "dependencies"]);

/** Reads and validates `"sparkAutobundle"` from dir/package.json; {} when the file or field is absent. */
export function loadProjectConfig(dir: string): BundleConfig {
  const file = join(dir, "package.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new BundleError("BAD_CONFIG", `Cannot read ${file}: ${(err as Error).message}. Fix its permissions.`, {
      path: file,
      cause: err,
    });
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (err) {
    throw new BundleError("BAD_CONFIG", `${file} is not valid JSON (${(err as Error).message}). Fix the syntax.`, {
      path: file,
      cause: err,
    });
  }
  const raw = (pkg as Record<string, unknown> | null)?.[CONFIG_FIELD];
  if (raw === undefined) return {};
  return validateConfig(raw, `${file} field "${CONFIG_FIELD}"`);
}

export function validateConfig(raw: unknown, where: string): BundleConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new BundleError("BAD_CONFIG", `${where} must be an object like {"include": ["data/*.csv"]}.`);
  }
  const obj = raw as Record<string, unknown>;
  const out: BundleConfig = {};
  for (const [key, value] of Object.entries(obj)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new BundleError(
        "BAD_CONFIG",
        `${where} has unknown key "${key}". Known keys: ${[...KNOWN_KEYS].join(", ")}. Remove or rename it.`,
      );
    }
    if (value === undefined) continue;
    const problem = configValueProblem(key, value);
    if (problem !== undefined) throw new BundleError("BAD_CONFIG", `${where}.${key} ${problem}`);
    if (key === "dependencies") out.dependencies = validateDependencies(value, `${where}.dependencies`);
    else (out as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** What is wrong with a known setting's value ("must be …"), or undefined when it is fine. */
function configValueProblem(key: string, value: unknown): string | undefined {
  const got = `; got ${describeValue(value)}.`;
  if ((STRING_LIST_KEYS as readonly string[]).includes(key)) {
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return `must be an array of strings, e.g. ["pkg/**"]${got}`;
  } else if ((STRING_KEYS as readonly string[]).includes(key)) {
    if (typeof value !== "string" || value === "") return `must be a non-empty string path${got}`;
  } else if ((BYTE_KEYS as readonly string[]).includes(key)) {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) return `must be a positive integer number of bytes, e.g. ${50 * MiB}${got}`;
  } else if (key === "dependencies") {
    if (value !== false && (typeof value !== "object" || value === null || Array.isArray(value))) return `must be false or an object like ${DEPENDENCIES_EXAMPLE}${got}`;
  } else if (key === "watch") {
    if (typeof value !== "boolean") return `must be true or false${got}`;
  }
  return undefined;
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  if (Array.isArray(value)) return "an array holding something other than strings";
  if (value === null || typeof value === "number") return String(value);
  return typeof value === "object" ? "an object" : typeof value === "function" ? "a function" : `${typeof value} ${String(value)}`;
}

/** Options passed in code that are not settings: their expected types, checked like the settings are. */
const CODE_OPTION_PROBLEMS: Record<string, (value: unknown) => string | undefined> = {
  callerFile: (v) => (typeof v === "string" && v !== "" ? undefined : "must be a path or file:// URL (e.g. import.meta.url)"),
  onEvent: (v) => (typeof v === "function" ? undefined : "must be a function taking one event"),
  extraEntries: (v) => (typeof v === "function" ? undefined : "must be a function returning [{ zipPath, content }]"),
  onUploadProgress: (v) => (typeof v === "function" ? undefined : "must be a function (sentBytes, totalBytes) => void"),
  pythonVersion: (v) => (typeof v === "string" && /^\d+\.\d+$/.test(v) ? undefined : 'must be "major.minor", e.g. "3.11" (the workers\' Python)'),
};

/**
 * Options given in code (buildBundle, withAutoBundle), checked before any work: a string where a list
 * belongs would otherwise surface later as an odd error (a glob about "/"), a negative limit never.
 * Every bad option is named in the one error, each with its fix.
 */
export function validateOptions(options: object): void {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    let problem: string | undefined;
    if (KNOWN_KEYS.has(key)) {
      problem = configValueProblem(key, value);
      if (problem === undefined && key === "dependencies") {
        try {
          validateDependencies(value, "`dependencies`");
        } catch (err) {
          if (!(err instanceof BundleError)) throw err;
          problems.push(err.message);
          continue;
        }
      }
    } else {
      const check = CODE_OPTION_PROBLEMS[key];
      problem = check?.(value);
      if (problem !== undefined) problem += `; got ${describeValue(value)}.`;
    }
    if (problem !== undefined) problems.push(`\`${key}\` ${problem}`);
  }
  if (problems.length === 0) return;
  const head = problems.length === 1 ? "Bad option: " : `${problems.length} bad options:\n  `;
  throw new BundleError("BAD_CONFIG", `${head}${problems.join("\n  ")}`);
}

const DEPENDENCIES_EXAMPLE = `{"groups": ["ml"], "requirements": ["requirements.txt"], "serverHas": ["numpy"]}`;

function validateDependencies(value: unknown, where: string): DependencyOptions | false {
  if (value === false) return false;
  const example = DEPENDENCIES_EXAMPLE;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BundleError("BAD_CONFIG", `${where} must be false or an object like ${example}.`);
  }
  const out: DependencyOptions = {};
  for (const [key, list] of Object.entries(value)) {
    if (!(DEPENDENCY_KEYS as readonly string[]).includes(key)) {
      throw new BundleError("BAD_CONFIG", `${where} has unknown key "${key}". Known keys: ${DEPENDENCY_KEYS.join(", ")}. Remove or rename it.`);
    }
    if (key === "lockfile") {
      // A path (relative to the root) naming the lockfile, or false: none (resolve the requirements).
      if (list !== false && (typeof list !== "string" || list === "")) {
        throw new BundleError("BAD_CONFIG", `${where}.lockfile must be false (resolve the requirements, ignore lockfiles) or a lockfile path relative to the root, e.g. "uv.lock"; got ${describeValue(list)}.`);
      }
      out.lockfile = list;
      continue;
    }
    if (!Array.isArray(list) || !list.every((v) => typeof v === "string" && v !== "")) {
      throw new BundleError("BAD_CONFIG", `${where}.${key} must be an array of non-empty strings, e.g. ${example}.`);
    }
    out[key as Exclude<(typeof DEPENDENCY_KEYS)[number], "lockfile">] = [...list];
  }
  return out;
}

/** Explicit options win over config, key by key (undefined means "not given"). */
export function mergeConfig<T extends BundleConfig>(explicit: T, config: BundleConfig): T & BundleConfig {
  const merged: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(explicit)) if (value !== undefined) merged[key] = value;
  return merged as T & BundleConfig;
}

export interface ResolvedSettings {
  root: string;
  settings: BundleOptions;
}

/**
 * Root and settings: explicit root, else discovery from callerFile (else the first stack frame
 * outside this package, else the cwd). The package.json where discovery stopped may hold
 * "sparkAutobundle" settings; its `root` (relative to it) moves the root. Explicit options win.
 */
export function resolveBundleSettings(options: BundleOptions): ResolvedSettings {
  validateOptions(options);
  const callerFile = options.callerFile ?? (options.root === undefined ? callerFileFromStack() : undefined);
  const found = findProjectRoot({ root: options.root, callerFile });
  const config = loadProjectConfig(found);
  if (config.cacheDir !== undefined) config.cacheDir = resolve(found, config.cacheDir);
  const root = options.root === undefined && config.root !== undefined ? findProjectRoot({ root: resolve(found, config.root) }) : found;
  const settings = mergeConfig(options, config);
  if (options.cacheDir !== undefined) settings.cacheDir = resolve(options.cacheDir);
  return { root, settings: { ...settings, root } };
}

/**
 * The settings one build of an already-resolved `root` uses: the package.json in `root` is read
 * again (so an edit to its include, exclude, pythonRoots, limits or cacheDir reaches the next build
 * of a long-lived session), explicit options on top. The root itself is not searched for again.
 */
export function buildSettings(root: string, explicit: BundleOptions): BundleOptions {
  return resolveBundleSettings({ ...explicit, root }).settings;
}

/** pyproject [project] name, else package.json name, else the root dir name; limited to [A-Za-z0-9_.-]. */
export function projectNameOf(root: string): string {
  const raw = pyprojectName(root) ?? packageJsonName(root) ?? basename(root);
  const clean = raw.replace(/^@/, "").replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[._-]+|[._-]+$/g, "");
  return clean === "" ? "project" : clean;
}

function packageJsonName(root: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(root, "package.json"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (err) {
    throw new BundleError("BAD_CONFIG", `${join(root, "package.json")} is not valid JSON (${(err as Error).message}). Fix the syntax.`, { cause: err });
  }
  const name = (pkg as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : undefined;
}
