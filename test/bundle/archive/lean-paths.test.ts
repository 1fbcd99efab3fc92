// The allocation-light code paths (kept for the peak-RSS target) must give exactly what the
// straightforward ones gave: the sort order, the content-hash framing, the default excludes.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import ignore from "ignore";
import { compareUtf8, hashFiles, sortByZipPath, StatCache, type HashedFile } from "../../../src/bundle/archive/hash.js";
import { DEFAULT_EXCLUDES, isDefaultExcluded } from "../../../src/bundle/select/ignore.js";
import type { SelectedFile } from "../../../src/bundle/select/select.js";
import { rng } from "../../../bench/tree.js";

const byBytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));

describe("compareUtf8 (sorting without encoding every name)", () => {
  it("orders as the UTF-8 bytes do, astral characters, U+E000-FFFF and lone surrogates included", () => {
    const alphabet = ["a", "b", "/", "_", "é", "\u{d7ff}", "\u{e000}", "\u{ffff}", "\u{fffd}", "😀", "\u{10000}", "\ud800", "\udc00", "\ud83d"];
    const rand = rng(42);
    const word = () => Array.from({ length: Math.floor(rand() * 5) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = word();
      expect([a, b, Math.sign(compareUtf8(a, b))]).toEqual([a, b, byBytes(a, b)]);
    }
  });

  it("sortByZipPath puts an astral name after U+FFFF, where JS string order would not", () => {
    const names = ["z", "\u{ffff}", "😀", "a/b", "a", "\u{e000}x"];
    expect(sortByZipPath(names.map((zipPath) => ({ zipPath }))).map((x) => x.zipPath)).toEqual([...names].sort((a, b) => byBytes(a, b)));
    expect(["😀", "\u{ffff}"].sort()).toEqual(["😀", "\u{ffff}"]); // the order a plain sort would give
  });
});

describe("the content hash, framed in one reused buffer", () => {
  /** The documented framing (see hashFiles), built the plain way. */
  function reference(files: HashedFile[]): string {
    const h = createHash("sha256").update("spark-autobundle/content-hash/v1\n");
    for (const f of [...files].sort((a, b) => byBytes(a.zipPath, b.zipPath))) {
      const name = Buffer.from(f.zipPath, "utf8");
      const header = Buffer.alloc(4 + name.length + 1 + 8);
      header.writeUInt32BE(name.length, 0);
      name.copy(header, 4);
      header.writeUInt8(f.executable ? 1 : 0, 4 + name.length);
      header.writeBigUInt64BE(BigInt(f.size), 5 + name.length);
      h.update(header).update(Buffer.from(f.sha256, "hex"));
    }
    return h.digest("hex");
  }

  it("matches the plain framing, for names longer than the buffer and sizes past 4 GiB", async () => {
    const cache = await StatCache.open(undefined);
    const file = (zipPath: string, size: number, executable: boolean, seed: string): SelectedFile => {
      const f = { absPath: `/nowhere/${seed}`, zipPath, size, mtimeMs: 1.5, ino: 7, ctimeMs: 2.25, executable };
      cache.set(f, { sha256: createHash("sha256").update(seed).digest("hex"), secret: undefined }); // served from the cache: no file needed
      return f;
    };
    const files = [
      file("pkg/__init__.py", 0, false, "a"),
      file("pkg/tool.py", 1234, true, "b"),
      file(`pkg/${"long_name/".repeat(600)}m.py`, 99, false, "c"), // 6,000+ bytes of name
      file("pkg/blob.bin", 2 ** 32 + 5, false, "d"),
      file("pkg/ü😀.py", 3, false, "e"),
    ];
    const content = await hashFiles(files, cache);
    expect(content.hash).toBe(reference(content.files));
    // Each record carries exactly the selection's fields plus its digest and the secret scan's verdict.
    for (const f of content.files) expect(Object.keys(f).sort()).toEqual(["absPath", "ctimeMs", "executable", "included", "ino", "mtimeMs", "secret", "sha256", "size", "zipPath"]);
  });
});

describe("default excludes, with ignore's cache started afresh now and then", () => {
  it("gives the same answers as a fresh matcher, across many more paths than one cache holds", () => {
    const fresh = ignore().add(DEFAULT_EXCLUDES);
    const rand = rng(7);
    const parts = ["pkg", "node_modules", "__pycache__", "build", "dist", "mod.py", "x.pyc", ".venv", "data", ".git", "m.egg-info"];
    for (let i = 0; i < 12_000; i++) {
      const depth = 1 + Math.floor(rand() * 4);
      const path = Array.from({ length: depth }, () => parts[Math.floor(rand() * parts.length)]).join("/") + (rand() < 0.3 ? `${i}` : "");
      const isDir = rand() < 0.3;
      expect([path, isDir, isDefaultExcluded(path, isDir)]).toEqual([path, isDir, fresh.ignores(isDir ? `${path}/` : path)]);
    }
  });
});
