// Where spare sessions are recorded: one JSON file per project root, beside the embedded server's state
// file (`<home>/spares/<sha12 of the root>.json`), so there is at most one spare per project and server,
// and `server stop` clears them with the server. A claim is a rename, so exactly one process gets a spare.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../../server/home/atomic-file.js";
import { readState } from "../../server/home/state.js";
import { sparesDirOf } from "../../server/home/paths.js";

/** A spare older than this is released, not used: Spark drops idle sessions after 60 min by default. */
export const SPARE_MAX_AGE_MS = 30 * 60_000;

/** A file of the full bundle the spare holds: enough for the claimant to ship an overlay on it. */
export interface SpareBaseFile {
  zipPath: string;
  sha256: string;
  size: number;
  executable: boolean;
}

export interface SpareRecord {
  schema: 1;
  /** Which server process it lives in: the state file's pid and start time. */
  server: string;
  root: string;
  sessionId: string;
  /** What the server called the session when the spare was made: a restart gives it a new one. */
  serverSideSessionId: string;
  createdAt: number;
  /** Artifact names the spare holds (each with its held-marker). */
  artifacts: string[];
  /** The full upload the spare holds, if any: later versions may go as overlays on it. */
  base?: { hash: string; hash12: string; artifact: string; zipPath: string; treeBytes: number; files: SpareBaseFile[] };
}

export function spareFile(stateFile: string, root: string): string {
  return path.join(sparesDirOf(stateFile), `${createHash("sha256").update(root).digest("hex").slice(0, 12)}.json`);
}

/** The running embedded server's identity ("pid@startedAt"), or undefined when none is recorded. */
export function serverIdentity(stateFile: string): string | undefined {
  const read = readState(stateFile);
  return read.kind === "ok" ? `${read.state.pid}@${read.state.startedAt}` : undefined;
}

/** The recorded embedded server's Python workers' "major.minor", or undefined. */
export function serverPythonVersion(stateFile: string): string | undefined {
  const read = readState(stateFile);
  return read.kind === "ok" && read.state.pythonVersion ? read.state.pythonVersion : undefined;
}

/** The sc:// URL of the recorded embedded server (with its token), or undefined. */
export function serverUrl(stateFile: string): string | undefined {
  const read = readState(stateFile);
  return read.kind === "ok" ? `sc://${read.state.host}:${read.state.port}/;token=${read.state.token}` : undefined;
}

/**
 * Takes the spare recorded for `root`, if any: renamed away first, so no other process can take it
 * too, then read and deleted. A record that can't be parsed is deleted and yields undefined.
 */
export function takeSpare(stateFile: string, root: string): SpareRecord | undefined {
  const file = spareFile(stateFile, root);
  const taken = `${file}.taken-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    fs.renameSync(file, taken);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const record = JSON.parse(fs.readFileSync(taken, "utf8")) as SpareRecord;
    return record.schema === 1 && typeof record.sessionId === "string" ? record : undefined;
  } catch {
    // A record we can't read describes no session we could use or release: it is just removed.
    return undefined;
  } finally {
    fs.rmSync(taken, { force: true });
  }
}

/** Records a spare (atomically: a claimant sees the old record or the new one, never half of one). */
export function putSpare(stateFile: string, record: SpareRecord): void {
  // 0600: the record names a live session id, which is all a client on this machine needs to use it.
  writeFileAtomic(spareFile(stateFile, record.root), `${JSON.stringify(record)}\n`, 0o600);
}

/** Why a taken spare can't be used as is, or undefined when it can. */
export function unusableBecause(record: SpareRecord, root: string, server: string | undefined, now = Date.now()): string | undefined {
  if (record.root !== root) return `it was made for ${record.root}`;
  if (record.server !== server) return "it was made on another server process";
  if (now - record.createdAt > SPARE_MAX_AGE_MS) return `it is older than ${SPARE_MAX_AGE_MS / 60_000} minutes`;
  return undefined;
}
