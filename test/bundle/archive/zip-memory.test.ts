// The zip writer's memory bounds: how many bytes are ever in flight to the workers, headers packed
// into shared blocks (a central directory over several blocks, records bigger than a block), and
// workers with a small young generation still taking big entries.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { hashFiles, type HashedFile } from "../../../src/bundle/archive/hash.js";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { selectFiles } from "../../../src/bundle/select/select.js";
import { WINDOW_BYTES, writeDeterministicZip } from "../../../src/bundle/archive/zip.js";
import { DEFAULT_WORKERS, EncoderPool, WORKER_LIMITS, type EncodeItem } from "../../../src/bundle/archive/zip-encoder.js";
import { makeTree, python, tempDir } from "../helpers.js";

/** A pool that records the bytes handed to its workers and not yet handed back. */
class CountingPool extends EncoderPool {
  inFlight = 0;
  maxInFlight = 0;
  largestBatch = 0;

  override encode(buffer: ArrayBuffer, items: EncodeItem[], level: number) {
    const bytes = buffer.byteLength;
    this.inFlight += bytes;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.largestBatch = Math.max(this.largestBatch, bytes);
    return super.encode(buffer, items, level).finally(() => (this.inFlight -= bytes));
  }
}

const pools: EncoderPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

async function hashed(root: string): Promise<HashedFile[]> {
  const limits = { maxFileBytes: 64 * 2 ** 20, maxBundleBytes: 2 ** 30 };
  return (await hashFiles(await selectFiles(root, detectLayout(root), { useGit: false, ...limits }))).files;
}

/** Python's view: every entry's name, size and CRC check out. */
function pythonListing(zip: string): { names: number; longest: number; ok: boolean } {
  return JSON.parse(python(`import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({"names": len(z.namelist()), "longest": max(len(n.encode()) for n in z.namelist()), "ok": z.testzip() is None}))`, [zip])) as { names: number; longest: number; ok: boolean };
}

describe("zip writer memory", () => {
  test(`never has more than ${WINDOW_BYTES / 2 ** 20} MiB plus one batch in flight to the workers`, async () => {
    const files: Record<string, string> = { "big/__init__.py": "" };
    for (let i = 0; i < 400; i++) files[`big/m${i}.py`] = `# module ${i}\n${"x = 1\n".repeat(4000)}`; // 24 KB each, ~10 MB
    const pool = new CountingPool(2);
    pools.push(pool);
    const out = join(tempDir(), "window.zip");
    await writeDeterministicZip(out, await hashed(makeTree(files)), [], { pool });
    expect(pool.maxInFlight).toBeGreaterThan(0);
    expect(pool.maxInFlight).toBeLessThanOrEqual(WINDOW_BYTES + pool.largestBatch);
    expect(pythonListing(out)).toEqual({ names: 402, longest: expect.any(Number), ok: true });
  });

  test("a central directory over several header blocks, and records bigger than a block, read back in Python", async () => {
    const extras = [];
    for (let i = 0; i < 1500; i++) extras.push({ zipPath: `gen/${"n".repeat(60)}${i}.txt`, content: Buffer.from(`${i}\n`) }); // ~160 KB of central directory
    const giant = `gen/${"g".repeat(65_500)}.txt`; // its local and central records are each > 64 KiB
    extras.push({ zipPath: giant, content: Buffer.from("giant\n") });
    const out = join(tempDir(), "blocks.zip");
    await writeDeterministicZip(out, [], extras);
    expect(pythonListing(out)).toEqual({ names: 1502, longest: Buffer.byteLength(giant), ok: true });
  });

  test("workers with the small young generation take entries of tens of MB, stored and deflated", async () => {
    expect(DEFAULT_WORKERS).toBeGreaterThanOrEqual(1);
    expect(WORKER_LIMITS.maxYoungGenerationSizeMb).toBeLessThanOrEqual(4);
    const root = makeTree({ "heavy/__init__.py": "", "heavy/random.bin": randomBytes(12_000_000), "heavy/table.csv": "a,b,c,1,2,3\n".repeat(2_000_000) });
    const out = join(tempDir(), "heavy.zip");
    await writeDeterministicZip(out, await hashed(root)); // the shared pool: DEFAULT_WORKERS workers, WORKER_LIMITS
    expect(pythonListing(out)).toEqual({ names: 4, longest: expect.any(Number), ok: true });
  });
});
