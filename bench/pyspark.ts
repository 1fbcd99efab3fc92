// The pyspark rival: its Connect client dependencies, and a long-lived client process to drive.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { run } from "./measure.js";

/**
 * The Connect extra of pyspark (pandas, pyarrow, grpcio, …), pinned; the server's venv holds only
 * pyspark itself. Installed with `pip --target` beside the venv and put on PYTHONPATH, so the
 * server's own venv is never modified.
 */
const CONNECT_DEPS = ["pandas==2.3.3", "numpy==2.3.5", "pyarrow==22.0.0", "grpcio==1.76.0", "grpcio-status==1.76.0", "googleapis-common-protos==1.71.0", "zstandard==0.25.0"];

export async function ensureConnectDeps(home: string, python: string, pysparkVersion: string): Promise<string> {
  const dir = join(home, `bench-pydeps-pyspark-${pysparkVersion}`);
  if (existsSync(join(dir, ".complete"))) return dir;
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bench: installing pyspark's Connect client dependencies into ${dir} (once)…\n`);
  try {
    await run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location", "--target", tmp, ...CONNECT_DEPS]);
    await run(python, ["-c", "open(__import__('sys').argv[1], 'w').close()", join(tmp, ".complete")]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`Cannot install pyspark's Connect dependencies (${CONNECT_DEPS.join(" ")}) with ${python}: ${(err as Error).message}. Fix: check that PyPI is reachable, or install them into ${dir} by hand.`, { cause: err });
  }
  return dir;
}

/** pyspark gives a token URL TLS unless the host is "localhost" (then local credentials, plaintext). */
export function pysparkUrl(url: string): string {
  return url.replace("sc://127.0.0.1:", "sc://localhost:");
}

type Answer = { ok: true; [key: string]: unknown } | { ok: false; error: string };

/** bench/py/client.py as a child process: one request at a time. */
export class PysparkClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = "";

  private constructor(python: string, depsDir: string, url: string) {
    const script = join(fileURLToPath(new URL(".", import.meta.url)), "py", "client.py");
    this.child = spawn(python, [script, pysparkUrl(url)], { env: { ...process.env, PYTHONPATH: depsDir, PYTHONDONTWRITEBYTECODE: "1" } });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  static async start(python: string, depsDir: string, url: string): Promise<PysparkClient> {
    const client = new PysparkClient(python, depsDir, url);
    await client.request({ cmd: "version" });
    return client;
  }

  async request(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error(`the pyspark client exited (${this.child.exitCode ?? "?"}):\n${this.stderr}`);
    const answer = JSON.parse(next.value) as Answer;
    if (!answer.ok) throw new Error(`pyspark client: ${answer.error}`);
    return answer;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once("exit", resolve));
  }
}
