// The session engine: before each job, brings the session up to date with the project's code.
// A sync runs in phases: hash the project, plan full or overlay (a pure decision), write that
// archive, upload what the session lacks, re-register what points at older code.
import type { SparkSession } from "../connect/session.js";
import { commandPlan } from "../connect/sql/plans.js";
import { pythonUdfPlaceholders, requireEvalTypesSupported } from "../connect/python/udf.js";
import { pythonUdfCommand } from "./worker/command.js";
import { onceEachWarning, openBuild, type BundleEventSink, type BundleResult } from "./archive/build.js";
import { archiveSha256, BundleCache, damagedArchive, defaultCacheDir } from "./archive/cache.js";
import { buildSettings, projectNameOf, resolveBundleSettings } from "./project/config.js";
import { SessionJars } from "./jars.js";
import { loaderEntries } from "./worker/loader.js";
import { buildVersion, loaderModuleOf, OverlayPlanner, syncedBundle, type SyncedBundle } from "./overlay.js";
import type { BundleEvent, WatchEvent } from "./events.js";
import type { BundleOptions } from "./options.js";
import { discoverPythonVersion } from "./worker/pyver.js";
import { requirementsFiles, type DependencyOptions } from "./deps/declared.js";
import { DepsShipper } from "./deps/shipper.js";
import { depsZipSha12 } from "./deps/wheels.js";
import { uploadMissing, type UploadCounters } from "./upload.js";
import { callerFileFromStack } from "./project/root.js";
import { watchEnabled } from "./watch/watcher.js";
import { ChangeTracker } from "./watch/tracker.js";
import type { BundleSession } from "./session-port.js";
import { claimSpare, spareStateFile, startSpareMaker, type SpareSeed } from "./spare/spare.js";
import { timed } from "../shared/debug.js";

export interface AutoBundleOptions extends Omit<BundleOptions, "extraEntries" | "onEvent"> {
  /** The workers' Python "major.minor"; discovered from the server when not given. */
  pythonVersion?: string;
  onEvent?: (event: AutoBundleEvent) => void;
  /** Upload progress of a sync's artifacts (bytes handed to the stream so far, of the total). */
  onUploadProgress?: (sentBytes: number, totalBytes: number) => void;
  /**
   * Spare sessions (spare/spare.ts): on the embedded server, a stopped session leaves a warm one for the
   * project's next run. Default on there (not under a test runner, not in watch mode); false: off.
   */
  spareSession?: boolean;
}

export type AutoBundleEvent =
  | BundleEvent
  | { type: "upload"; names: string[]; bytes: number; hash: string }
  | { type: "up-to-date"; hash: string }
  /** The synced version `hash` is shipped as `artifact`, an overlay on the full upload of `base`. */
  | { type: "overlay"; hash: string; base: string; artifact: string; changed: number; deleted: number }
  | { type: "python-version"; version: string }
  /** The session continues on a spare the project's previous run left (spare/spare.ts); `holds`: its artifacts. */
  | { type: "spare"; sessionId: string; holds: string[] }
  /** Jars the session held changed (rebuilt, renamed, removed): the job runs on a new server-side session. */
  | { type: "jar-changed"; jars: string[]; previousSessionId: string; sessionId: string }
  | { type: "deps"; artifact: string | undefined; native: string | undefined; resolvedNow: boolean; shipped: string[]; skipped: string[] }
  | WatchEvent;

/** What the engine uses of a DepsShipper: the current resolution (resolving if needed), and the last one. */
export type DepsSource = Pick<DepsShipper, "current" | "last"> & Partial<Pick<DepsShipper, "inputsUnchanged">>;

/**
 * What the engine learns from the workers: their Python version, and (dependency shipping) the
 * resolution of the declared deps for their platform. The real ones run probe jobs on a SparkSession
 * (sparkProbes), so they sit outside BundleSession; a test stands in for them: no probe job, no pip.
 */
export interface WorkerProbes {
  pythonVersion(override: string | undefined): Promise<string>;
  deps(root: string, cacheDir: string, options: DependencyOptions, pythonVersion: () => Promise<string>): DepsSource;
}

