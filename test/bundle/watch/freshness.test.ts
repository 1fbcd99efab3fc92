// Without Spark or a watcher: which paths count, turning watch mode on, and the per-job stat
// fingerprint that decides "nothing changed" when no watcher runs.
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Fingerprint, RACY_WINDOW_MS } from "../../../src/bundle/watch/freshness.js";
import { watchEnabled } from "../../../src/bundle/watch/watcher.js";
import { isEditorScratch, isPruned, isRelevantChange, isSelectionInput } from "../../../src/bundle/watch/filter.js";
import { git, makeTree, tempDir } from "../helpers.js";
import { PROJECT, sleep } from "./helpers.js";

describe("which paths count", () => {
  const scope = { root: "/p", cacheDir: "/p/.sab-cache" };

  it("prunes dependencies, caches, .git internals and our own cache dir, not code", () => {
    for (const path of ["/p/node_modules", "/p/a/node_modules/x.js", "/p/.venv", "/p/mylib/__pycache__", "/p/build", "/p/x.egg-info", "/p/.git/objects", "/p/.git/index", "/p/.sab-cache", "/p/.sab-cache/stat-1.json", "/elsewhere/x.py", "/p/vendor/.git/HEAD"]) {
      expect([path, isPruned(scope, path)]).toEqual([path, true]);
    }
    for (const path of ["/p", "/p/mylib", "/p/mylib/build", "/p/mylib/core.py", "/p/.git", "/p/.git/info", "/p/.git/info/exclude", "/p/.gitignore", "/p/package.json"]) {
      expect([path, isPruned(scope, path)]).toEqual([path, false]);
    }
    expect(isPruned(scope, "/p/mylib/dist", true)).toBe(false); // only the root's dist/ is a build output
    expect(isPruned(scope, "/p/dist", true)).toBe(true);
  });

  it("knows editors' scratch files and nothing else", () => {
    for (const name of [".core.py.swp", ".core.py.swo", ".core.py.swx", "4913", "5036", "core.py~", "core.py___jb_tmp___", "#core.py#", ".#core.py", "m.cpython-311.pyc"]) {
      expect([name, isEditorScratch(name)]).toEqual([name, true]);
    }
    for (const name of ["core.py", "swp.py", "4914", "123", "data.tmp", "notes.txt"]) expect([name, isEditorScratch(name)]).toEqual([name, false]);
  });

  it("treats selection inputs as relevant and our own output as not", () => {
    expect(isRelevantChange(scope, "/p/mylib/core.py")).toBe(true);
    expect(isRelevantChange(scope, "/p/.gitignore")).toBe(true);
    expect(isRelevantChange(scope, "/p/.git/info/exclude")).toBe(true);
    expect(isRelevantChange(scope, "/p")).toBe(true);
    expect(isRelevantChange(scope, "/p/.git/index.lock")).toBe(false);
    expect(isRelevantChange(scope, "/p/.sab-cache/abc.zip")).toBe(false);
    expect(isRelevantChange(scope, "/p/mylib/.core.py.swp")).toBe(false);
  });

  it("knows which files' contents shape the selection", () => {
    for (const path of ["/p/.gitignore", "/p/mylib/.gitignore", "/p/pyproject.toml", "/p/package.json", "/p/.git/info/exclude", "/p/target/udfs.jar"]) {
      expect([path, isSelectionInput(scope, path)]).toEqual([path, true]);
    }
    for (const path of ["/p/mylib/core.py", "/p/app.log", "/p/mylib/pyproject.toml", "/p/web/package.json"]) {
      expect([path, isSelectionInput(scope, path)]).toEqual([path, false]);
    }
  });
});

describe("turning watch mode on", () => {
  it("takes the option first, then SPARK_AUTOBUNDLE_WATCH, then package.json", () => {
    expect(watchEnabled(false, true, { SPARK_AUTOBUNDLE_WATCH: "1" })).toBe(false);
    expect(watchEnabled(true, false, { SPARK_AUTOBUNDLE_WATCH: "0" })).toBe(true);
    expect(watchEnabled(undefined, false, { SPARK_AUTOBUNDLE_WATCH: "1" })).toBe(true);
    expect(watchEnabled(undefined, true, { SPARK_AUTOBUNDLE_WATCH: "0" })).toBe(false);
    expect(watchEnabled(undefined, true, {})).toBe(true);
    expect(watchEnabled(undefined, undefined, {})).toBe(false);
  });

  it("refuses a value it does not understand, naming the variable and the fix", () => {
    expect(() => watchEnabled(undefined, undefined, { SPARK_AUTOBUNDLE_WATCH: "maybe" })).toThrow(/SPARK_AUTOBUNDLE_WATCH="maybe".*Set it to 1 \(watch\) or 0/);
  });
});

