// The parallel zip writer: stored vs deflated entries, determinism whatever the worker count,
// what Python's zipfile and zipimport make of it, and the re-read check done on the workers.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FileChangedError, hashFiles, type HashedFile } from "../../../src/bundle/archive/hash.js";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { selectFiles } from "../../../src/bundle/select/select.js";
import { writeDeterministicZip } from "../../../src/bundle/archive/zip.js";
import { EncoderPool } from "../../../src/bundle/archive/zip-encoder.js";
import { makeTree, python, tempDir } from "../helpers.js";

const pools = [new EncoderPool(1), new EncoderPool(3)];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

const module = (i: number) => `def f${i}(x):\n    """Doubles x, the long way round."""\n    return x + x  # ${"pad ".repeat(i % 40)}\n`;

/** Many small modules (several batches), a tiny one, an empty one, random data, and a > 256 KiB text file. */
function mixedTree(): string {
  const files: Record<string, string | Buffer> = { "mix/__init__.py": "", "mix/tiny.py": "X=1\n", "mix/data/random.bin": randomBytes(300_000), "mix/data/big.txt": "row,1,2,3\n".repeat(40_000) };
  for (let i = 0; i < 300; i++) files[`mix/mods/m${i}.py`] = module(i).repeat(8);
  files["mix/mods/__init__.py"] = "";
  return makeTree(files);
}

async function hashed(root: string): Promise<HashedFile[]> {
  return (await hashFiles(await selectFiles(root, detectLayout(root), { useGit: false }))).files;
}

describe("parallel zip writer", () => {
  test("byte-identical archives with 1 or 3 workers, and with the shared pool", async () => {
    const files = await hashed(mixedTree());
    const outs = [join(tempDir(), "a.zip"), join(tempDir(), "b.zip"), join(tempDir(), "c.zip")];
    const results = [
      await writeDeterministicZip(outs[0]!, files, [], { pool: pools[0] }),
      await writeDeterministicZip(outs[1]!, files, [], { pool: pools[1] }),
      await writeDeterministicZip(outs[2]!, files),
    ];
    const bytes = outs.map((o) => readFileSync(o));
    expect(bytes[1]!.equals(bytes[0]!)).toBe(true);
    expect(bytes[2]!.equals(bytes[0]!)).toBe(true);
    expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    expect(results[0]!.bytes).toBe(bytes[0]!.length);
  });

  test("incompressible and tiny entries are stored, text is deflated; every CRC checks out in Python", async () => {
    const root = mixedTree();
    const out = join(tempDir(), "mixed.zip");
    await writeDeterministicZip(out, await hashed(root));
    const info = JSON.parse(python(
      `import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: [i.compress_type, i.file_size, i.compress_size] for i in z.infolist()}))`,
      [out],
    )) as Record<string, [number, number, number]>;
    expect(info["mix/data/random.bin"]).toEqual([0, 300_000, 300_000]);
    expect(info["mix/tiny.py"]![0]).toBe(0); // deflate would grow it
    expect(info["mix/__init__.py"]).toEqual([0, 0, 0]);
    expect(info["mix/data/big.txt"]![0]).toBe(8);
    expect(info["mix/data/big.txt"]![2]).toBeLessThan(info["mix/data/big.txt"]![1] / 10);
    expect(info["mix/mods/m7.py"]![0]).toBe(8);
    const extracted = python(
      `import hashlib, sys, zipfile
print(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read("mix/data/random.bin")).hexdigest())`,
      [out],
    ).trim();
    expect(extracted).toBe((await hashed(root)).find((f) => f.zipPath === "mix/data/random.bin")!.sha256);
  });

  test("zipimport loads both stored and deflated modules from the archive", async () => {
    const out = join(tempDir(), "mixed.zip");
    await writeDeterministicZip(out, await hashed(mixedTree()));
    const printed = python(
      `import sys
sys.path.insert(0, sys.argv[1])
import mix.tiny, mix.mods.m299
print(mix.tiny.X, mix.mods.m299.f299(21), mix.tiny.__loader__.__class__.__name__)`,
      [out],
    );
    expect(printed.trim()).toBe("1 42 zipimporter");
  });

  test("bytes that no longer match their digest are caught on the worker: FileChangedError", async () => {
    const files = await hashed(mixedTree());
    const tampered = files.map((f) => (f.zipPath === "mix/mods/m150.py" ? { ...f, sha256: "0".repeat(64) } : f));
    const err = await writeDeterministicZip(join(tempDir(), "x.zip"), tampered).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileChangedError);
    expect((err as FileChangedError).absPath).toMatch(/m150\.py$/);
  });

  test("extra entries are copied, never taken over: the caller's buffers stay intact", async () => {
    const content = Buffer.alloc(200_000, 7); // owns its ArrayBuffer, so it could be transferred
    const out = join(tempDir(), "extra.zip");
    await writeDeterministicZip(out, await hashed(makeTree({ "m.py": "" })), [{ zipPath: "_loader.py", content }]);
    expect(content.length).toBe(200_000);
    expect(content[199_999]).toBe(7);
    expect(python("import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).read('_loader.py')))", [out]).trim()).toBe("200000");
  });

  test("a deflate level outside 1-9 is refused with the range named", async () => {
    await expect(writeDeterministicZip(join(tempDir(), "l.zip"), [], [], { level: 0 })).rejects.toThrow(/from 1 \(fastest\) to 9/);
  });
});