/** The real probes: jobs on the session's workers (or the local server's facts, when it has them). */
export function sparkProbes(session: BundleSession): WorkerProbes {
  return {
    pythonVersion: (override) => discoverPythonVersion(session, override),
    deps: (root, cacheDir, options, pythonVersion) => new DepsShipper(session, root, cacheDir, options, pythonVersion),
  };
}

/** The per-session auto-bundle engine; see withAutoBundle. */
export class AutoBundle {
  /** Client-side counters: an unchanged re-run must add nothing here. */
  readonly counters: UploadCounters = { uploads: 0, bytes: 0, artifacts: 0 };
  /** The bundle the session holds now. */
  current: SyncedBundle | undefined;
  /** What the session holds on the server, by artifact name. */
  private readonly held = new Set<string>();
  private pythonVersion: Promise<string> | undefined;
  private inFlight: Promise<BundleResult> | undefined;
  private registeredWith: string | undefined;
  private readonly root: string;
  /** The options as given, with the root resolved: what each build's settings start from. */
  private readonly explicit: BundleOptions;
  private readonly projectName: string;
  /** Where build events go: each warning once per engine, see reportBuildEvent. */
  private readonly report: BundleEventSink;
  private readonly overlays: OverlayPlanner;
  private readonly tracker: ChangeTracker;
  /** Bumped when the server-side session changes; a sync counts only for the epoch it began in. */
  private sessionEpoch = 0;
  private syncedEpoch = -1;
  /** Third-party dependencies (undefined: turned off). */
  readonly deps: DepsSource | undefined;
  private readonly probes: WorkerProbes;
  /** The option's jars, else package.json's "sparkAutobundle".jars (read once per engine, like root). */
  private readonly jars: SessionJars;
  /** The embedded server's state file, when this session uses and leaves spare sessions. */
  private readonly spares: string | undefined;
  /** Claiming a spare and the first sync, started as the session is wrapped: the first job awaits it. */
  private early: Promise<unknown> | undefined;

  /** `probes`: what the engine learns from the workers; a test passes its own (no probe job, no pip). */
  constructor(
    private readonly session: BundleSession,
    private readonly options: AutoBundleOptions,
    probes: WorkerProbes = sparkProbes(session),
  ) {
    this.probes = probes;
    // Resolved once per engine (root, cache dir, watch, dependencies); each build re-reads only the
    // root's package.json (buildSettings), so edits to it still reach the next build.
    const resolved = resolveBundleSettings({ ...options, extraEntries: undefined, onEvent: undefined });
    this.root = resolved.root;
    this.explicit = { ...options, root: this.root, extraEntries: undefined, onEvent: undefined };
    this.report = onceEachWarning((event) => this.reportBuildEvent(event));
    // The option, else package.json's "sparkAutobundle".dependencies (read once per engine, like root).
    const dependencies = resolved.settings.dependencies;
    this.projectName = projectNameOf(this.root);
    this.jars = new SessionJars(this.root, resolved.settings.jars ?? []);
    this.overlays = new OverlayPlanner(this.projectName);
    this.tracker = new ChangeTracker({
      scope: { root: this.root, cacheDir: resolved.settings.cacheDir ?? defaultCacheDir(), inputs: requirementsFiles(dependencies) },
      projectName: this.projectName,
      watch: watchEnabled(options.watch, resolved.settings.watch),
      sync: () => this.sync(),
      uploadedBytes: () => this.counters.bytes,
      onEvent: options.onEvent,
    });
    if (dependencies !== false) {
      const cacheDir = resolved.settings.cacheDir ?? defaultCacheDir();
      this.deps = this.probes.deps(this.root, cacheDir, dependencies ?? {}, () => this.workerPythonVersion());
    }
    session.onSessionChange(() => {
      // A new server-side session holds nothing we sent, and no UDF we registered.
      this.held.clear();
      this.registeredWith = undefined;
      this.sessionEpoch++;
    });
    this.spares = spareStateFile(session, options.spareSession, watchEnabled(options.watch, resolved.settings.watch));
    session.onStop(() => {
      void this.close();
      // Only a project that bundled: one that failed to would fail its spare too.
      if (this.spares !== undefined && this.current !== undefined) startSpareMaker(this.spares, this.root, this.explicit, this.options.pythonVersion);
    });
  }