describe("the per-job fingerprint (no watcher)", () => {
  const trees: Record<string, string> = {};
  const scopeOf = (root: string) => ({ root, cacheDir: join(root, ".sab-cache") });

  beforeAll(async () => {
    for (const name of ["same", "untracked", "emptydir", "deleted", "ctime", "gitignore", "outer", "index", "pruned", "link", "narrow", "narrow2"]) trees[name] = makeTree(PROJECT);
    writeFileSync(join(trees.narrow!, "app.log"), "start\n");
    for (const name of ["untracked", "index"]) {
      git(trees[name]!, "init", "-q");
      git(trees[name]!, "add", "-A");
      git(trees[name]!, "commit", "-qm", "init");
    }
    // root inside a bigger repository, so .gitignore files above it matter
    trees.outer = join(makeTree({ "README.md": "x\n" }), "proj");
    cpSync(makeTree(PROJECT), trees.outer, { recursive: true });
    git(join(trees.outer, ".."), "init", "-q");
    makeTree({ "build/gen.py": "G = 1\n", "mylib/gen.py": { link: "../build/gen.py" } }, trees.link);
    // Everything must be older than the racy window before fingerprints can vouch for it.
    await sleep(RACY_WINDOW_MS + 100);
  });

  const take = (root: string) => Fingerprint.take(scopeOf(root));

  it("vouches for an untouched tree, even after its files were read", () => {
    const fp = take(trees.same!);
    spawnSync("cat", [join(trees.same!, "mylib/core.py")]);
    expect(fp.firstChange()).toBeUndefined();
  });

  it("sees a new untracked file in a git repository", () => {
    const fp = take(trees.untracked!);
    writeFileSync(join(trees.untracked!, "mylib/fresh.py"), "X = 1\n");
    expect(fp.firstChange()).toBe(join(trees.untracked!, "mylib"));
  });

  it("sees a file added to a directory that held nothing bundled", () => {
    const fp = take(trees.emptydir!);
    writeFileSync(join(trees.emptydir!, "mylib/empty/__init__.py"), "");
    expect(fp.firstChange()).toBe(join(trees.emptydir!, "mylib/empty"));
  });

  it("sees a deleted file", () => {
    const fp = take(trees.deleted!);
    unlinkSync(join(trees.deleted!, "mylib/core.py"));
    expect(fp.firstChange()).toBe(join(trees.deleted!, "mylib"));
  });

  it("sees an edit that keeps size and mtime (only ctime moves)", () => {
    const file = join(trees.ctime!, "mylib/core.py");
    const ref = join(tempDir(), "ref"); // outside the tree: keeps the exact (ns) timestamps
    writeFileSync(ref, "");
    spawnSync("touch", ["-r", file, ref]);
    const before = statSync(file);
    const fp = take(trees.ctime!);
    writeFileSync(file, "def f(x):\n    return x + 2\n"); // same length
    spawnSync("touch", ["-r", ref, file]);
    const after = statSync(file);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(fp.firstChange()).toBe(file);
  });

  it("sees a .gitignore edit, and a .gitignore appearing above the root inside its repository", () => {
    const fp = take(trees.gitignore!);
    appendFileSync(join(trees.gitignore!, ".gitignore"), "mylib/core.py\n");
    expect(fp.firstChange()).toBe(join(trees.gitignore!, ".gitignore"));

    const outer = take(trees.outer!);
    writeFileSync(join(trees.outer!, "..", ".gitignore"), "proj/mylib/\n");
    expect(outer.firstChange()).toBe(join(trees.outer!, "..", ".gitignore"));
  });

  it("sees git's index change (git rm --cached changes what is listed)", () => {
    const fp = take(trees.index!);
    git(trees.index!, "rm", "-q", "--cached", "mylib/core.py");
    expect(fp.firstChange()).toBe(join(trees.index!, ".git", "index"));
  });

  it("ignores writes in pruned places: node_modules, __pycache__, its own cache dir inside the root", () => {
    const root = trees.pruned!;
    mkdirSync(join(root, "node_modules/dep"), { recursive: true });
    mkdirSync(join(root, "mylib/__pycache__"), { recursive: true });
    mkdirSync(join(root, ".sab-cache"), { recursive: true });
    return sleep(RACY_WINDOW_MS + 100).then(() => {
      const fp = take(root);
      writeFileSync(join(root, "node_modules/dep/index.js"), "x");
      writeFileSync(join(root, "mylib/__pycache__/core.cpython-311.pyc"), "x");
      writeFileSync(join(root, ".sab-cache/stat-0123.json"), "{}");
      expect(fp.firstChange()).toBeUndefined();
    });
  });

  it("follows a symlink to its target, even in a pruned directory", () => {
    const fp = take(trees.link!);
    appendFileSync(join(trees.link!, "build/gen.py"), "H = 2\n");
    expect(fp.firstChange()).toBe(join(trees.link!, "mylib/gen.py"));
  });

  it("narrowed to the bundle's files, ignores writes to other files but still sees new ones", () => {
    const root = trees.narrow!;
    const bundled = new Set([join(root, "mylib/__init__.py"), join(root, "mylib/core.py")]);
    const matters = (path: string) => bundled.has(path) || isSelectionInput(scopeOf(root), path); // as the tracker does
    const fp = take(root).narrow(matters);
    appendFileSync(join(root, "app.log"), "a line\n"); // existed before: only its bytes change
    expect(fp.firstChange()).toBeUndefined();
    appendFileSync(join(root, ".gitignore"), "app.log\n"); // a selection input: always kept
    expect(fp.firstChange()).toBe(join(root, ".gitignore"));

    const other = trees.narrow2!;
    const again = take(other).narrow((path) => path === join(other, "mylib/core.py"));
    writeFileSync(join(other, "mylib/new.py"), "N = 1\n");
    expect(again.firstChange()).toBe(join(other, "mylib"));
  });

  it("does not vouch for entries changed just before it was taken (racy timestamps)", async () => {
    const root = makeTree(PROJECT);
    expect(take(root).firstChange()).toMatch(/changed just before the last build/);
    await sleep(RACY_WINDOW_MS + 100);
    expect(take(root).firstChange()).toBeUndefined();
  });
});
