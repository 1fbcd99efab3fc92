import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { selectFiles, type ExclusionReason } from "../../../src/bundle/select/select.js";
import { copyFixture, git, makeTree } from "../../bundle/helpers.js";
import { jsonOf, REPO_ROOT, runCliProcess, runMain } from "../helpers.js";

interface LsJson {
  ok: boolean;
  exitCode?: number;
  error?: { code: string; message: string };
  root: string;
  layout: string;
  pythonRoots: string[];
  files: Array<{ zipPath: string; source: string; size: number }>;
  totals: { files: number; bytes: number };
  warnings: Array<{ code: string; path?: string }>;
  excluded?: Array<{ path: string; reason: string; entries?: number; detail?: string }>;
}

const FLATLIB_FILES = ["weblog/__init__.py", "weblog/geo/__init__.py", "weblog/geo/data/countries.json", "weblog/geo/lookup.py", "weblog/parse.py"];

/** A flatlib copy with one thing of each kind the selection leaves out. */
function messyFlatlib(): string {
  return makeTree(
    {
      "scratch/a.py": "", // .gitignore: scratch/
      "scratch/b.py": "",
      "weblog/run.log": "", // .gitignore: *.log
      "node_modules/dep/index.js": "",
      ".venv/lib/site.py": "",
      "weblog/__pycache__/parse.cpython-311.pyc": "",
      "tests/test_parse.py": "",
      "docs/guide/intro.md": "",
      "docs/index.md": "",
      "setup.py": "",
      "my-tools/x.py": "",
      "weblog/generated.py": "# generated",
      "weblog/big.bin": Buffer.alloc(5000),
      "weblog/id_rsa": "",
    },
    copyFixture("flatlib"),
  );
}

function withConfig(root: string, config: object): string {
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "flatlib-fixture", sparkAutobundle: config }));
  return root;
}

