// Running the CLI in tests: in-process with captured streams, or as the real `npx tsx` subprocess.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A writable that keeps what was written; `tty` makes it look like a terminal of `columns` width. */
export class CapturedStream extends Writable {
  text = "";
  readonly chunks: string[] = [];
  isTTY?: boolean;
  columns?: number;

  constructor(tty?: { columns: number }) {
    super();
    if (tty) {
      this.isTTY = true;
      this.columns = tty.columns;
    }
  }

  private waiters: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const text = chunk.toString();
    this.chunks.push(text);
    this.text += text;
    this.waiters = this.waiters.filter(({ pattern, resolve }) => {
      const match = this.text.match(pattern);
      if (match) resolve(match);
      return !match;
    });
    callback();
  }

  /** Resolves once everything written so far matches `pattern` (for output of a verb still running). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    const match = this.text.match(pattern);
    if (match) return Promise.resolve(match);
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Make stdout and stderr look like terminals. */
  tty?: boolean;
  signal?: AbortSignal;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `main(argv)` in this process. The env defaults to this process's minus colour variables. */
export async function runMain(argv: string[], options: RunOptions = {}): Promise<CliRun> {
  const stdout = new CapturedStream(options.tty ? { columns: 80 } : undefined);
  const stderr = new CapturedStream(options.tty ? { columns: 80 } : undefined);
  const code = await main(argv, { stdout, stderr, env: options.env ?? plainEnv(), cwd: options.cwd ?? REPO_ROOT, signal: options.signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** process.env without the variables that force or forbid colour, so tests decide. */
export function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  return { ...env, ...extra };
}

/** The CLI as a user runs it from the repository: `npx tsx src/cli/main.ts ARGS`. */
export function runCliProcess(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      "npx",
      ["tsx", join(REPO_ROOT, "src/cli/main.ts"), ...args],
      { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? plainEnv(), timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A long-running CLI process (for `watch`): `node --import tsx`, so signals reach the CLI itself. */
export function spawnCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? plainEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Parses stdout as the one JSON document every verb prints with --json. */
export function jsonOf<T = Record<string, unknown>>(run: CliRun): T {
  const lines = run.stdout.trim().split("\n");
  if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got ${lines.length}:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return JSON.parse(lines[0]!) as T;
}

/** Reads a CLI child's stdout as JSON Lines: next(predicate) resolves with the first unread line matching it. */
export class JsonLines<T extends { type?: string } = Record<string, unknown> & { type?: string }> {
  readonly seen: T[] = [];
  private buffered = "";
  private cursor = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      this.buffered += chunk;
      const lines = this.buffered.split("\n");
      this.buffered = lines.pop()!;
      for (const line of lines) if (line.trim() !== "") this.seen.push(JSON.parse(line) as T);
      this.wake?.();
    });
    child.on("exit", () => this.wake?.());
  }

  async next(predicate: (line: T) => boolean, what: string): Promise<T> {
    for (;;) {
      while (this.cursor < this.seen.length) {
        const line = this.seen[this.cursor++]!;
        if (predicate(line)) return line;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the CLI exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${what}; it printed: ${JSON.stringify(this.seen)}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** The child's exit code once it exits. */
export function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode!);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal!)));
}
