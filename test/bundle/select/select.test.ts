import { execFileSync } from "node:child_process";
import { chmodSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { BundleError } from "../../../src/bundle/errors.js";
import { MiB } from "../../../src/shared/bytes.js";
import { type BundleEvent } from "../../../src/bundle/events.js";
import { selectFiles, type SelectOptions } from "../../../src/bundle/select/select.js";
import { copyFixture, git, makeTree, REPO_ROOT, tempDir } from "../helpers.js";

async function select(root: string, options: SelectOptions & { pythonRoots?: string[] } = {}) {
  const events: BundleEvent[] = [];
  const files = await selectFiles(root, detectLayout(root, options.pythonRoots), { ...options, onEvent: (e) => events.push(e) });
  const warnings = events.flatMap((e) => (e.type === "warning" ? [e] : []));
  return { zipPaths: files.map((f) => f.zipPath), files, warnings };
}

describe("Python selection rules", () => {
  test("flat fixture: package with subpackage and data files; secrets and ignored files left out", async () => {
    const root = copyFixture("flatlib");
    makeTree({ "scratch/try.py": "", "weblog/notes.log": "", "README.md": "", "tests/test_parse.py": "" }, root);
    const { zipPaths, warnings } = await select(root);
    expect(zipPaths).toEqual([
      "weblog/__init__.py",
      "weblog/geo/__init__.py",
      "weblog/geo/data/countries.json",
      "weblog/geo/lookup.py",
      "weblog/parse.py",
    ]);
    expect(warnings).toEqual([expect.objectContaining({ code: "secret-skipped", path: "weblog/.env" })]);
    expect(warnings[0]!.message).toMatch(/weblog\/\.env.*include/);
  });

  test("src fixture: zip paths are relative to src so `import textkit` works", async () => {
    const { zipPaths } = await select(copyFixture("srclayout"));
    expect(zipPaths).toEqual(["textkit/__init__.py", "textkit/text.py"]);
  });

  test("flat root: top-level modules and packages only; tooling modules, tests and stray dirs skipped", async () => {
    const root = makeTree({
      "helpers.py": "",
      "setup.py": "", "conftest.py": "", "noxfile.py": "",
      "not-importable.py": "",
      "app/__init__.py": "", "app/tests/test_x.py": "", "app/templates/page.html": "",
      "tests/__init__.py": "", "test/__init__.py": "",
      "scripts/tool.py": "",
      "docs/conf.py": "",
      "app/__pycache__/x.cpython-311.pyc": "",
      "node_modules/pkg/__init__.py": "", ".venv/lib/site.py": "",
    });
    const { zipPaths } = await select(root, { useGit: false });
    expect(zipPaths).toEqual(["app/__init__.py", "app/templates/page.html", "app/tests/test_x.py", "helpers.py"]);
  });

  test("declared roots also ship namespace packages (no __init__.py)", async () => {
    const tree = { "py/nsp/mod.py": "", "py/nsp/data.txt": "", "py/regular/__init__.py": "", "py/empty_dir/readme.txt": "" };
    const declared = await select(makeTree(tree), { pythonRoots: ["py"] });
    expect(declared.zipPaths).toEqual(["nsp/data.txt", "nsp/mod.py", "regular/__init__.py"]);
    // The same tree seen as an undeclared flat root: py/ is not a package, so nothing is swept.
    const flat = await select(makeTree({ ...tree, "main.py": "" }));
    expect(flat.zipPaths).toEqual(["main.py"]);
  });
});

describe("include / exclude", () => {
  test("include adds files (even gitignored ones and secrets); exclude wins; directory names mean their contents", async () => {
    const root = makeTree({
      ".gitignore": "generated/\n",
      "app/__init__.py": "", "app/big/blob.bin": "x", "app/big/more.bin": "x", "app/keep.json": "",
      "generated/_version.py": "", "config/settings.yaml": "", "config/.env.shared": "K=v",
      ".venv/lib/x.py": "",
    });
    const { zipPaths, warnings } = await select(root, {
      useGit: false,
      include: ["generated/*.py", "config", "**/x.py"],
      exclude: ["app/big"],
    });
    expect(zipPaths).toEqual([
      "app/__init__.py", "app/keep.json",
      "config/.env.shared", "config/settings.yaml",
      "generated/_version.py",
    ]);
    expect(warnings).toEqual([]);
  });

  test("bad patterns are refused with an example", async () => {
    const root = makeTree({ "a.py": "" });
    await expect(select(root, { include: ["../outside/*.py"] })).rejects.toThrow(/relative to the project root.*Example/);
    await expect(select(root, { exclude: ["/abs"] })).rejects.toThrow(BundleError);
  });
});

describe("secret guard", () => {
  test("every credential kind inside a package is skipped with a warning naming it", async () => {
    const secrets = [".env", ".env.local", "server.pem", "tls.key", "id_rsa", "id_rsa.pub", "cert.p12", "cert.pfx", "credentials.json", "service-account-prod.json", ".netrc", ".pypirc"];
    const root = makeTree(Object.fromEntries([["app/__init__.py", ""], ...secrets.map((s) => [`app/${s}`, "secret"])]));
    const { zipPaths, warnings } = await select(root, { useGit: false });
    expect(zipPaths).toEqual(["app/__init__.py"]);
    expect(warnings.map((w) => w.path).sort()).toEqual(secrets.map((s) => `app/${s}`).sort());
    expect(warnings.every((w) => w.code === "secret-skipped")).toBe(true);
  });

  test("an include glob that names the file lets it through", async () => {
    const root = makeTree({ "app/__init__.py": "", "app/test.key": "k" });
    const { zipPaths, warnings } = await select(root, { include: ["app/*.key"] });
    expect(zipPaths).toEqual(["app/__init__.py", "app/test.key"]);
    expect(warnings).toEqual([]);
  });
});

describe("size limits", () => {
  test("a file over maxFileBytes: error names file, size, limit and both fixes", async () => {
    const root = makeTree({ "app/__init__.py": "" });
    truncateSync(makeTreeFile(root, "app/data/huge.bin"), 11 * MiB);
    const err = await select(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe("FILE_TOO_LARGE");
    expect((err as Error).message).toMatch(/app\/data\/huge\.bin is 11\.0 MiB, over the 10\.0 MiB per-file limit.*exclude: \["app\/data\/huge\.bin"\].*maxFileBytes/);
  });

  test("a bundle over maxBundleBytes: error lists the 5 largest files with sizes", async () => {
    const files: Record<string, string> = { "app/__init__.py": "" };
    for (let i = 1; i <= 7; i++) files[`app/f${i}.txt`] = "x".repeat(i * 1000);
    const err = await select(makeTree(files), { maxBundleBytes: 20_000 }).catch((e: unknown) => e);
    expect((err as BundleError).code).toBe("BUNDLE_TOO_LARGE");
    const message = (err as Error).message;
    expect(message).toContain("Largest files: app/f7.txt (6.8 KiB), app/f6.txt (5.9 KiB), app/f5.txt (4.9 KiB), app/f4.txt (3.9 KiB), app/f3.txt (2.9 KiB).");
    expect(message).not.toContain("app/f2.txt");
    expect(message).toMatch(/exclude: \["app\/f7\.txt", .*maxBundleBytes/);
  });
});

describe("symlinks", () => {
  test("followed once inside the root; escaping links and loops are refused with warnings", async () => {
    const outside = makeTree({ "secret.py": "" });
    const root = makeTree({
      "vendor/shared/__init__.py": "", "vendor/shared/util.py": "",
      "shared": { link: "vendor/shared" },
      "app/__init__.py": "",
      "app/alias.py": { link: "../vendor/shared/util.py" },
      "app/self": { link: ".." },
      "app/escape.py": { link: join(outside, "secret.py") },
      "app/dangling.py": { link: "missing.py" },
    });
    const { zipPaths, warnings } = await select(root, { useGit: false });
    expect(zipPaths).toEqual(["app/__init__.py", "app/alias.py", "shared/__init__.py", "shared/util.py"]);
    expect(Object.fromEntries(warnings.map((w) => [w.path, w.code]))).toEqual({
      "app/self": "symlink-loop",
      "app/escape.py": "symlink-escape",
      "app/dangling.py": "symlink-broken",
    });
  });
});

describe("git view", () => {
  test("untracked files are bundled and deleted-but-tracked ones drop out", async () => {
    const root = makeTree({ "app/__init__.py": "", "app/old.py": "", ".gitignore": "app/ignored.py\n" });
    git(root, "init", "-q");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "init");
    rmSync(join(root, "app/old.py"));
    makeTree({ "app/new.py": "", "app/ignored.py": "" }, root);
    const { zipPaths } = await select(root);
    expect(zipPaths).toEqual(["app/__init__.py", "app/new.py"]);
  });

  test("a subdirectory of a repository sees the repository's .gitignore rules", async () => {
    const repo = makeTree({ ".gitignore": "*.tmp.py\n", "proj/lib/__init__.py": "", "proj/lib/x.tmp.py": "" });
    git(repo, "init", "-q");
    const { zipPaths } = await select(join(repo, "proj"));
    expect(zipPaths).toEqual(["lib/__init__.py"]);
  });

  test("a project the enclosing repository ignores falls back to its own .gitignore files, with a warning", async () => {
    const repo = makeTree({ ".gitignore": "scratch/\n", "scratch/proj/lib/__init__.py": "", "scratch/proj/lib/x.log": "", "scratch/proj/.gitignore": "*.log\n" });
    git(repo, "init", "-q");
    const { zipPaths, warnings } = await select(join(repo, "scratch/proj"));
    expect(zipPaths).toEqual(["lib/__init__.py"]);
    expect(warnings).toEqual([expect.objectContaining({ code: "git-unavailable" })]);
  });
});

describe("unreadable files", () => {
  test("EACCES: the error names the file, the OS error and the fix", async () => {
    const outer = tempDir();
    const root = makeTree({ "app/__init__.py": "", "app/locked.py": "x = 1\n" }, join(outer, "proj"));
    chmodSync(join(root, "app/locked.py"), 0o000);
    const message = process.getuid?.() === 0 ? hashAsNobody(root) : await hashHere(root);
    expect(message).toContain(join(root, "app/locked.py"));
    expect(message).toContain("EACCES");
    expect(message).toMatch(/chmod u\+r.*exclude/);
  });
});

function makeTreeFile(root: string, rel: string): string {
  makeTree({ [rel]: "" }, root);
  return join(root, rel);
}

async function hashHere(root: string): Promise<string> {
  const { hashFiles } = await import("../../../src/bundle/archive/hash.js");
  const { files } = await select(root);
  return hashFiles(files).then(() => "no error", (e: Error) => e.message);
}

/** root can read anything, so run the selection + hash as `nobody` in a child process. */
function hashAsNobody(root: string): string {
  for (const dir of [join(root, ".."), root, join(root, "app")]) chmodSync(dir, 0o755);
  const script = `
    import { detectLayout } from ${JSON.stringify(join(REPO_ROOT, "src/bundle/project/layout.ts"))};
    import { selectFiles } from ${JSON.stringify(join(REPO_ROOT, "src/bundle/select/select.ts"))};
    import { hashFiles } from ${JSON.stringify(join(REPO_ROOT, "src/bundle/archive/hash.ts"))};
    const root = ${JSON.stringify(root)};
    hashFiles(await selectFiles(root, detectLayout(root), { useGit: false }))
      .then(() => console.log("no error"), (e) => console.log(e.message));`;
  writeFileSync(join(root, "..", "run.mts"), script);
  return execFileSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", join(REPO_ROOT, "node_modules/.bin/tsx"), join(root, "..", "run.mts")], {
    encoding: "utf8",
    env: { ...process.env, HOME: "/tmp" },
  });
}
