// The .gitignore walk (used outside git) must pick exactly what `git ls-files` picks on the same tree.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listGitFiles } from "../../../src/bundle/select/gitview.js";
import { isDefaultExcluded, walkGitignored } from "../../../src/bundle/select/ignore.js";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { selectFiles } from "../../../src/bundle/select/select.js";
import { git, ISOLATED_GIT_ENV, makeTree } from "../helpers.js";

const TREE: Record<string, string> = {
  ".gitignore": [
    "# comment line",
    "*.log",
    "!keep.log",
    "build/",
    "/x",
    "**/tmp/",
    "secret_dir/",
    "!secret_dir/keep.py",
    "pkg/**/generated_*.py",
    "!pkg/sub/generated_ok.py",
    "\\#literal.py",
    "**/cache",
    "pkg/deep/*.txt",
    "trailing.py   ",
    "",
  ].join("\n"),
  "x": "root x, ignored by /x",
  "a.log": "", "keep.log": "",
  "main.py": "", "#literal.py": "", "trailing.py": "", "Upper.LOG": "case matters on Linux",
  "pkg/cache/c.py": "", "pkg/deep/n.txt": "",
  "build/out.py": "",
  "secret_dir/s.py": "", "secret_dir/keep.py": "",
  "pkg/.gitignore": ["/local_only.py", "data/*.bin", "!data/important.bin", "nested/", "*.csv", ""].join("\n"),
  "pkg/__init__.py": "",
  "pkg/x": "not anchored at pkg, kept",
  "pkg/local_only.py": "", "pkg/data/a.bin": "", "pkg/data/important.bin": "", "pkg/data/table.csv": "",
  "pkg/nested/n.py": "",
  "pkg/build/gen.py": "",
  "pkg/tmp/a.py": "", "pkg/deep/tmp/b.py": "", "pkg/deep/c.py": "",
  "pkg/generated_a.py": "", "pkg/q/generated_b.py": "",
  "pkg/sub/.gitignore": ["!*.log", "x", "!*.csv", ""].join("\n"),
  "pkg/sub/__init__.py": "",
  "pkg/sub/generated_ok.py": "", "pkg/sub/debug.log": "", "pkg/sub/x": "", "pkg/sub/y/x": "",
  "pkg/sub/build": "a file named build: dir-only pattern must not match",
  "pkg/sub/local_only.py": "", "pkg/sub/report.csv": "",
  "pkg/__pycache__/m.cpython-311.pyc": "",
  "node_modules/dep/index.js": "",
};

describe("git and the .gitignore walk agree", () => {
  const saved: Record<string, string | undefined> = {};
  let root: string;

  beforeAll(() => {
    // listGitFiles runs git with this process's env: keep the machine's global excludes out.
    for (const [k, v] of Object.entries(ISOLATED_GIT_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    root = makeTree(TREE);
    git(root, "init", "-q");
    // Track part of the tree so both --cached and --others contribute.
    git(root, "add", ".gitignore", "main.py", "pkg/__init__.py", "pkg/.gitignore");
    git(root, "commit", "-qm", "init");
  });

  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("raw listings are equal", async () => {
    const fromGit = await listGitFiles(root, () => {
      throw new Error("no warning expected");
    });
    expect(fromGit).toBeDefined();
    const gitView = fromGit!.filter((p) => !isDefaultExcluded(p)).sort();
    const walkView = (await walkGitignored(root)).sort();
    expect(walkView).toEqual(gitView);
    // Spot checks, so the comparison cannot pass on two equally wrong answers.
    expect(walkView).toEqual(expect.arrayContaining([
      "keep.log", "main.py", "pkg/x", "pkg/data/important.bin", "pkg/deep/c.py",
      "pkg/sub/generated_ok.py", "pkg/sub/debug.log", "pkg/sub/build", "pkg/sub/local_only.py", "pkg/sub/report.csv",
    ]));
    for (const gone of ["x", "#literal.py", "a.log", "build/out.py", "secret_dir/s.py", "secret_dir/keep.py", "pkg/local_only.py",
      "pkg/data/a.bin", "pkg/data/table.csv", "pkg/nested/n.py", "pkg/build/gen.py", "pkg/tmp/a.py", "pkg/deep/tmp/b.py",
      "pkg/generated_a.py", "pkg/q/generated_b.py", "pkg/sub/x", "pkg/sub/y/x", ".gitignore",
      "trailing.py", "pkg/cache/c.py", "pkg/deep/n.txt", "node_modules/dep/index.js"]) {
      expect(walkView).not.toContain(gone);
    }
  });

  test("the bundle selections are equal", async () => {
    const layout = detectLayout(root);
    const viaGit = await selectFiles(root, layout, {});
    const viaWalk = await selectFiles(root, layout, { useGit: false });
    expect(viaWalk).toEqual(viaGit);
    expect(viaGit.map((f) => f.zipPath)).toContain("pkg/sub/generated_ok.py");
  });
});
