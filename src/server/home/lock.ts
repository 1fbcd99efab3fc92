import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LockTimeoutError } from "../errors.js";
import { isPidAlive } from "../process/processes.js";

interface LockOwner {
  pid: number;
  hostname: string;
  acquiredAt: string;
}

export interface LockOptions {
  /** How long to wait for another process; provisioning under someone else's lock takes a minute or more. */
  timeoutMs?: number;
  /** Called once when we start waiting for another holder. */
  onWait?: (owner: LockOwner | undefined) => void;
}

/** A lock file created with O_EXCL holding our pid; a lock whose pid is dead is stale and taken over. */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const token = await acquire(lockFile, options);
  try {
    return await fn();
  } finally {
    release(lockFile, token);
  }
}

async function acquire(lockFile: string, options: LockOptions): Promise<string> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const mine = JSON.stringify({ pid: process.pid, hostname: os.hostname(), acquiredAt: new Date().toISOString() });
  let announcedWait = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, mine, { flag: "wx" });
      return mine;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const seen = readLock(lockFile);
    if (seen === undefined) continue; // released between our attempt and the read
    const owner = parseOwner(seen.text);
    if (isStale(owner, seen.mtimeMs)) {
      // Only remove the exact lock we judged stale, not one a third process just created.
      const again = readLock(lockFile);
      if (again?.text === seen.text) fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!announcedWait) {
      options.onWait?.(owner);
      announcedWait = true;
    }
    if (Date.now() > deadline) {
      throw new LockTimeoutError(
        `Timed out waiting for the lock ${lockFile}, held by ${owner ? `pid ${owner.pid} on ${owner.hostname} since ${owner.acquiredAt}` : "an unknown process"}. ` +
          "Another spark-autobundle process is provisioning or starting the local server; wait for it, " +
          `or if no such process exists, delete ${lockFile} and retry.`,
      );
    }
    await sleep(250);
  }
}

function release(lockFile: string, mine: string): void {
  // Never delete a lock that was taken over from us (e.g. we were judged stale).
  if (readLock(lockFile)?.text === mine) fs.rmSync(lockFile, { force: true });
}

function readLock(lockFile: string): { text: string; mtimeMs: number } | undefined {
  try {
    const mtimeMs = fs.statSync(lockFile).mtimeMs;
    return { text: fs.readFileSync(lockFile, "utf8"), mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.pid === "number" ? (value as LockOwner) : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // creator is mid-write, or the file is junk
    throw error;
  }
}

function isStale(owner: LockOwner | undefined, mtimeMs: number): boolean {
  // An unreadable lock is only stale once it is clearly not being written right now.
  if (!owner) return Date.now() - mtimeMs > 10_000;
  // A pid from another machine (shared home dir) cannot be checked; trust it until the timeout.
  if (owner.hostname !== os.hostname()) return false;
  return !isPidAlive(owner.pid);
}
