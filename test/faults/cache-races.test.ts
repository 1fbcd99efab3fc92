// Faults on the bundling side, no Spark needed: two processes racing on one cache, round after round,
// with the project changing between rounds; and file names that are not UTF-8.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { buildBundle } from "../../src/bundle/archive/build.js";
import { sha256Hex } from "../../src/bundle/archive/hash.js";
import { copyFixture, makeTree, python, REPO_ROOT, tempDir } from "../bundle/helpers.js";

describe("two processes bundling one project into one cache", () => {
  test("10 rounds, the project edited between rounds: both agree every time, and the cache holds only whole archives", async () => {
    const root = copyFixture("flatlib");
    makeTree(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`weblog/gen/m${i}.py`, `X = ${"1".repeat(3000)}\n`])), root);
    const cacheDir = join(tempDir(), "bundles");
    const script = join(tempDir(), "build.mts");
    writeFileSync(script, `import { buildBundle } from ${JSON.stringify(join(REPO_ROOT, "src/bundle/archive/build.ts"))};
const r = await buildBundle({ root: ${JSON.stringify(root)}, cacheDir: ${JSON.stringify(cacheDir)} });
console.log(JSON.stringify({ hash: r.hash, zipPath: r.zipPath }));\n`);
    const run = async () => JSON.parse((await promisify(execFile)(join(REPO_ROOT, "node_modules/.bin/tsx"), [script], { encoding: "utf8" })).stdout) as { hash: string; zipPath: string };
    const hashes = new Set<string>();
    for (let round = 0; round < 10; round++) {
      writeFileSync(join(root, "weblog/gen/round.py"), `ROUND = ${round}\n`);
      const [a, b] = await Promise.all([run(), run()]);
      expect(b.hash, `round ${round}`).toBe(a.hash);
      expect(b.zipPath).toBe(a.zipPath);
      // The archive's name carries its SHA-256: what is on disk is whole.
      expect(sha256Hex(readFileSync(a.zipPath))).toBe(a.zipPath.slice(-68, -4));
      expect(python(`import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip(), z.read('weblog/gen/round.py').decode().strip())`, [a.zipPath]).trim()).toBe(`None ROUND = ${round}`);
      hashes.add(a.hash);
    }
    expect(hashes.size).toBe(10);
    const names = readdirSync(cacheDir);
    expect(names.filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    expect(names.filter((n) => n.endsWith(".zip"))).toHaveLength(10);
  }, 300_000);
});

describe.skipIf(process.platform !== "linux")("file names that are not UTF-8", () => {
  test("are left out with a warning naming them, and the rest of the package still ships", async () => {
    const root = makeTree({ "pkg/__init__.py": "", "pkg/good.py": "A = 1\n" });
    // Linux file names are bytes: 0xff is valid there and in no UTF-8 string.
    const dir = Buffer.from(join(root, "pkg"));
    writeFileSync(Buffer.concat([dir, Buffer.from("/caf\xe9.py", "latin1")]), "B = 2\n");
    mkdirSync(Buffer.concat([dir, Buffer.from("/\xff\xfe", "latin1")]));
    const warnings: string[] = [];
    const result = await buildBundle({ root, cacheDir: join(tempDir(), "bundles"), onEvent: (e) => e.type === "warning" && warnings.push(e.message) });
    const names = python(`import zipfile,sys; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))`, [result.zipPath]).trim().split("\n");
    expect(names).toContain("pkg/good.py");
    expect(names.every((n) => !n.includes("\ufffd"))).toBe(true);
    expect(names.filter((n) => n.startsWith("pkg/caf"))).toEqual([]);
    expect(warnings.filter((w) => w.includes("not valid UTF-8")), JSON.stringify({ warnings, names })).toHaveLength(2);
  });
});
