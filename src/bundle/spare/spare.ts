// Spare sessions: a script's rerun skips the new session's Python start (issue 19).
//
// Spark keys Python worker factories by the session, so the first Python UDF job of every new session
// starts a Python daemon and forks a worker: ~780 ms of a 1.07 s rerun, measured on the embedded 4.1.4
// server. So when an auto-bundled script's session stops, a detached process (maker.ts) opens the next
// session for the same project and server, uploads the current bundle, runs one tiny UDF so that the
// session's daemon and a worker exist, and records the session id (store.ts). The next run of the
// project claims it (a rename: one claimant) and continues on it, so its first UDF job finds a warm
// worker and, after a small edit, ships only an overlay on the bundle the spare holds.
//
// Isolation is by construction: a spare never ran user code (its one UDF is `os.path.basename`), and a
// session is only handed over while it holds nothing of the claimant's that can't be replayed (temp
// views, SQL command effects), so a rerun sees no view, conf, function, cache or current database of the
// previous run. Only the embedded server (remote("local"), Spark 4.x) gets spares: it is this machine's
// own, and 4.x releases sessions (3.5 keeps them until the server stops). `spareSession: false` or
// SPARK_AUTOBUNDLE_SPARE=0 turns them off; test runners (VITEST) and watch mode never make them.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { heldMarker } from "../upload.js";
import type { BundleSession } from "../session-port.js";
import type { OverlayBase } from "../overlay.js";
import type { HashedFile } from "../archive/hash.js";
import { debugLog } from "../../shared/debug.js";
import { ownEntryFile } from "../../shared/package-root.js";
import { serverIdentity, takeSpare, unusableBecause, type SpareRecord } from "./store.js";
import type { BundleConfig, BundleOptions } from "../options.js";

const debug = debugLog("spare");

/** The settings a maker needs to bundle the project exactly as the claimant's engine does. */
export interface SpareJob {
  stateFile: string;
  root: string;
  options: BundleConfig & { pythonVersion?: string };
}

/** What a claimed spare holds, verified on the server: the engine starts from it. */
export interface SpareSeed {
  artifacts: string[];
  base: OverlayBase | undefined;
}

/**
 * The embedded server's state file when this session may use and make spares, else undefined: the
 * embedded server when it reports server-side session ids (Spark 4.x), not turned off, not under a test runner, not in watch mode.
 */
export function spareStateFile(session: BundleSession, option: boolean | undefined, watch: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const stateFile = session.serverFacts?.stateFile;
  if (stateFile === undefined || option === false || watch) return undefined;
  if (env.SPARK_AUTOBUNDLE_SPARE === "0" || (env.VITEST !== undefined && option !== true)) return undefined;
  // By capability, not version: a spare is proven untouched by its server-side session id, which only
  // servers that report one can show (4.x do in every response, 3.5 never does).
  if (session.adoptServerSession === undefined || session.serverSessionId === undefined) return undefined;
  return stateFile;
}

/**
 * Claims this project's spare and moves `session` onto it. Returns what the spare holds (checked with
 * one ArtifactStatus call, whose answer also proves it is the very session the maker warmed), or
 * undefined when there was none or it couldn't be used; an unusable spare is released.
 */
export async function claimSpare(session: BundleSession, stateFile: string, root: string): Promise<SpareSeed | undefined> {
  const record = takeSpare(stateFile, root);
  if (record === undefined) return undefined;
  const why = unusableBecause(record, root, serverIdentity(stateFile));
  if (why !== undefined || !(await session.adoptServerSession!(record.sessionId))) {
    debug("not using spare session %s: %s", record.sessionId, why ?? "this session already holds state that can't move");
    if (why === undefined || !why.includes("server")) releaseQuietly(session, record.sessionId);
    return undefined;
  }
  const markers = record.artifacts.map((name) => heldMarker(name).name);
  const statuses = markers.length > 0 ? await session.client.artifactStatuses(markers) : {};
  // A restarted server gives the id a brand-new, empty session: clean, but neither warm nor holding anything.
  if (session.serverSessionId !== record.serverSideSessionId) {
    debug("spare session %s is no longer the one that was warmed (server-side %s, now %s)", record.sessionId, record.serverSideSessionId, session.serverSessionId);
    return { artifacts: [], base: undefined };
  }
  const artifacts = record.artifacts.filter((_, i) => statuses[markers[i]!] === true);
  const base = record.base && artifacts.includes(record.base.artifact) ? overlayBase(record.base) : undefined;
  debug("continuing on spare session %s (made %d ms ago), which holds %s", record.sessionId, Date.now() - record.createdAt, artifacts.join(", ") || "nothing");
  return { artifacts, base };
}

function overlayBase(base: NonNullable<SpareRecord["base"]>): OverlayBase | undefined {
  // The overlay's base must still be in the cache: an overlay is planned against its file list only, but
  // a later full sync of the same version reuses the cached zip by path.
  if (!fs.existsSync(base.zipPath)) return undefined;
  // Only zipPath, sha256, size and the executable bit are read of a base's files (diffTrees, overlayCost).
  const files = base.files.map((f) => ({ ...f, absPath: "", mtimeMs: 0, ino: 0 }) satisfies HashedFile);
  return { hash: base.hash, hash12: base.hash12, artifact: base.artifact, zipPath: base.zipPath, files, treeBytes: base.treeBytes };
}

function releaseQuietly(session: BundleSession, sessionId: string): void {
  session.releaseServerSession?.(sessionId).catch((err: unknown) => debug("releasing spare session %s failed: %s", sessionId, String(err)));
}

/**
 * Starts the maker for the next run, detached: this process exits without waiting, and the maker's
 * output goes to `<home>/logs/spare.log`. The job travels in the environment, never on the command line.
 */
export function startSpareMaker(stateFile: string, root: string, options: BundleOptions, pythonVersion: string | undefined): void {
  const { include, exclude, pythonRoots, jars, cacheDir, maxFileBytes, maxBundleBytes, dependencies } = options;
  const job: SpareJob = { stateFile, root, options: { include, exclude, pythonRoots, jars, cacheDir, maxFileBytes, maxBundleBytes, dependencies, pythonVersion } };
  const maker = ownEntryFile("bundle/spare/maker");
  const logFile = path.join(path.dirname(job.stateFile), "logs", "spare.log");
  try {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const log = fs.openSync(logFile, "a", 0o600);
    // Under tsx (running from src/) the maker is TypeScript too, and the same loader flags run it. A built
    // package passes none: flags such as --inspect would make the maker fight the script for a port.
    const flags = maker.endsWith(".ts") ? process.execArgv : [];
    const child = spawn(process.execPath, [...flags, maker], {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, SPARK_AUTOBUNDLE_SPARE_JOB: JSON.stringify(job) },
    });
    fs.closeSync(log);
    child.on("error", (err) => debug("the spare session maker did not start: %s", String(err)));
    child.unref();
    debug("making a spare session for %s (pid %d, log %s)", job.root, child.pid ?? -1, logFile);
  } catch (err) {
    // A spare only saves time on the next run: failing to make one must not fail this one.
    debug("the spare session maker did not start: %s", String(err));
  }
}
