import { describe, expect, it } from "vitest";
import { loadDecoder, withDecoder } from "../../../src/connect/arrow/lazy.js";

describe("the lazily loaded result decoder", () => {
  it("starts the request before the decoder has loaded, and replays every response", async () => {
    const steps: string[] = [];
    async function* responses() {
      steps.push("request sent");
      yield 1;
      yield 2;
    }
    const started = withDecoder(responses());
    // The generator's first step ran synchronously inside withDecoder, before any await.
    expect(steps).toEqual(["request sent"]);
    const { decode, responses: replayed } = await started;
    expect(decode).toBe(await loadDecoder());
    const seen: number[] = [];
    for await (const value of replayed) seen.push(value);
    expect(seen).toEqual([1, 2]);
  });

  it("ends the request when the consumer stops early, and passes the request's failure to the reader", async () => {
    let closed = false;
    async function* responses() {
      try {
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const { responses: replayed } = await withDecoder(responses());
    for await (const value of replayed) if (value === 1) break;
    expect(closed).toBe(true);

    async function* failing(): AsyncGenerator<number> {
      throw new Error("the server refused");
    }
    const { responses: refused } = await withDecoder(failing());
    await expect((async () => { for await (const _ of refused) void _; })()).rejects.toThrow("the server refused");
  });
});

describe("importing the package", () => {
  it("loads no apache-arrow module until rows are decoded or encoded (issue 19: ~150 modules, a third of the import time)", async () => {
    const { spawnSync } = await import("node:child_process");
    const { join } = await import("node:path");
    const repo = join(import.meta.dirname, "..", "..", "..");
    // A module hook that prints every URL Node loads, then the package entry, as a user's script imports it.
    const hooks = `data:text/javascript,${encodeURIComponent('export async function load(u, c, n) { process.stderr.write("LOAD " + u + "\\n"); return n(u, c); }')}`;
    const script = `import { register } from "node:module"; register(${JSON.stringify(hooks)}); await import(${JSON.stringify(join(repo, "src", "index.ts"))});`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repo, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const loaded = run.stderr.split("\n").filter((line) => line.startsWith("LOAD "));
    expect(loaded.some((line) => line.includes("/src/connect/session.ts"))).toBe(true);
    expect(loaded.filter((line) => line.includes("apache-arrow"))).toEqual([]);
  });
});