describe("ls", () => {
  it("lists the flat fixture's files with sizes and totals (--json)", async () => {
    const run = await runMain(["ls", "--root", "fixtures/flatlib", "--json"]);
    expect(run.code).toBe(0);
    const out = jsonOf<LsJson>(run);
    expect(out).toMatchObject({ ok: true, root: join(REPO_ROOT, "fixtures/flatlib"), layout: "flat", pythonRoots: ["."] });
    expect(out.files.map((f) => f.zipPath)).toEqual(FLATLIB_FILES);
    expect(out.files.every((f) => f.source === f.zipPath && f.size > 0)).toBe(true);
    expect(out.totals).toEqual({ files: 5, bytes: out.files.reduce((sum, f) => sum + f.size, 0) });
    expect(out.warnings).toEqual([expect.objectContaining({ code: "secret-skipped", path: "weblog/.env" })]);
    expect(out.excluded).toBeUndefined();
  });

  it("shows src-layout zip paths next to their source paths, discovering the root from the cwd", async () => {
    const run = await runMain(["ls", "--json"], { cwd: join(REPO_ROOT, "fixtures/srclayout/src/textkit") });
    const out = jsonOf<LsJson>(run);
    expect(out.root).toBe(join(REPO_ROOT, "fixtures/srclayout"));
    expect(out.pythonRoots).toEqual(["src"]);
    expect(out.files.map((f) => [f.zipPath, f.source])).toEqual([
      ["textkit/__init__.py", "src/textkit/__init__.py"],
      ["textkit/text.py", "src/textkit/text.py"],
    ]);
  });

  it("--explain names every reason, summarising ignored and always-excluded directories (git repo)", async () => {
    const root = withConfig(messyFlatlib(), { exclude: ["weblog/generated.py"], maxFileBytes: 4096 });
    git(root, "init", "-q");
    const run = await runMain(["ls", "--root", root, "--explain", "--json"]);
    expect(run.code).toBe(4); // big.bin is over the per-file limit: listed, and the bundle cannot be built
    const out = jsonOf<LsJson>(run);
    expect(out).toMatchObject({ ok: false, exitCode: 4, error: { code: "FILE_TOO_LARGE" } });
    expect(out.files.map((f) => f.zipPath)).toEqual(FLATLIB_FILES);
    const reasons = Object.fromEntries(out.excluded!.map((e) => [e.path, e.reason]));
    expect(reasons).toEqual({
      ".gitignore": "default-excluded",
      ".venv/": "default-excluded",
      "node_modules/": "default-excluded",
      "weblog/__pycache__/": "default-excluded",
      "scratch/": "gitignored",
      "weblog/run.log": "gitignored",
      "demo.ts": "not-a-module",
      "loggen.ts": "not-a-module",
      "package.json": "not-a-module",
      "docs/": "not-a-package",
      "my-tools/x.py": "not-importable",
      "setup.py": "tooling-module",
      "tests/test_parse.py": "tests-dir",
      "weblog/generated.py": "exclude-pattern",
      "weblog/id_rsa": "secret",
      "weblog/.env": "secret",
      "weblog/big.bin": "too-large",
    } satisfies Record<string, ExclusionReason | "too-large">);
    expect(out.excluded!.find((e) => e.path === "docs/")!.entries).toBe(2);
    expect(out.excluded!.find((e) => e.path === "weblog/big.bin")!.detail).toMatch(/4\.9 KiB, over the 4\.0 KiB per-file limit/);
    expect(run.stderr).toContain("weblog/big.bin is 4.9 KiB, over the 4.0 KiB per-file limit");
  });

  it("--explain gives the same reasons outside git, from the .gitignore walk", async () => {
    const root = messyFlatlib();
    const run = await runMain(["ls", "--root", root, "--explain", "--json"]);
    expect(run.code).toBe(0);
    const reasons = Object.fromEntries(jsonOf<LsJson>(run).excluded!.map((e) => [e.path, e.reason]));
    expect(reasons).toMatchObject({
      ".venv/": "default-excluded",
      "node_modules/": "default-excluded",
      "weblog/__pycache__/": "default-excluded",
      "scratch/": "gitignored",
      "weblog/run.log": "gitignored",
      "tests/test_parse.py": "tests-dir",
    });
  });

  it("a src layout's top-level files are outside the Python root", async () => {
    const out = jsonOf<LsJson>(await runMain(["ls", "--root", "fixtures/srclayout", "--explain", "--json"]));
    expect(out.excluded).toEqual([
      { path: "normalize.ts", reason: "outside-python-root" },
      { path: "package.json", reason: "outside-python-root" },
      { path: "pyproject.toml", reason: "outside-python-root" },
    ]);
  });

  it("prints a human table with totals and reasons, without colour on a pipe", async () => {
    const run = await runMain(["ls", "--root", "fixtures/flatlib", "--explain"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^weblog\/parse\.py +\d+(\.\d)? (B|KiB)$/m);
    expect(run.stdout).toMatch(/^5 files, [\d.]+ KiB \(root .*flatlib, flat layout, Python roots: \.\)$/m);
    expect(run.stdout).toMatch(/^ {2}weblog\/\.env +looks like a secret/m);
    expect(run.stdout).not.toContain("\x1b[");
    expect(run.stderr).toContain("warning: Not bundling weblog/.env");
  });

  it("exits 4 with a JSON error when there is no project root", async () => {
    const run = await runMain(["ls", "--root", "fixtures/missing", "--json"]);
    expect(run.code).toBe(4);
    expect(jsonOf(run)).toMatchObject({ ok: false, exitCode: 4, error: { name: "BundleError", code: "ROOT_NOT_FOUND" } });
  });

  it("runs as a real subprocess: exit code 0 and the JSON listing on stdout", async () => {
    const run = await runCliProcess(["ls", "--root", "fixtures/srclayout", "--json"]);
    expect(run.code).toBe(0);
    expect(jsonOf<LsJson>(run).files.map((f) => f.zipPath)).toEqual(["textkit/__init__.py", "textkit/text.py"]);
  });
});

describe("selectFiles onExcluded", () => {
  it("selects exactly the same files with and without the listener, and explains every other listed path", async () => {
    const root = messyFlatlib();
    git(root, "init", "-q");
    const layout = detectLayout(root);
    const plain = await selectFiles(root, layout);
    const excluded = new Map<string, ExclusionReason>();
    const explained = await selectFiles(root, layout, { onExcluded: (path, reason) => excluded.set(path, reason) });
    expect(explained).toEqual(plain);
    const tracked = git(root, "ls-files", "--others", "--exclude-standard").trim().split("\n");
    const selected = new Set(plain.map((f) => f.zipPath));
    for (const path of tracked) expect(selected.has(path) || excluded.has(path), path).toBe(true);
    expect([...excluded.keys()].filter((p) => selected.has(p))).toEqual([]);
  });

  it("does not report an ignored file that `include` brings back", async () => {
    const root = messyFlatlib();
    git(root, "init", "-q");
    const excluded = new Map<string, ExclusionReason>();
    const files = await selectFiles(root, detectLayout(root), { include: ["weblog/*.log"], onExcluded: (path, reason) => excluded.set(path, reason) });
    expect(files.map((f) => f.zipPath)).toContain("weblog/run.log");
    expect(excluded.has("weblog/run.log")).toBe(false);
    expect(excluded.get("scratch/")).toBe("gitignored");
  });
});
