import fs from "node:fs";
import { writeFileAtomic } from "./atomic-file.js";

/** What `server.json` records about the running server; it holds the token, so it is written 0600. */
export interface ServerState {
  schema: 1;
  pid: number;
  host: string;
  port: number;
  token: string;
  logFile: string;
  /** Filled once the health check has answered. */
  sparkVersion: string;
  pysparkVersion: string;
  pythonExecutable: string;
  pythonVersion: string;
  /** Spark master cores: a number or "*". */
  cores: number | "*";
  javaHome: string;
  startedAt: string;
}

export type StateRead =
  | { kind: "none" }
  | { kind: "invalid"; reason: string }
  | { kind: "ok"; state: ServerState };

export function readState(stateFile: string): StateRead {
  let text: string;
  try {
    text = fs.readFileSync(stateFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "none" };
    throw error;
  }
  let value: Partial<ServerState>;
  try {
    value = JSON.parse(text) as Partial<ServerState>;
  } catch (error) {
    return { kind: "invalid", reason: `not valid JSON (${(error as Error).message})` };
  }
  const wellFormed =
    value.schema === 1 &&
    // process.kill() throws (rather than answering "no such process") for a pid that can't be one.
    Number.isInteger(value.pid) &&
    value.pid! > 0 &&
    value.pid! <= 0x7fffffff &&
    typeof value.port === "number" &&
    typeof value.token === "string" &&
    typeof value.host === "string" &&
    typeof value.logFile === "string";
  return wellFormed ? { kind: "ok", state: value as ServerState } : { kind: "invalid", reason: "missing or invalid fields" };
}

export function writeState(stateFile: string, state: ServerState): void {
  writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export function removeState(stateFile: string): void {
  fs.rmSync(stateFile, { force: true });
}
