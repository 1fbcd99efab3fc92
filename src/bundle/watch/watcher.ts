// Watch mode's file watcher: chokidar over the project root, pruned, reporting relevant changes
// synchronously from the fs event itself. Why chokidar and not fs.watch: bench/watch-backends.ts.
import { basename, join } from "node:path";
import type { FSWatcher } from "chokidar";
import { BundleError } from "../errors.js";
import { isPruned, isRelevantChange, type WatchScope } from "./filter.js";

/** "content": a file's bytes or mode changed; "entries": something was created, deleted or renamed. */
export type ChangeKind = "content" | "entries";

export const WATCH_ENV = "SPARK_AUTOBUNDLE_WATCH";

/** The `watch` option wins, then $SPARK_AUTOBUNDLE_WATCH ("1"/"0"), then package.json's setting. */
export function watchEnabled(option: boolean | undefined, fromConfig: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (option !== undefined) return option;
  const raw = env[WATCH_ENV]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fromConfig ?? false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new BundleError("BAD_CONFIG", `${WATCH_ENV}="${env[WATCH_ENV]}" is not understood. Set it to 1 (watch) or 0 (don't), or pass the \`watch\` option.`);
}

export interface WatcherListener {
  /** A change that may alter the bundle; called synchronously inside the fs event. */
  onChange(absPath: string, kind: ChangeKind): void;
  /** The initial scan finished: from now on every change is reported. */
  onReady(): void;
  /** The watcher can no longer be trusted to see every change (it keeps what it has). */
  onFailure(error: BundleError): void;
}

/**
 * chokidar with persistent:false (never keeps the process alive), pruned like the freshness walk.
 * Changes are taken from chokidar's "raw" events, which it emits synchronously from fs.watch's
 * callback, so one poll phase after a write the listener has heard of it (see settleFsEvents).
 */
export class ProjectWatcher {
  private readonly started: Promise<FSWatcher | undefined>;
  private readyNow = false;
  private failure: BundleError | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly scope: WatchScope,
    private readonly listener: WatcherListener,
  ) {
    // Loaded on first use: sessions without watch mode never pay for chokidar's import.
    this.started = import("chokidar").then(
      ({ watch }) => (this.closing ? undefined : this.start(watch)),
      (err: unknown) => {
        this.fail(err as NodeJS.ErrnoException, "reinstall spark-autobundle's dependencies (`npm install`): the chokidar package could not be loaded");
        return undefined;
      },
    );
  }

  private start(watch: typeof import("chokidar").watch): FSWatcher {
    const { scope } = this;
    const watcher = watch(scope.root, {
      persistent: false,
      ignoreInitial: true,
      followSymlinks: false, // targets inside the root are watched where they are; outside ones are never bundled
      ignored: (path, stats) => isPruned(scope, path, stats?.isDirectory()),
    });
    watcher.on("raw", (event, evPath, details) => this.onRaw(event === "change" ? "content" : "entries", evPath, (details as { watchedPath?: string }).watchedPath));
    // Processed events cover what raw ones may lack (files found by re-reading a new directory).
    watcher.on("all", (event, path) => this.report(path, event === "change" ? "content" : "entries"));
    watcher.on("ready", () => {
      this.readyNow = true;
      if (!this.closing) this.listener.onReady();
    });
    watcher.on("error", (err) => this.fail(err as NodeJS.ErrnoException));
    return watcher;
  }

  /** Every change since ready has been (or, after settleFsEvents, will have been) reported. */
  get trustworthy(): boolean {
    return this.readyNow && this.failure === undefined && this.closing === undefined;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  close(): Promise<void> {
    this.closing ??= this.started.then((watcher) => watcher?.close());
    return this.closing;
  }

  private onRaw(kind: ChangeKind, evPath: string | null | undefined, watchedPath: string | undefined): void {
    if (!watchedPath || this.closing) return;
    // A directory's watcher names the child; a file's own watcher names the file (its basename).
    if (!evPath) this.report(watchedPath, kind);
    else if (basename(watchedPath) === evPath) {
      this.report(watchedPath, kind);
      this.report(join(watchedPath, evPath), kind); // or a child of the same name: either way, report
    } else this.report(join(watchedPath, evPath), kind);
  }

  private report(path: string, kind: ChangeKind): void {
    if (!this.closing && isRelevantChange(this.scope, path)) this.listener.onChange(path, kind);
  }

  private fail(err: NodeJS.ErrnoException, knownFix?: string): void {
    if (this.closing) return;
    const fix =
      knownFix ??
      (err.code === "ENOSPC" || err.code === "EMFILE"
        ? "raise the limit (Linux: `sudo sysctl fs.inotify.max_user_watches=524288`; `ulimit -n` for EMFILE)"
        : "check the project directory's permissions");
    this.failure = new BundleError("WATCH_FAILED", `Watching ${this.scope.root} failed: ${err.code ?? "error"} (${err.message}). Jobs now check for changes themselves (slower, still correct). Fix: ${fix}, or turn watch mode off.`, { path: this.scope.root, cause: err });
    this.listener.onFailure(this.failure);
  }
}

/**
 * Resolves after two event-loop turns. The second setImmediate runs only after a complete poll
 * phase that began after this call, and libuv reads the whole inotify queue in one poll phase, so
 * every fs event caused by a write that finished before this call has been dispatched by then.
 */
export async function settleFsEvents(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}
