import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { buildBundle } from "../../../src/bundle/archive/build.js";
import { resolveBundleSettings } from "../../../src/bundle/project/config.js";
import { BundleError } from "../../../src/bundle/errors.js";
import { type BundleEvent } from "../../../src/bundle/events.js";
import { copyFixture, git, makeTree, python, tempDir } from "../helpers.js";

const zipNames = (zipPath: string): string[] =>
  JSON.parse(python("import json, sys, zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))", [zipPath])) as string[];

describe("buildBundle", () => {
  test("first build zips; an unchanged rebuild reuses the cached archive; events are structured", async () => {
    const root = copyFixture("flatlib");
    const cacheDir = join(tempDir(), "bundles");
    const events: BundleEvent[] = [];
    const seenZipPaths: (readonly string[])[] = [];
    const extraEntries = (hash12: string, zipPaths: readonly string[]) => {
      seenZipPaths.push(zipPaths);
      return [{ zipPath: `_sab_loader_${hash12}.py`, content: Buffer.from("# loader\n") }];
    };
    const first = await buildBundle({ root, cacheDir, extraEntries, onEvent: (e) => events.push(e) });

    expect(first).toMatchObject({ files: 5, projectName: "flatlib-fixture", root, fromCache: false });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.hash12).toBe(first.hash.slice(0, 12));
    expect(first.zipPath.startsWith(cacheDir)).toBe(true);
    expect(first.warnings).toEqual([expect.objectContaining({ type: "warning", code: "secret-skipped", path: "weblog/.env" })]);
    expect(events.map((e) => e.type)).toEqual(["warning", "scan", "build"]);
    expect(events[1]).toMatchObject({ type: "scan", files: 5 });
    expect(events[2]).toEqual({ type: "build", hash: first.hash, bytes: first.bytes, fromCache: false });
    expect(zipNames(first.zipPath)).toContain(`_sab_loader_${first.hash12}.py`);
    expect(seenZipPaths[0]).toEqual(["weblog/__init__.py", "weblog/geo/__init__.py", "weblog/geo/data/countries.json", "weblog/geo/lookup.py", "weblog/parse.py"]);

    const second = await buildBundle({ root, cacheDir, extraEntries });
    expect(second).toEqual({ ...first, fromCache: true });

    appendFileSync(join(root, "weblog/parse.py"), "\n# edited\n");
    const third = await buildBundle({ root, cacheDir, extraEntries });
    expect(third.fromCache).toBe(false);
    expect(third.hash).not.toBe(first.hash);
  });

  test("extra entries are outside the content hash but part of the cache key", async () => {
    const root = copyFixture("srclayout");
    const cacheDir = join(tempDir(), "bundles");
    const v1 = await buildBundle({ root, cacheDir, extraEntries: () => [{ zipPath: "_gen.py", content: Buffer.from("V = 1\n") }] });
    const v2 = await buildBundle({ root, cacheDir, extraEntries: () => [{ zipPath: "_gen.py", content: Buffer.from("V = 2\n") }] });
    expect(v2.hash).toBe(v1.hash);
    expect(v2.fromCache).toBe(false);
    expect(v2.zipPath).not.toBe(v1.zipPath);
  });

  test("package.json settings apply; explicit options win; root may be redirected", async () => {
    const root = makeTree({
      "package.json": JSON.stringify({ name: "app", sparkAutobundle: { exclude: ["py/lib/heavy"], include: ["conf/*.ini"], pythonRoots: ["py"] } }),
      "py/lib/__init__.py": "", "py/lib/heavy/model.bin": "x", "conf/a.ini": "",
    });
    const cacheDir = join(tempDir(), "bundles");
    const fromConfig = await buildBundle({ root, cacheDir });
    // include'd files outside every Python root keep their project-relative path.
    expect(zipNames(fromConfig.zipPath).filter((n) => !n.endsWith("/"))).toEqual(["conf/a.ini", "lib/__init__.py"]);
    const explicit = await buildBundle({ root, cacheDir, exclude: [], include: [] });
    expect(zipNames(explicit.zipPath).filter((n) => !n.endsWith("/"))).toEqual(["lib/__init__.py", "lib/heavy/model.bin"]);

    const outer = makeTree({
      "app/package.json": JSON.stringify({ sparkAutobundle: { root: "../python" } }),
      "app/main.ts": "",
      "python/pyproject.toml": `[project]\nname = "pylib"\n`,
      "python/pylib/__init__.py": "",
    });
    const redirected = await buildBundle({ callerFile: join(outer, "app/main.ts"), cacheDir });
    expect(redirected).toMatchObject({ root: join(outer, "python"), projectName: "pylib", files: 1 });
  });

  test("invalid settings in package.json are named with the fix", async () => {
    const root = makeTree({ "package.json": JSON.stringify({ sparkAutobundle: { exclud: ["x"] } }), "m.py": "" });
    await expect(buildBundle({ root, cacheDir: join(tempDir(), "b") })).rejects.toThrow(/unknown key "exclud".*Known keys/);
    const bad = makeTree({ "package.json": JSON.stringify({ sparkAutobundle: { maxFileBytes: "10MB" } }), "m.py": "" });
    await expect(buildBundle({ root: bad, cacheDir: join(tempDir(), "b") })).rejects.toThrow(/maxFileBytes must be a positive integer/);
    const deps = (dependencies: unknown) => makeTree({ "package.json": JSON.stringify({ sparkAutobundle: { dependencies } }), "m.py": "" });
    await expect(buildBundle({ root: deps(true), cacheDir: join(tempDir(), "b") })).rejects.toThrow(/dependencies must be false or an object like \{"groups"/);
    await expect(buildBundle({ root: deps({ group: ["ml"] }), cacheDir: join(tempDir(), "b") })).rejects.toThrow(/dependencies has unknown key "group". Known keys: groups, requirements, serverHas, platforms/);
    await expect(buildBundle({ root: deps({ groups: "ml" }), cacheDir: join(tempDir(), "b") })).rejects.toThrow(/dependencies.groups must be an array of non-empty strings/);
  });

  test("package.json dependencies settings are read, and an explicit option wins", () => {
    const root = makeTree({ "package.json": JSON.stringify({ sparkAutobundle: { dependencies: { groups: ["ml"], serverHas: ["numpy"] } } }), "m.py": "" });
    expect(resolveBundleSettings({ root }).settings.dependencies).toEqual({ groups: ["ml"], serverHas: ["numpy"] });
    expect(resolveBundleSettings({ root, dependencies: false }).settings.dependencies).toBe(false);
  });

  test("without root, discovery starts at this test file (first frame outside the package)", async () => {
    const result = await buildBundle({ cacheDir: join(tempDir(), "bundles"), pythonRoots: ["fixtures/srclayout/src"] });
    expect(result.projectName).toBe("spark-autobundle");
    expect(result.files).toBe(2);
  });

  test("a file edited between hashing and zipping triggers a rebuild with the new content", async () => {
    const root = copyFixture("srclayout");
    const text = join(root, "src/textkit/text.py");
    let calls = 0;
    const result = await buildBundle({
      root,
      cacheDir: join(tempDir(), "bundles"),
      extraEntries: () => {
        if (calls++ === 0) appendFileSync(text, "\nEDITED = True\n"); // lands after hashing, before zipping
        return [];
      },
    });
    expect(calls).toBe(2);
    const clean = await buildBundle({ root, cacheDir: join(tempDir(), "bundles") });
    expect(result.hash).toBe(clean.hash);
    expect(python("import sys; sys.path.insert(0, sys.argv[1]); import textkit.text as t; print(t.EDITED)", [result.zipPath]).trim()).toBe("True");
  });

  test("a file that keeps changing fails with an error naming it", async () => {
    const root = copyFixture("srclayout");
    const text = join(root, "src/textkit/text.py");
    const err = await buildBundle({
      root,
      cacheDir: join(tempDir(), "bundles"),
      extraEntries: () => {
        appendFileSync(text, "# again\n");
        return [];
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe("FILE_CHANGING");
    expect((err as Error).message).toContain(text);
    expect((err as Error).message).toContain("exclude");
  });

  test("nothing to bundle: a warning says where it looked and what to set", async () => {
    const root = makeTree({ "package.json": "{}", "index.ts": "" });
    writeFileSync(join(root, "README.md"), "");
    const result = await buildBundle({ root, cacheDir: join(tempDir(), "bundles") });
    expect(result.files).toBe(0);
    expect(result.warnings).toEqual([expect.objectContaining({ code: "empty-bundle" })]);
    expect(result.warnings[0]!.message).toMatch(/pythonRoots/);
  });

  test("nothing to bundle because git ignores the package: the warning names the .gitignore line, not pythonRoots", async () => {
    const root = makeTree({ "pyproject.toml": '[project]\nname = "mylib"\n', ".gitignore": "*.log\nmylib/\n", "mylib/__init__.py": "", "mylib/text.py": "def f():\n    return 1\n" });
    git(root, "init", "-q");
    const result = await buildBundle({ root, cacheDir: join(tempDir(), "bundles") });
    expect(result.files).toBe(0);
    const [warning] = result.warnings;
    expect(warning).toMatchObject({ code: "empty-bundle" });
    expect(warning!.message).toContain("mylib by .gitignore line 2 (`mylib/`)");
    expect(warning!.message).toContain('include` (e.g. "mylib/**")');
    expect(warning!.message).not.toMatch(/pythonRoots/);
  });
});
