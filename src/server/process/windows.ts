// What differs on Windows, as command lines and pure decisions so they are unit-tested on Linux
// (test/server/process/windows.test.ts): nothing here has run on a real Windows machine.
//
// - Spark's launchers there are batch files (spark-submit.cmd, spark-class.cmd), which only cmd.exe
//   runs. Node's `shell: true` joins the arguments unquoted, so a path with a space (C:\Users\Jane Doe\…)
//   or a `--conf k=v,w` breaks; cross-spawn builds the cmd.exe line with each argument escaped instead.
// - The spawned pid is then cmd.exe's, which waits for the JVM it started: `server stop` killing it
//   alone would leave the JVM running. So the JVM's own pid is looked up (a descendant of that cmd.exe
//   running the server's class) and recorded, and stopping kills the whole tree (taskkill /T /F).
// - wmic is gone from current Windows 11; PowerShell's Get-CimInstance (Windows 8 and later) replaces it.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import crossSpawn from "cross-spawn";

export interface CommandLine {
  command: string;
  args: string[];
}

/** Spawns a program; on Windows batch files go through cmd.exe with every argument quoted (cross-spawn), never `shell: true`. */
export function spawnProgram(command: string, args: string[], options: SpawnOptions, platform: NodeJS.Platform = process.platform): ChildProcess {
  const { shell: _ignored, ...rest } = options;
  return platform === "win32" ? crossSpawn(command, args, rest) : spawn(command, args, rest);
}

function powershell(script: string): CommandLine {
  return { command: "powershell.exe", args: ["-NoProfile", "-NonInteractive", "-Command", script] };
}

/** The command line of one process, or nothing when it is gone. */
export function commandLineQuery(pid: number): CommandLine {
  assertPid(pid);
  return powershell(`(Get-CimInstance Win32_Process -Filter "ProcessId=${pid}").CommandLine`);
}

/** Every process with its parent, name and command line, as JSON. */
export function processTableQuery(): CommandLine {
  return powershell("Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,Name,CommandLine | ConvertTo-Json -Compress");
}

/** Kills `pid` and every process it started (cmd.exe, the JVM, its Python workers). */
export function killTreeCommand(pid: number): CommandLine {
  assertPid(pid);
  return { command: "taskkill.exe", args: ["/T", "/F", "/PID", String(pid)] };
}

export interface ProcessRow {
  ProcessId: number;
  ParentProcessId: number;
  Name?: string | null;
  CommandLine?: string | null;
}

/** Parses processTableQuery's output (ConvertTo-Json gives an object, not an array, for a single row). */
export function parseProcessTable(json: string): ProcessRow[] {
  const text = json.trim();
  if (!text) return [];
  const value = JSON.parse(text) as ProcessRow | ProcessRow[];
  return (Array.isArray(value) ? value : [value]).filter((row) => Number.isInteger(row?.ProcessId) && Number.isInteger(row?.ParentProcessId));
}

// spark-class.cmd first runs a short-lived java that only prints the real command; it names the class too.
const SPARK_LAUNCHER = "org.apache.spark.launcher.Main";

/**
 * The JVM among `rootPid`'s descendants that runs `className`: a java(w).exe whose command line names
 * it (the cmd.exe wrappers above it name it too, as an argument), not Spark's launcher. Undefined when
 * none is found, e.g. the tree already ended.
 */
export function findJvmPid(rows: ProcessRow[], rootPid: number, className: string): number | undefined {
  const children = new Map<number, ProcessRow[]>();
  for (const row of rows) {
    // A pid can't be its own parent; Windows reports that for the idle process, which would loop.
    if (row.ParentProcessId === row.ProcessId) continue;
    const list = children.get(row.ParentProcessId) ?? [];
    list.push(row);
    children.set(row.ParentProcessId, list);
  }
  const queue = [...(children.get(rootPid) ?? [])];
  const seen = new Set<number>([rootPid]);
  while (queue.length > 0) {
    const row = queue.shift()!;
    if (seen.has(row.ProcessId)) continue;
    seen.add(row.ProcessId);
    const line = row.CommandLine ?? "";
    if (/^javaw?\.exe$/i.test(row.Name ?? "") && line.includes(className) && !line.includes(SPARK_LAUNCHER)) return row.ProcessId;
    queue.push(...(children.get(row.ProcessId) ?? []));
  }
  return undefined;
}

/** Parses commandLineQuery's output: PowerShell prints nothing for a gone process. */
export function parseCommandLine(stdout: string): string | undefined {
  const text = stdout.trim();
  return text || undefined;
}

function assertPid(pid: number): void {
  // The pid goes into a PowerShell filter and a taskkill argument: only a positive integer may.
  if (!Number.isInteger(pid) || pid <= 0) throw new TypeError(`Not a process id: ${pid}`);
}
