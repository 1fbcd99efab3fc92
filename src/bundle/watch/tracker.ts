// Knows whether the last synced bundle still matches the tree: in watch mode from fs events (a flag
// check per job), otherwise from a stat fingerprint. In watch mode it also rebuilds in the background.
import { realpathSync, statSync, type Stats } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { performance } from "node:perf_hooks";
import type { BundleResult } from "../archive/build.js";
import { Fingerprint } from "./freshness.js";
import { BundleError } from "../errors.js";
import { formatBytes } from "../../shared/bytes.js";
import { type WatchEvent } from "../events.js";
import { ProjectWatcher, settleFsEvents, type ChangeKind } from "./watcher.js";
import { isSelectionInput, type WatchScope } from "./filter.js";
import { DEFAULTS } from "../defaults.js";

export const DEBOUNCE_MS = DEFAULTS.watchDebounceMs;
export const MAX_WAIT_MS = DEFAULTS.watchMaxWaitMs;

export interface ChangeTrackerOptions {
  scope: WatchScope;
  projectName: string;
  watch: boolean;
  /** Starts or joins a full sync (build + upload), which calls track(); the background rebuild. */
  sync: () => Promise<BundleResult>;
  /** Bytes uploaded so far by this engine. */
  uploadedBytes: () => number;
  /** Where watch events go; when absent their `line` is written to stderr. */
  onEvent: ((event: WatchEvent) => void) | undefined;
}

export class ChangeTracker {
  /** Bumped by every relevant fs event (and when the watcher must be re-trusted). */
  private generation = 0;
  /** The generation the last successful sync started from; equal to generation = clean. */
  private builtGeneration = -1;
  private fingerprint: Fingerprint | undefined;
  private current: BundleResult | undefined;
  /** The last synced bundle's files: absolute paths, and digest by zip path. */
  private selected = new Set<string>();
  private lastFiles: Map<string, string> | undefined;
  /** Paths created, deleted or renamed since the build that first saw them began, with their generation. */
  private readonly added = new Map<string, number>();
  private watcher: ProjectWatcher | undefined;
  private rootIno: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private running = 0;
  private closed = false;
  /**
   * Full syncs started (all), those started by the watcher (background), and fs events handled (each
   * one the watcher passed on, whether or not it changed anything), for tests and diagnostics.
   */
  readonly stats = { syncs: 0, background: 0, events: 0 };

  constructor(private readonly options: ChangeTrackerOptions) {
    if (options.watch) this.startWatcher();
  }

  /** A background rebuild is scheduled or running. */
  get rebuildPending(): boolean {
    return this.timer !== undefined || this.running > 0;
  }

  /** Whether watch mode is on and not closed. */
  get watching(): boolean {
    return this.options.watch && !this.closed;
  }

  /** True when the last synced bundle still matches the tree (so a job may use it as is). */
  async unchanged(): Promise<boolean> {
    if (this.watcher?.trustworthy) {
      // A file written just before this job may have its event queued, not yet read: read it first.
      await settleFsEvents();
      if (this.watcher?.trustworthy) return this.generation === this.builtGeneration;
    }
    return this.fingerprint !== undefined && this.fingerprint.firstChange() === undefined;
  }

  /** Wraps one full sync: fingerprint first (so races show up as changes), then the sync, then report. */
  async track(run: () => Promise<BundleResult>): Promise<BundleResult> {
    this.cancelTimer();
    this.checkRoot();
    if (this.watching && (this.watcher === undefined || this.watcher.closed)) this.startWatcher(); // the root came back
    this.stats.syncs++;
    const generation = this.generation;
    const previous = { files: this.lastFiles, hash: this.current?.hash, bytes: this.options.uploadedBytes() };
    const started = performance.now();
    // Only needed when events can't be trusted (before ready, after a failure, without watch): at
    // 10,000 files the walk costs a few hundred ms that a trusted watcher makes pointless.
    const fingerprint = this.watcher?.trustworthy ? undefined : Fingerprint.take(this.options.scope);
    this.running++;
    let bundle: BundleResult;
    try {
      bundle = await run();
    } catch (err) {
      this.checkRoot(err);
      throw err;
    } finally {
      this.running--;
    }
    this.builtGeneration = generation;
    this.current = bundle;
    this.selected = this.absolutePaths(bundle);
    this.fingerprint = fingerprint?.narrow((path) => this.selected.has(path) || isSelectionInput(this.options.scope, path));
    this.lastFiles = new Map(bundle.hashedFiles.map((f) => [f.zipPath, `${f.sha256}:${f.executable}`]));
    for (const [path, seenAt] of this.added) if (seenAt <= generation) this.added.delete(path);
    if (this.watching && bundle.hash !== previous.hash) {
      const filesChanged = previous.files ? countChanged(previous.files, this.lastFiles) : bundle.files;
      this.reportUpdate(previous.hash, bundle, filesChanged, this.options.uploadedBytes() - previous.bytes, Math.round(performance.now() - started));
    }
    if (this.generation !== generation) this.schedule(); // changed while building
    return bundle;
  }

