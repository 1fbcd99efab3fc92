import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyFixture, python, tempDir } from "../../bundle/helpers.js";
import { jsonOf, runCliProcess, runMain } from "../helpers.js";

interface BundleJson {
  ok: boolean;
  hash: string;
  hash12: string;
  files: number;
  bytes: number;
  zipPath: string;
  fromCache: boolean;
  projectName: string;
  root: string;
  cacheDir: string;
  warnings: unknown[];
}

/** File entries (directory entries left aside) of a zip, read by Python's zipfile. */
const zipFiles = (zipPath: string) =>
  python("import sys, zipfile; print('\\n'.join(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if not n.endswith('/')))", [zipPath]).trim().split("\n").sort();

describe("bundle", () => {
  it("builds into the cache and prints hash, size, file count and path (--json); the second run reuses it", async () => {
    const root = copyFixture("srclayout");
    const cacheDir = tempDir("sab-cli-cache-");
    const first = await runMain(["bundle", "--root", root, "--cache-dir", cacheDir, "--json"]);
    expect(first.code).toBe(0);
    const built = jsonOf<BundleJson>(first);
    expect(built).toMatchObject({ ok: true, files: 2, fromCache: false, projectName: "textkit", root, cacheDir, warnings: [] });
    expect(built.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(built.hash12).toBe(built.hash.slice(0, 12));
    expect(built.zipPath.startsWith(`${cacheDir}/`)).toBe(true);
    expect(statSync(built.zipPath).size).toBe(built.bytes);
    // What a session receives: the project's files plus the loader module named after the hash.
    expect(zipFiles(built.zipPath)).toEqual([`_sab_loader_${built.hash12}.py`, "textkit/__init__.py", "textkit/text.py"]);

    const again = jsonOf<BundleJson>(await runMain(["bundle", "--root", root, "--cache-dir", cacheDir, "--json"]));
    expect(again).toMatchObject({ hash: built.hash, zipPath: built.zipPath, fromCache: true });

    writeFileSync(join(root, "src/textkit/extra.py"), "X = 1\n");
    const changed = jsonOf<BundleJson>(await runMain(["bundle", "--root", root, "--cache-dir", cacheDir, "--json"]));
    expect(changed.hash).not.toBe(built.hash);
    expect(changed.files).toBe(3);
  });

  it("prints a short human summary", async () => {
    const cacheDir = tempDir("sab-cli-cache-");
    const run = await runMain(["bundle", "--root", "fixtures/flatlib", "--cache-dir", cacheDir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Bundle [0-9a-f]{12} flatlib-fixture: 5 files, [\d.]+ KiB \(built\)\n {2}hash: {2}[0-9a-f]{64}\n {2}cache: \//);
    expect(run.stderr).toContain("warning: Not bundling weblog/.env");
  });

  it("exits 4 with the bundle error's code when the project is over a size limit", async () => {
    const root = copyFixture("flatlib");
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "flatlib-fixture", sparkAutobundle: { maxBundleBytes: 100 } }));
    const run = await runMain(["bundle", "--root", root, "--cache-dir", tempDir("sab-cli-cache-"), "--json"]);
    expect(run.code).toBe(4);
    expect(jsonOf(run)).toMatchObject({ ok: false, exitCode: 4, error: { name: "BundleError", code: "BUNDLE_TOO_LARGE", message: expect.stringContaining("maxBundleBytes") } });
  });

  it("runs as a real subprocess: exit code 0 and the JSON summary on stdout", async () => {
    const cacheDir = tempDir("sab-cli-cache-");
    const run = await runCliProcess(["bundle", "--root", "fixtures/srclayout", "--cache-dir", cacheDir, "--json"]);
    expect(run.code).toBe(0);
    expect(jsonOf<BundleJson>(run)).toMatchObject({ ok: true, files: 2, projectName: "textkit", cacheDir });
  });
});
