import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { buildBundle } from "../../../src/bundle/archive/build.js";
import { BundleCache, defaultCacheDir, EVICTION_GRACE_MS } from "../../../src/bundle/archive/cache.js";
import { sha256Hex } from "../../../src/bundle/archive/hash.js";
import { copyFixture, makeTree, python, REPO_ROOT, tempDir } from "../helpers.js";

const key = (n: number) => n.toString(16).padStart(64, "0");
const writer = (content: string) => async (tmp: string) => {
  writeFileSync(tmp, content);
  return { bytes: Buffer.byteLength(content), sha256: sha256Hex(Buffer.from(content)) };
};
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);

describe("BundleCache", () => {
  test("store publishes <key>-<size>-<sha>.zip atomically; lookup finds and touches it", async () => {
    const cache = new BundleCache(join(tempDir(), "bundles"));
    expect(await cache.lookup(key(1))).toBeUndefined();
    const stored = await cache.store(key(1), writer("zip bytes"));
    expect(stored.path).toBe(join(cache.dir, `${key(1)}-9-${sha256Hex(Buffer.from("zip bytes"))}.zip`));
    expect(readdirSync(cache.dir)).toEqual([`${key(1)}-9-${stored.sha256}.zip`]);
    utimesSync(stored.path, hoursAgo(5), hoursAgo(5));
    expect(await cache.lookup(key(1))).toEqual(stored);
    expect(Date.now() - statSync(stored.path).mtimeMs).toBeLessThan(3600_000);
  });

  test("a failed write leaves nothing behind", async () => {
    const cache = new BundleCache(join(tempDir(), "bundles"));
    const failing = async (tmp: string) => {
      writeFileSync(tmp, "half");
      throw new Error("disk full");
    };
    await expect(cache.store(key(2), failing)).rejects.toThrow("disk full");
    expect(readdirSync(cache.dir)).toEqual([]);
  });

  test("a truncated or corrupted archive is deleted on lookup (so it gets rebuilt)", async () => {
    const cache = new BundleCache(join(tempDir(), "bundles"));
    const a = await cache.store(key(3), writer("0123456789"));
    truncateSync(a.path, 4);
    expect(await cache.lookup(key(3))).toBeUndefined();
    expect(readdirSync(cache.dir)).toEqual([]);

    const b = await cache.store(key(4), writer("0123456789"));
    writeFileSync(b.path, "9876543210"); // same size, different bytes
    expect(await cache.lookup(key(4))).toBeUndefined();
  });

  test("LRU eviction down to the bound; never the archive just written, nor recently used ones", async () => {
    const cache = new BundleCache(join(tempDir(), "bundles"), 25);
    const old1 = await cache.store(key(10), writer("a".repeat(10)));
    const old2 = await cache.store(key(11), writer("b".repeat(10)));
    const recent = await cache.store(key(12), writer("c".repeat(10)));
    utimesSync(old1.path, hoursAgo(3), hoursAgo(3));
    utimesSync(old2.path, hoursAgo(2), hoursAgo(2));
    writeFileSync(join(cache.dir, ".tmp-dead-1-abcd.part"), "x");
    utimesSync(join(cache.dir, ".tmp-dead-1-abcd.part"), hoursAgo(2), hoursAgo(2));
    const fresh = await cache.store(key(13), writer("d".repeat(10)));
    // 40 bytes > 25: old1 and old2 go (oldest first); `recent` is inside the grace period and stays.
    expect(readdirSync(cache.dir).sort()).toEqual([recent.path, fresh.path].map((p) => p.slice(cache.dir.length + 1)).sort());
    expect(EVICTION_GRACE_MS).toBeGreaterThan(0);

    const tiny = new BundleCache(join(tempDir(), "bundles"), 1);
    const only = await tiny.store(key(14), writer("bigger than the bound"));
    expect(readdirSync(tiny.dir)).toEqual([only.path.slice(tiny.dir.length + 1)]);
  });

  test("default location follows $SPARK_AUTOBUNDLE_HOME, then the platform cache dir", () => {
    expect(defaultCacheDir({ SPARK_AUTOBUNDLE_HOME: "/opt/sab" }, "linux")).toBe("/opt/sab/bundles");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/xdg" }, "linux")).toBe("/xdg/spark-autobundle/bundles");
    expect(defaultCacheDir({}, "linux")).toMatch(/\.cache\/spark-autobundle\/bundles$/);
    expect(defaultCacheDir({}, "darwin")).toMatch(/Library\/Caches\/spark-autobundle\/bundles$/);
    expect(defaultCacheDir({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32")).toContain("spark-autobundle");
  });
});

describe("cache through buildBundle", () => {
  test("a truncated cached archive is rebuilt and valid again", async () => {
    const root = copyFixture("srclayout");
    const cacheDir = join(tempDir(), "bundles");
    const first = await buildBundle({ root, cacheDir });
    truncateSync(first.zipPath, 10);
    const second = await buildBundle({ root, cacheDir });
    expect(second.fromCache).toBe(false);
    expect(second.zipPath).toBe(first.zipPath);
    expect(sha256Hex(readFileSync(second.zipPath))).toBe(second.zipPath.slice(-68, -4));
    expect(python("import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())", [second.zipPath]).trim()).toBe("None");
    const third = await buildBundle({ root, cacheDir });
    expect(third.fromCache).toBe(true);
  });

  test("two processes building the same bundle at once share one valid archive", async () => {
    const root = copyFixture("flatlib");
    makeTree(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`weblog/gen/m${i}.py`, `X = ${"1".repeat(2000)}\n`])), root);
    const cacheDir = join(tempDir(), "bundles");
    const script = join(tempDir(), "build.mts");
    writeFileSync(script, `import { buildBundle } from ${JSON.stringify(join(REPO_ROOT, "src/bundle/archive/build.ts"))};
const r = await buildBundle({ root: ${JSON.stringify(root)}, cacheDir: ${JSON.stringify(cacheDir)} });
console.log(JSON.stringify(r));\n`);
    const run = () => promisify(execFile)(join(REPO_ROOT, "node_modules/.bin/tsx"), [script], { encoding: "utf8" });
    const [a, b] = await Promise.all([run(), run()]);
    const ra = JSON.parse(a.stdout) as { zipPath: string; hash: string; files: number };
    const rb = JSON.parse(b.stdout) as { zipPath: string; hash: string };
    expect(rb.hash).toBe(ra.hash);
    expect(rb.zipPath).toBe(ra.zipPath);
    expect(ra.files).toBe(205);
    const zips = readdirSync(cacheDir).filter((n) => n.endsWith(".zip"));
    expect(zips).toEqual([ra.zipPath.slice(cacheDir.length + 1)]);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    expect(sha256Hex(readFileSync(ra.zipPath))).toBe(ra.zipPath.slice(-68, -4));
  });
});
