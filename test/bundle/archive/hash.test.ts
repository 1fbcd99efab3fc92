import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { FileChangedError, hashFiles, readStable, sha256Hex, StatCache } from "../../../src/bundle/archive/hash.js";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { selectFiles, type SelectedFile } from "../../../src/bundle/select/select.js";
import { makeTree, python, tempDir } from "../helpers.js";

const TREE = { "app/__init__.py": "from app.core import run\n", "app/core.py": "def run():\n    return 42\n", "app/data/t.json": "{}", "tool.py": "#!/usr/bin/env python3\n" };

async function selection(root: string): Promise<SelectedFile[]> {
  return selectFiles(root, detectLayout(root), { useGit: false });
}

describe("hashFiles", () => {
  test("matches an independent Python implementation of the documented framing", async () => {
    const root = makeTree(TREE);
    chmodSync(join(root, "tool.py"), 0o755);
    const { hash, hash12 } = await hashFiles(await selection(root));
    const expected = python(
      `import hashlib, os, struct, sys
root = sys.argv[1]
files = []
for d, _, names in os.walk(root):
    for n in names:
        p = os.path.join(d, n)
        files.append((os.path.relpath(p, root).replace(os.sep, "/").encode(), p))
h = hashlib.sha256(b"spark-autobundle/content-hash/v1\\n")
for name, p in sorted(files):
    data = open(p, "rb").read()
    execbit = 1 if os.stat(p).st_mode & 0o111 else 0
    h.update(struct.pack(">I", len(name)) + name + bytes([execbit]) + struct.pack(">Q", len(data)) + hashlib.sha256(data).digest())
print(h.hexdigest())`,
      [root],
    ).trim();
    expect(hash).toBe(expected);
    expect(hash12).toBe(expected.slice(0, 12));
  });

  test("identical trees hash identically regardless of location, mtimes and non-exec mode bits", async () => {
    const a = makeTree(TREE);
    const b = join(tempDir(), "elsewhere");
    cpSync(a, b, { recursive: true });
    utimesSync(join(b, "app/core.py"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    chmodSync(join(b, "app/data/t.json"), 0o600);
    expect((await hashFiles(await selection(b))).hash).toBe((await hashFiles(await selection(a))).hash);
  });

  test("content, path and executable bit each change the hash; path/content boundaries cannot be confused", async () => {
    const base = (await hashFiles(await selection(makeTree(TREE)))).hash;
    const edited = makeTree({ ...TREE, "app/core.py": "def run():\n    return 43\n" });
    const { "app/core.py": core, ...rest } = TREE;
    const renamed = makeTree({ ...rest, "app/core2.py": core });
    const exec = makeTree(TREE);
    chmodSync(join(exec, "app/core.py"), 0o755);
    const hashes = await Promise.all([edited, renamed, exec].map(async (r) => (await hashFiles(await selection(r))).hash));
    expect(new Set([base, ...hashes]).size).toBe(4);

    const ab = makeTree({ "m/__init__.py": "", "m/ab": "c" });
    const a = makeTree({ "m/__init__.py": "", "m/a": "bc" });
    expect((await hashFiles(await selection(ab))).hash).not.toBe((await hashFiles(await selection(a))).hash);
  });
});

describe("stat cache", () => {
  test("an unchanged stat is served from the cache; saved atomically as JSON (version 3, with ctime and the secret verdict)", async () => {
    const root = makeTree(TREE);
    const cacheFile = join(tempDir(), "stat.json");
    const cache = await StatCache.open(cacheFile);
    const first = await hashFiles(await selection(root), cache);
    const again = await selection(root);
    for (const file of again) expect(cache.get(file)).toEqual({ sha256: first.files.find((f) => f.zipPath === file.zipPath)!.sha256, secret: undefined });

    await cache.save();
    const saved = JSON.parse(readFileSync(cacheFile, "utf8")) as { version: number; entries: Record<string, unknown[]> };
    expect(saved.version).toBe(3);
    expect(Object.keys(saved.entries).sort()).toEqual(Object.keys(TREE).map((rel) => join(root, rel)).sort());
    const core = join(root, "app/core.py");
    expect(saved.entries[core]![3]).toBe(statSync(core).ctimeMs);
    expect(saved.entries[core]![4]).toMatch(/^[0-9a-f]{64}$/);
    expect(saved.entries[core]![5]).toBe("");
    expect(readdirSync(join(cacheFile, ".."))).toEqual(["stat.json"]);
  });

  test("an edit that keeps size and mtime (edit, then `touch -d` back) is re-hashed: ctime moved", async () => {
    const root = makeTree(TREE);
    const core = join(root, "app/core.py");
    const wholeSecond = 1_700_000_000; // exactly representable, so it can be restored below
    utimesSync(core, wholeSecond, wholeSecond);
    const cache = await StatCache.open(join(tempDir(), "stat.json"));
    const first = await hashFiles(await selection(root), cache);
    const before = statSync(core);

    await sleep(20); // ctime has ns resolution here, but a coarse clock could give the same value
    writeFileSync(core, "def run():\n    return 24\n"); // same length as "... 42\n"
    execFileSync("touch", ["-d", "@1700000000", core]);
    const after = statSync(core);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    expect(after.ctimeMs).not.toBe(before.ctimeMs);

    const second = await hashFiles(await selection(root), cache);
    expect(second.hash).not.toBe(first.hash);
    expect(second.files.find((f) => f.zipPath === "app/core.py")!.sha256).toBe(sha256Hex(readFileSync(core)));
  });

  test("a version-2 cache file (never scanned for secrets) is a cold cache", async () => {
    const root = makeTree(TREE);
    const core = join(root, "app/core.py");
    const s = statSync(core);
    const cacheFile = join(tempDir(), "stat.json");
    const wrong = "0".repeat(64);
    writeFileSync(cacheFile, JSON.stringify({ version: 2, entries: { [core]: [s.size, s.mtimeMs, s.ino, s.ctimeMs, wrong] } }));
    const cache = await StatCache.open(cacheFile);
    const { files } = await hashFiles(await selection(root), cache);
    expect(files.find((f) => f.zipPath === "app/core.py")!.sha256).toBe(sha256Hex(readFileSync(core)));
  });

  test("a version-1 cache file (no ctime) is a cold cache", async () => {
    const root = makeTree(TREE);
    const core = join(root, "app/core.py");
    const s = statSync(core);
    const cacheFile = join(tempDir(), "stat.json");
    const wrong = "0".repeat(64);
    writeFileSync(cacheFile, JSON.stringify({ version: 1, entries: { [core]: [s.size, s.mtimeMs, s.ino, wrong] } }));
    const cache = await StatCache.open(cacheFile);
    const { files } = await hashFiles(await selection(root), cache);
    expect(files.find((f) => f.zipPath === "app/core.py")!.sha256).toBe(sha256Hex(readFileSync(core)));
  });

  test("a garbled cache file is a cold cache, not an error", async () => {
    const cacheFile = join(tempDir(), "stat.json");
    writeFileSync(cacheFile, "{not json");
    const cache = await StatCache.open(cacheFile);
    const root = makeTree(TREE);
    expect((await hashFiles(await selection(root), cache)).files).toHaveLength(4);
  });
});

describe("readStable", () => {
  test("a file whose stat no longer matches the selection is reported as changing", async () => {
    const root = makeTree(TREE);
    const [file] = await selection(root);
    writeFileSync(file!.absPath, "changed, and longer than before\n");
    expect(() => readStable(file!)).toThrow(FileChangedError);
  });
});
