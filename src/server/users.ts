import fs from "node:fs";
import path from "node:path";
import { isPidAlive } from "./process/processes.js";

/**
 * Processes that currently rely on one of the home's servers (one empty file per pid, in the user home
 * whatever the line), so one test run finishing does not stop the server another concurrent run reused.
 */
function usersDir(home: string): string {
  return path.join(home, "users");
}

/** Registers this process as a user of the server; returns the function that unregisters it. */
export function registerServerUser(home: string, pid = process.pid): () => void {
  const file = path.join(usersDir(home), String(pid));
  fs.mkdirSync(usersDir(home), { recursive: true });
  fs.writeFileSync(file, "");
  return () => fs.rmSync(file, { force: true });
}

/** Live users other than `self`; entries of dead processes are removed on the way. */
export function otherServerUsers(home: string, self = process.pid): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(usersDir(home));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const others: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === self) continue;
    if (isPidAlive(pid)) others.push(pid);
    else fs.rmSync(path.join(usersDir(home), entry), { force: true });
  }
  return others;
}
