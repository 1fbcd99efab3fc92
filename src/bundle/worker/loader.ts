// The per-bundle Python loader module placed at the zip's root. A UDF command unpickles to
// `<loader>.resolve(module_path, function_name)`, so this code runs on the worker each time a task
// loads the UDF, and gets the chance to make *this* bundle version win over others the reused
// worker has already seen (old versions of the same project stay on sys.path and in sys.modules).
// An overlay zip (see overlay.ts) holds a tiny stub instead, which borrows its base's loader code.
import type { ExtraEntry } from "../options.js";
import { LOADER_CORE_PY } from "./loader-core-py.js";
import { LOADER_OVERLAY_PY } from "./loader-overlay-py.js";

export interface LoaderSourceArgs {
  /** Project name as used in the zip's basename `<projectName>-<hash12>.zip`. */
  projectName: string;
  /** The 12 lowercase hex characters in the zip's basename. */
  hash12: string;
  /** Top-level module/package names inside the bundle, e.g. ["mylib", "helpers"]. */
  topLevelNames: readonly string[];
}

const HASH12 = /^[0-9a-f]{12}$/;
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;
/** The full loader module: version switching, then overlay support (used when this is a base). */
const LOADER_PY = LOADER_CORE_PY + LOADER_OVERLAY_PY;

/** Name of the loader module (and of its file `<name>.py` at the zip root) for bundle `hash12`. */
export function loaderModuleName(hash12: string): string {
  if (!HASH12.test(hash12)) {
    throw new TypeError(`loaderModuleName: hash12 ${JSON.stringify(hash12)} must be 12 lowercase hex characters, e.g. "0123456789ab"`);
  }
  return `_sab_loader_${hash12}`;
}

/** Python source (3.9+, stdlib only) of the loader module for one bundle. Deterministic for equal args. */
export function loaderSource(args: LoaderSourceArgs): string {
  const { projectName, hash12, topLevelNames } = args;
  const moduleName = loaderModuleName(hash12);
  if (!PROJECT_NAME.test(projectName)) {
    throw new TypeError(
      `loaderSource: projectName ${JSON.stringify(projectName)} can't be part of a zip name; use letters, digits, ".", "_" or "-" (starting with a letter or digit)`,
    );
  }
  for (const name of topLevelNames) {
    if (!IDENTIFIER.test(name) || name === moduleName) {
      throw new TypeError(
        `loaderSource: top-level name ${JSON.stringify(name)} is not an importable module name of the bundle; pass names like "mylib" (no dots, no ".py")`,
      );
    }
  }
  const names = [...new Set(topLevelNames)].sort();
  const pyTuple = names.length === 0 ? "()" : `(${names.map((n) => JSON.stringify(n)).join(", ")},)`;
  // Function replacers: no "$" patterns. JSON string literals are valid Python string literals.
  return LOADER_PY.replace("@PROJECT@", () => JSON.stringify(projectName))
    .replace("@HASH@", () => JSON.stringify(hash12))
    .replace("@TOP_LEVEL_NAMES@", () => pyTuple);
}

export interface OverlayLoaderArgs {
  /** hash12 of the base bundle, whose loader module holds the code the stub calls. */
  baseHash12: string;
  /** hash12 of the version (the content hash of its whole tree), for messages. */
  versionHash12: string;
  /** Zip paths of base files this version no longer has. */
  deleted: readonly string[];
}

/**
 * Python source of an overlay's loader stub (module loaderModuleName(<overlay id>)). It is kept tiny
 * because it is uploaded with every edit: the code lives in the base's loader (`_overlay_v1`).
 */
export function overlayLoaderSource(args: OverlayLoaderArgs): string {
  const { baseHash12, versionHash12, deleted } = args;
  const base = loaderModuleName(baseHash12);
  if (!HASH12.test(versionHash12)) {
    throw new TypeError(`overlayLoaderSource: versionHash12 ${JSON.stringify(versionHash12)} must be 12 lowercase hex characters, e.g. "0123456789ab"`);
  }
  const literals = deleted.map((path) => {
    if (typeof path !== "string" || path === "") throw new TypeError(`overlayLoaderSource: deleted path ${JSON.stringify(path)} must be a non-empty zip path`);
    return JSON.stringify(path); // a JSON string literal is a valid Python string literal
  });
  const tuple = literals.length === 0 ? "()" : `(${literals.join(",")},)`;
  return `import ${base} as b\nresolve = b._overlay_v1(__name__, "${versionHash12}", ${tuple})\n`;
}

/** The extra zip entry every full bundle carries: its loader module, built from the bundle's own paths. */
export function loaderEntries(projectName: string): (hash12: string, zipPaths: readonly string[]) => ExtraEntry[] {
  return (hash12, zipPaths) => [
    {
      zipPath: `${loaderModuleName(hash12)}.py`,
      content: Buffer.from(loaderSource({ projectName, hash12, topLevelNames: topLevelNames(zipPaths) })),
    },
  ];
}

/** Importable top-level names in the zip: "mylib/x.py" → "mylib", "tool.py" → "tool". */
export function topLevelNames(zipPaths: readonly string[]): string[] {
  const names = new Set<string>();
  for (const path of zipPaths) {
    const first = path.split("/")[0]!;
    const name = path.includes("/") ? first : first.endsWith(".py") ? first.slice(0, -3) : "";
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) names.add(name);
  }
  return [...names].sort();
}