  /** Claims this project's spare session, then syncs: as the session is wrapped, before the first job. */
  startEarly(): void {
    if (this.spares === undefined) return;
    this.early = timed("spare-claim", () => claimSpare(this.session, this.spares!, this.root)).then((seed) => (seed && this.seed(seed), this.sync()));
    // A failed early sync is not lost: the first job syncs again and reports it.
    this.early.catch(ignore);
  }

  /** What this session holds, for a spare made from it (spare/maker.ts). */
  spareSeed(): SpareSeed {
    return { artifacts: [...this.held], base: this.overlays.currentBase };
  }

  private seed(seed: SpareSeed): void {
    this.options.onEvent?.({ type: "spare", sessionId: this.session.sessionId, holds: seed.artifacts });
    for (const name of seed.artifacts) this.held.add(name);
    if (seed.base) this.overlays.seed(seed.base);
  }

  /** Full syncs so far (`background`: started by watch mode), for tests and diagnostics. */
  get syncStats(): { readonly syncs: number; readonly background: number } {
    return this.tracker.stats;
  }

  /** Stops watch mode (the watcher and background rebuilds); jobs keep checking for changes themselves. */
  close(): Promise<void> {
    return this.tracker.close();
  }

  /** Brings the session up to date with the project's current code (single flight). */
  sync(): Promise<BundleResult> {
    this.inFlight ??= this.trackedSync().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async trackedSync(): Promise<BundleResult> {
    await this.replaceChangedJars();
    const epoch = this.sessionEpoch;
    const bundle = await this.tracker.track(() => timed("sync", () => this.syncOnce()));
    this.syncedEpoch = epoch;
    return bundle;
  }

  /** The plan hook: bring the session up to date, then fill every Python UDF placeholder. */
  async beforePlan(message: object): Promise<void> {
    if (this.early) await this.early.catch(ignore);
    const bundle = await this.upToDate();
    await this.fillPlaceholders(message, bundle);
  }

  /**
   * The bundle this job runs with: the synced one when nothing changed (watch mode: a flag check;
   * otherwise a stat fingerprint, no git, no hashing), else a full sync.
   */
  private async upToDate(): Promise<BundleResult> {
    // A sync that began before this job may predate an edit made just before it: let it finish and
    // judge afresh. Its failure goes to whoever started it (a job, or watch mode's error event).
    if (this.inFlight) await this.inFlight.then(ignore, ignore);
    // Spark 3.5 reports no session ids: without this, a restarted server's new session would look synced.
    await this.session.confirmSessionHeld();
    const current = this.current;
    const synced = current !== undefined && this.syncedEpoch === this.sessionEpoch && this.registeredWith === this.registrationKey(current);
    // The deps' own inputs too: -r includes, a lockfile, local packages (maybe outside the root).
    if (synced && (await this.tracker.unchanged()) && (this.deps?.inputsUnchanged?.() ?? true) && (await this.jarsHeld()) && this.current === current) {
      this.options.onEvent?.({ type: "up-to-date", hash: current.hash });
      return current;
    }
    return this.sync();
  }

  private jarsHeld(): Promise<boolean> {
    return this.jars.allHeld(this.held);
  }

  /**
   * Spark's session class loader keeps every jar the session was sent, in the order sent, and can't
   * drop one, so after a rebuild the old jar's classes still win (issue 21: "HEY!v1" after v2 went up,
   * on 4.1.4). So when a jar this session holds is no longer among the project's jars (rebuilt,
   * renamed or removed), the job runs on a new server-side session, sent only the current jars; the
   * session carries over runtime config and Java UDFs, and this engine re-sends code and Python UDFs.
   * When the session holds what can't be carried over (temporary views...), the job fails instead.
   */
  private async replaceChangedJars(): Promise<void> {
    const changed = await this.jars.changedSince(this.held);
    if (changed.length === 0) return;
    const many = changed.length > 1;
    const moved = await this.session.moveToNewServerSession({
      why:
        `The jar${many ? "s" : ""} ${changed.join(", ")} changed since this session loaded ${many ? "them" : "it"} (rebuilt, renamed or removed). ` +
        "JVM classes can't be replaced inside a running Spark session: its class loader keeps serving the classes of the jar it was sent first.",
      errorClass: "JAR_CHANGED",
      fix:
        "Open a new SparkSession (spark.stop(), then SparkSession.builder()...getOrCreate()) and create the temporary views there again, " +
        "or build the jars before creating views. A session id you chose yourself (sessionId, `watch --session-id`) never moves: start it again after the rebuild.",
    });
    this.options.onEvent?.({ type: "jar-changed", jars: changed, ...moved });
  }

  /** Points every Python UDF placeholder in `message` at this bundle's loader. */
  private async fillPlaceholders(message: object, bundle: BundleResult): Promise<void> {
    const placeholders = pythonUdfPlaceholders(message);
    if (placeholders.length === 0) return;
    requireEvalTypesSupported(placeholders, this.session.version);
    const pythonVer = await this.workerPythonVersion();
    const loaderModule = loaderModuleOf(bundle);
    const importFrom = this.depsImportFrom();
    for (const { udf, ref } of placeholders) {
      const { module: modulePath, qualname: functionName, returnTypeJson, wrapper } = ref;
      udf.command = pythonUdfCommand({ loaderModule, modulePath, functionName, returnTypeJson, importFrom, wrapper });
      udf.pythonVer = pythonVer;
    }
  }

  /** What registered commands point at: the bundle and the dependency artifacts. */
  private registrationKey(bundle: BundleResult): string {
    return `${bundle.hash}\0${this.depsImportFrom()?.join("\0") ?? ""}`;
  }

  /** With dependency shipping on, the worker imports from exactly the current deps artifacts (maybe none). */
  private depsImportFrom(): string[] | undefined {
    if (!this.deps) return undefined;
    const deps = this.deps.last;
    return [deps?.artifact?.slice("pyfiles/".length), deps?.native?.dir].filter((name): name is string => name !== undefined);
  }

  private workerPythonVersion(): Promise<string> {
    this.pythonVersion ??= this.probes.pythonVersion(this.options.pythonVersion).then((version) => {
      this.options.onEvent?.({ type: "python-version", version });
      return version;
    });
    this.pythonVersion.catch(() => (this.pythonVersion = undefined));
    return this.pythonVersion;
  }

  private async syncOnce(afterDamage = false): Promise<SyncedBundle> {
    // The settings as of now (package.json edits reach each build); after a small edit the archive is
    // only the difference from the session's last full upload.
    const { bundle, plan } = await timed("select+archive", async () => {
      const build = await openBuild(this.root, buildSettings(this.root, this.explicit));
      return buildVersion(build, this.overlays, this.held, loaderEntries(this.projectName), this.report);
    });
    const pyfiles = [{ name: plan.artifact, path: bundle.zipPath }];
    const base = plan.overlay?.base;
    // Held already (so free) unless the server-side session changed since the plan was made.
    if (base) pyfiles.unshift({ name: base.artifact, path: base.zipPath });
    const jars = await this.jars.current();
    pyfiles.push(...(await this.depsArtifacts()));
    const before = this.counters.bytes;
    // Every file is checked against the hash it was stored under as it streams: a cached archive vouched
    // for by size and mtime alone may have been damaged since, and Python's zipimport checks no CRCs.
    const artifacts = [...pyfiles.map((a) => ({ ...a, sha256: archiveSha256(a.path) ?? depsZipSha12(a.path) })), ...jars];
    const upload = () => timed("upload", () => uploadMissing(this.session.client, this.held, artifacts, this.counters, { onProgress: this.options.onUploadProgress }));
    const epoch = this.sessionEpoch;
    let sent: string[];
    try {
      sent = await upload();
      // Another call saw the server's new session while this upload ran: what was held before went with the
      // old one (an overlay's base among it), so send once more what the new session lacks.
      if (this.sessionEpoch !== epoch) sent.push(...(await upload()));
    } catch (err) {
      const damaged = damagedArchive(err);
      if (damaged === undefined || afterDamage) throw err;
      // Nothing of it reached the server (the stream was aborted before completing): drop it and build again.
      await BundleCache.discard(damaged);
      this.overlays.forgetArchive(damaged);
      return this.syncOnce(true);
    }
    this.overlays.synced(plan, bundle);
    if (plan.overlay) {
      const { diff } = plan.overlay;
      this.options.onEvent?.({ type: "overlay", hash: bundle.hash, base: plan.overlay.base.hash, artifact: plan.artifact, changed: diff.changed.length, deleted: diff.deleted.length });
    }
    if (sent.length > 0) this.options.onEvent?.({ type: "upload", names: sent, bytes: this.counters.bytes - before, hash: bundle.hash });
    else this.options.onEvent?.({ type: "up-to-date", hash: bundle.hash });
    const synced = syncedBundle(bundle, plan);
    this.current = synced;
    if (this.registeredWith !== this.registrationKey(bundle)) await this.reregisterSqlUdfs(synced);
    return synced;
  }

  private async depsArtifacts(): Promise<{ name: string; path: string }[]> {
    const deps = await this.deps?.current();
    if (!deps) return [];
    const names = (shipped: boolean) => deps.packages.filter((p) => p.shipped === shipped).map((p) => `${p.name}==${p.version}`);
    this.options.onEvent?.({ type: "deps", artifact: deps.artifact, native: deps.native?.artifact, resolvedNow: deps.resolvedNow, shipped: names(true), skipped: names(false) });
    const zips = deps.artifact && deps.zipPath ? [{ name: deps.artifact, path: deps.zipPath }] : [];
    return deps.native ? [...zips, { name: deps.native.artifact, path: deps.native.zipPath }] : zips;
  }

  /**
   * Build events go to onEvent (through `report`, which passes each warning once per engine: it is
   * the same on every rebuild). Without onEvent a warning goes to stderr, like watch mode's lines.
   */
  private reportBuildEvent(event: BundleEvent): void {
    if (event.type === "warning" && this.options.onEvent === undefined) process.stderr.write(`spark-autobundle: warning: ${event.message}\n`);
    this.options.onEvent?.(event);
  }

  // SQL-registered UDFs and data sources hold the command of the bundle they were registered
  // with; registering them again points them at this one.
  private async reregisterSqlUdfs(bundle: BundleResult): Promise<void> {
    this.registeredWith = this.registrationKey(bundle);
    for (const [name, udf] of this.session.udf.registeredPython) {
      const fn = udf.toFunction(name, []);
      await this.fillPlaceholders(fn, bundle);
      // Straight to the client: going through the session would re-enter this hook.
      for await (const response of this.session.executeWithoutHooks(commandPlan({ case: "registerFunction", value: fn }))) void response;
    }
    for (const source of this.session.dataSource.registered.values()) {
      await this.fillPlaceholders(source, bundle);
      for await (const response of this.session.executeWithoutHooks(commandPlan({ case: "registerDataSource", value: source }))) void response;
    }
  }
}

const ignore = () => undefined;

const engines = new WeakMap<BundleSession, AutoBundle>();

/**
 * Installs the auto-bundle hook: before every job that may run project code,
 * the session holds the project's current Python source (and jars). Returns
 * the same session. Synchronous and lazy; calling it twice is harmless.
 */
export function withAutoBundle<S extends SparkSession>(session: S, options: AutoBundleOptions = {}): S {
  if (engines.has(session)) return session;
  // Captured now: later the stack no longer leads back to the caller.
  const callerFile = options.callerFile ?? (options.root === undefined ? callerFileFromStack() : undefined);
  installAutoBundle(session, { ...options, callerFile }, sparkProbes(session));
  return session;
}

/** withAutoBundle for any BundleSession (a test's fake, too): the engine, hooked in once. */
export function installAutoBundle(session: BundleSession, options: AutoBundleOptions, probes: WorkerProbes): AutoBundle {
  const existing = engines.get(session);
  if (existing) return existing;
  const engine = new AutoBundle(session, options, probes);
  engines.set(session, engine);
  session.udf.pythonEnabled = true;
  session.addPlanHook((_kind, message) => engine.beforePlan(message));
  engine.startEarly();
  return engine;
}

/** The auto-bundle engine of a session wrapped by withAutoBundle (for counters and events). */
export function autoBundleOf(session: SparkSession): AutoBundle | undefined {
  return engines.get(session);
}
