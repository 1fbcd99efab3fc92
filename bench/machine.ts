// What the numbers were measured on: hardware, OS, and every tool's version.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from "node:os";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  /** 1-minute load average when the run started and ended: a busy machine shows here. */
  loadStart: number;
  loadEnd?: number;
}

export interface Versions {
  node: string;
  zlib: string;
  pyspark: string;
  spark: string;
  java: string;
  python: string;
  zip: string;
}

export function machineInfo(): MachineInfo {
  return { cpuModel: cpus()[0]?.model.trim() ?? "unknown", cores: availableParallelism(), memoryBytes: totalmem(), os: osName(), loadStart: loadavg()[0]! };
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (pretty) return `${pretty} (${osType()} ${release()})`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return `${osType()} ${release()}`;
}

/** First line of a tool's version output (some print it on stderr), or "unavailable: why". */
function toolVersion(command: string, args: string[], pick: (text: string) => string | undefined = (t) => t.split("\n")[0]): string {
  try {
    const out = execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return pick(out)?.trim() ?? "unknown";
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    if (e.stderr) return pick(e.stderr)?.trim() ?? "unknown";
    return `unavailable: ${e.message.split("\n")[0]}`;
  }
}

export function versions(server: { pythonExecutable: string; sparkVersion: string }, pysparkVersion: string): Versions {
  return {
    node: process.version,
    zlib: process.versions.zlib ?? "unknown",
    pyspark: pysparkVersion,
    spark: server.sparkVersion,
    // java -version writes to stderr.
    java: toolVersion("sh", ["-c", "java -version 2>&1"]),
    python: toolVersion(server.pythonExecutable, ["--version"]),
    zip: toolVersion("zip", ["-v"], (t) => t.split("\n").find((l) => l.startsWith("This is Zip"))),
  };
}