  /** Stops watching (jobs then use the fingerprint check). Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    await this.stopWatcher();
  }

  private startWatcher(): void {
    const { root } = this.options.scope;
    this.rootIno = statOf(root)?.ino;
    if (this.rootIno === undefined) return; // gone; track() reports it, and restarts us once it is back
    this.watcher = new ProjectWatcher(this.options.scope, {
      onChange: (path, kind) => this.onChange(path, kind),
      onReady: () => {
        // Changes during the initial scan may have gone unseen: trust the last build only if it still matches.
        const last = this.fingerprint;
        if (this.running === 0 && last !== undefined && last.firstChange() === undefined) {
          this.builtGeneration = this.generation;
        } else {
          this.generation++;
          this.schedule();
        }
      },
      onFailure: (error) => this.reportError(error),
    });
  }

  private onChange(path: string, kind: ChangeKind): void {
    this.stats.events++;
    if (kind === "content" && !this.contentMatters(path)) return;
    this.generation++;
    if (kind === "entries") this.added.set(path, this.generation);
    if (path === this.options.scope.root) this.onRootEvent();
    this.schedule();
  }

  /**
   * Whether new bytes in this file can change the bundle. Selection depends on paths, existence and
   * a few config files, never on the bytes of a file it left out: a log or database written inside
   * the project does not rebuild. Files added since the last build began may already be in the
   * next one, so they count too (as does anything under a directory added meanwhile).
   */
  private contentMatters(path: string): boolean {
    if (this.selected.has(path) || isSelectionInput(this.options.scope, path)) return true;
    const { root } = this.options.scope;
    for (let p = path; p !== root && p !== dirname(p); p = dirname(p)) if (this.added.has(p)) return true;
    return false;
  }

  /** The bundle's files as the watcher names them (symlinked files are resolved by the selection). */
  private absolutePaths(bundle: BundleResult): Set<string> {
    const { root } = this.options.scope;
    const paths = new Set<string>();
    let realRoot: string | undefined;
    for (const { absPath } of bundle.hashedFiles) {
      paths.add(absPath);
      if (absPath.startsWith(root + sep)) continue;
      realRoot ??= realpathSync(root);
      paths.add(join(root, relative(realRoot, absPath)));
    }
    return paths;
  }

  private async stopWatcher(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    try {
      await watcher?.close();
    } catch (err) {
      this.reportError(err);
    }
  }

  /** The root was deleted, moved, or replaced: its watch is dead. Watch it anew (or wait for it). */
  private onRootEvent(): void {
    if (statOf(this.options.scope.root)?.ino === this.rootIno) return;
    void this.stopWatcher();
    if (!this.closed) this.startWatcher();
  }

  private checkRoot(cause?: unknown): void {
    const { root } = this.options.scope;
    if (statOf(root)?.isDirectory()) return;
    void this.stopWatcher();
    throw new BundleError("ROOT_NOT_FOUND", `The project root ${root} no longer exists: it was deleted or moved after this session started. Fix: restore it, or create the session again with the \`root\` option pointing at the project's new location.`, { path: root, cause });
  }

  private schedule(): void {
    if (!this.watching) return;
    const now = Date.now();
    if (this.timer === undefined) this.firstPendingAt = now;
    else clearTimeout(this.timer);
    this.timer = setTimeout(() => this.rebuildInBackground(), Math.max(0, Math.min(DEBOUNCE_MS, this.firstPendingAt + MAX_WAIT_MS - now)));
    this.timer.unref(); // never keeps the process alive
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private rebuildInBackground(): void {
    this.timer = undefined;
    if (!this.watching || this.generation === this.builtGeneration) return;
    this.stats.background++;
    this.options.sync().then(
      () => undefined,
      (err: unknown) => {
        // After close() the session is going away; its last rebuild failing is expected, not news.
        if (!this.closed) this.reportError(err);
      },
    );
  }

  private reportUpdate(fromHash: string | undefined, bundle: BundleResult, filesChanged: number, bytes: number, ms: number): void {
    const { projectName: project } = this.options;
    const what = fromHash === undefined ? `${bundle.hash.slice(0, 6)} (${plural(bundle.files, "file")})` : `${fromHash.slice(0, 6)}→${bundle.hash.slice(0, 6)} (${plural(filesChanged, "file")} changed)`;
    const sent = bytes > 0 ? `uploaded ${formatBytes(bytes)} in ${ms} ms` : `already on the server (${ms} ms)`;
    this.emit({ type: "watch-update", project, fromHash, toHash: bundle.hash, filesChanged, bytes, ms, line: `spark-autobundle: ${project} ${what} ${sent}` });
  }

  private reportError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.emit({ type: "watch-error", error, line: `spark-autobundle: watch: ${error.message}` });
  }

  private emit(event: WatchEvent): void {
    if (this.options.onEvent === undefined) {
      process.stderr.write(`${event.line}\n`);
      return;
    }
    try {
      this.options.onEvent(event);
    } catch (err) {
      // Called from fs events and timers, where a throw would crash the process: report it instead.
      process.stderr.write(`spark-autobundle: the onEvent callback threw on "${event.type}": ${(err as Error)?.stack ?? String(err)}\n`);
    }
  }
}

/** undefined when the path (or a parent) is gone. */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** Zip paths added, removed, or with other bytes or mode. */
function countChanged(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): number {
  let changed = 0;
  for (const [zipPath, digest] of after) if (before.get(zipPath) !== digest) changed++;
  for (const zipPath of before.keys()) if (!after.has(zipPath)) changed++;
  return changed;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
