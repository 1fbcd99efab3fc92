// What the vitest integration is configured with, and what its globalSetup hands to tests.
import { validateConfig } from "../bundle/project/config.js";
import { type BundleConfig } from "../bundle/options.js";

/** Bundle settings the integration accepts; all serialisable, since they travel to the globalSetup and workers. */
export type VitestBundleConfig = Omit<BundleConfig, "watch">;

export interface SparkVitestOptions {
  /**
   * Spark Connect URL ("sc://host:15002/;token=..."), or "local" / "local[N]" for the embedded server.
   * Default: $SPARK_REMOTE, else the embedded local server (started once for the run).
   */
  remote?: string;
  /**
   * Bundle settings (include, exclude, pythonRoots, jars, cacheDir, ...). Merged over the project's
   * package.json "sparkAutobundle" field; `root` is relative to vitest's root.
   */
  bundle?: VitestBundleConfig;
  /** The workers' Python "major.minor"; default: the embedded server's, else probed once per run. */
  pythonVersion?: string;
  /** Leave an embedded server that this run started running afterwards (also SPARK_AUTOBUNDLE_KEEP_SERVER=1). */
  keepServer?: boolean;
  /** Re-run the tests when bundled Python files change under `vitest --watch`; default true. */
  watch?: boolean;
}

/** The bundle the globalSetup built, as tests see it. */
export interface ProvidedBundle {
  hash: string;
  hash12: string;
  projectName: string;
  /** Number of project files in the bundle. */
  files: number;
  bytes: number;
  zipPath: string;
}

/** What `inject("sparkAutobundle")` returns in tests. */
export interface SparkAutobundleContext {
  /** sc:// URL of the server the run uses, with its token. */
  remote: string;
  /** The project root the bundle is built from (absolute). */
  root: string;
  /** Bundle settings for sessions (root excluded: see `root`). */
  bundleOptions: VitestBundleConfig;
  /** The workers' Python "major.minor". */
  pythonVersion: string;
  bundle: ProvidedBundle;
}

/** provide() keys; the options key is set by the plugin for the globalSetup to read. */
export const CONTEXT_KEY = "sparkAutobundle";
export const OPTIONS_KEY = "sparkAutobundleOptions";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by the spark-autobundle globalSetup: the server URL and the bundle. */
    sparkAutobundle: SparkAutobundleContext;
    /** The sparkAutobundle() plugin's options, for its globalSetup. */
    sparkAutobundleOptions: SparkVitestOptions;
  }
}

const KNOWN_KEYS = ["remote", "bundle", "pythonVersion", "keepServer", "watch"];
const WHERE = "sparkAutobundle() options";

/** Checks options given in vitest.config; returns a plain copy that survives structuredClone. */
export function validateVitestOptions(raw: unknown): SparkVitestOptions {
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${WHERE} must be an object, e.g. sparkAutobundle({ bundle: { exclude: ["notebooks/**"] } }).`);
  }
  const given = raw as Record<string, unknown>;
  const out: SparkVitestOptions = {};
  for (const [key, value] of Object.entries(given)) {
    if (!KNOWN_KEYS.includes(key)) throw new TypeError(`${WHERE} has unknown key "${key}". Known keys: ${KNOWN_KEYS.join(", ")}. Remove or rename it.`);
    if (value === undefined) continue;
    if (key === "remote" || key === "pythonVersion") {
      if (typeof value !== "string" || value.trim() === "") throw new TypeError(`${WHERE}.${key} must be a non-empty string.`);
      out[key] = value.trim();
    } else if (key === "keepServer" || key === "watch") {
      if (typeof value !== "boolean") throw new TypeError(`${WHERE}.${key} must be true or false.`);
      out[key] = value;
    } else {
      const bundle = validateConfig(value, `${WHERE}.bundle`);
      if (bundle.watch !== undefined) {
        throw new TypeError(`${WHERE}.bundle.watch is not used under vitest; set the top-level \`watch\` option instead.`);
      }
      out.bundle = bundle;
    }
  }
  if (out.pythonVersion !== undefined && !/^\d+\.\d+$/.test(out.pythonVersion)) {
    throw new TypeError(`${WHERE}.pythonVersion "${out.pythonVersion}" must be "major.minor" of the workers' Python, e.g. "3.11".`);
  }
  return out;
}
