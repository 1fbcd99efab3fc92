import { readFile } from "node:fs/promises";
import type { SparkSession } from "../connect/session.js";
import { commandPlan } from "../connect/relations-builders.js";
import { pythonUdfPlaceholders } from "../connect/udf.js";
import { pythonUdfCommand } from "../connect/udfcommand.js";
import { buildBundle, projectNameOf, resolveBundleSettings, type BundleResult } from "./build.js";
import { findJars, type JarArtifact } from "./jars.js";
import { loaderModuleName, loaderSource } from "./loader.js";
import type { BundleEvent, BundleOptions } from "./options.js";
import { discoverPythonVersion } from "./pyver.js";
import { uploadMissing, type UploadCounters } from "./upload.js";
import { callerFileFromStack } from "./root.js";

export interface AutoBundleOptions extends Omit<BundleOptions, "extraEntries" | "onEvent"> {
  /** The workers' Python "major.minor"; discovered from the server when not given. */
  pythonVersion?: string;
  onEvent?: (event: AutoBundleEvent) => void;
}

export type AutoBundleEvent =
  | BundleEvent
  | { type: "upload"; names: string[]; bytes: number; hash: string }
  | { type: "up-to-date"; hash: string }
  | { type: "python-version"; version: string };

/** The per-session auto-bundle engine; see withAutoBundle. */
export class AutoBundle {
  /** Client-side counters: an unchanged re-run must add nothing here. */
  readonly counters: UploadCounters = { uploads: 0, bytes: 0, artifacts: 0 };
  /** The bundle the session holds now. */
  current: BundleResult | undefined;
  /** What the session holds on the server, by artifact name. */
  private readonly held = new Set<string>();
  private pythonVersion: Promise<string> | undefined;
  private inFlight: Promise<BundleResult> | undefined;
  private registeredWith: string | undefined;
  private readonly root: string;
  private readonly projectName: string;

  constructor(
    private readonly session: SparkSession,
    private readonly options: AutoBundleOptions,
  ) {
    this.root = resolveBundleSettings({ ...options, extraEntries: undefined, onEvent: undefined }).root;
    this.projectName = projectNameOf(this.root);
    session.onSessionChange(() => {
      // A new server-side session holds nothing we sent, and no UDF we registered.
      this.held.clear();
      this.registeredWith = undefined;
    });
  }

  /** Brings the session up to date with the project's current code (single flight). */
  sync(): Promise<BundleResult> {
    this.inFlight ??= this.syncOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The plan hook: sync, then fill every Python UDF placeholder for this bundle. */
  async beforePlan(message: object): Promise<void> {
    const bundle = await this.sync();
    await this.fillPlaceholders(message, bundle);
  }

  /** Points every Python UDF placeholder in `message` at this bundle's loader. */
  private async fillPlaceholders(message: object, bundle: BundleResult): Promise<void> {
    const placeholders = pythonUdfPlaceholders(message);
    if (placeholders.length === 0) return;
    const pythonVer = await this.workerPythonVersion();
    const loaderModule = loaderModuleName(bundle.hash12);
    for (const { udf, ref } of placeholders) {
      udf.command = pythonUdfCommand({ loaderModule, modulePath: ref.module, functionName: ref.qualname, returnTypeJson: ref.returnTypeJson });
      udf.pythonVer = pythonVer;
    }
  }

  private workerPythonVersion(): Promise<string> {
    this.pythonVersion ??= discoverPythonVersion(this.session, this.options.pythonVersion).then((version) => {
      this.options.onEvent?.({ type: "python-version", version });
      return version;
    });
    this.pythonVersion.catch(() => (this.pythonVersion = undefined));
    return this.pythonVersion;
  }

  private async syncOnce(): Promise<BundleResult> {
    const bundle = await buildBundle({
      ...this.options,
      root: this.root,
      onEvent: this.options.onEvent,
      extraEntries: (hash12, zipPaths) => [
        {
          zipPath: `${loaderModuleName(hash12)}.py`,
          content: Buffer.from(loaderSource({ projectName: this.projectName, hash12, topLevelNames: topLevelNames(zipPaths) })),
        },
      ],
    });
    const pyfile = `pyfiles/${bundle.projectName}-${bundle.hash12}.zip`;
    const jars: JarArtifact[] = this.options.jars?.length ? await findJars(this.root, this.options.jars) : [];
    const before = this.counters.bytes;
    const sent = await uploadMissing(
      this.session.client,
      this.held,
      [{ name: pyfile, read: () => readFile(bundle.zipPath) }, ...jars.map((j) => ({ name: j.name, read: () => readFile(j.path) }))],
      this.counters,
    );
    if (sent.length > 0) this.options.onEvent?.({ type: "upload", names: sent, bytes: this.counters.bytes - before, hash: bundle.hash });
    else this.options.onEvent?.({ type: "up-to-date", hash: bundle.hash });
    this.current = bundle;
    if (this.registeredWith !== bundle.hash) await this.reregisterSqlUdfs(bundle);
    return bundle;
  }

  // SQL-registered UDFs hold the command of the bundle they were registered with;
  // registering them again points them at this one.
  private async reregisterSqlUdfs(bundle: BundleResult): Promise<void> {
    this.registeredWith = bundle.hash;
    for (const [name, udf] of this.session.udf.registeredPython) {
      const fn = udf.toFunction(name, []);
      await this.fillPlaceholders(fn, bundle);
      // Straight to the client: going through the session would re-enter this hook.
      for await (const response of this.session.client.execute(commandPlan({ case: "registerFunction", value: fn }))) void response;
    }
  }
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

const engines = new WeakMap<SparkSession, AutoBundle>();

/**
 * Installs the auto-bundle hook: before every job that may run project code,
 * the session holds the project's current Python source (and jars). Returns
 * the same session. Synchronous and lazy; calling it twice is harmless.
 */
export function withAutoBundle<S extends SparkSession>(session: S, options: AutoBundleOptions = {}): S {
  if (engines.has(session)) return session;
  // Captured now: later the stack no longer leads back to the caller.
  const callerFile = options.callerFile ?? (options.root === undefined ? callerFileFromStack() : undefined);
  const engine = new AutoBundle(session, { ...options, callerFile });
  engines.set(session, engine);
  session.udf.pythonEnabled = true;
  session.addPlanHook((_kind, message) => engine.beforePlan(message));
  return session;
}

/** The auto-bundle engine of a session wrapped by withAutoBundle (for counters and events). */
export function autoBundleOf(session: SparkSession): AutoBundle | undefined {
  return engines.get(session);
}
