// Repeated, interleaved measurements and their medians.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface RunPlan {
  /** Unmeasured rounds first: caches, JIT, connections. */
  warmup: number;
  runs: number;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs every contender once per round, in turn (A B A B …), so drift in machine load hits all of
 * them alike. Each contender returns the figure it measured (ms, MB/s, bytes…).
 */
export async function interleaved<K extends string>(plan: RunPlan, contenders: Record<K, () => Promise<number>>): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < plan.warmup + plan.runs; round++) {
    for (const name of names) {
      const value = await contenders[name]();
      if (round >= plan.warmup) samples[name].push(value);
    }
  }
  return samples;
}

/** Wall time of fn in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export interface RunResult {
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (timed from spawn to exit); a non-zero exit is an error with its stderr. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => reject(new Error(`cannot run ${command}: ${err.message}`, { cause: err })));
    child.on("close", (code, signal) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? signal}:\n${stderr.slice(-2000)}`));
    });
  });
}
