import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDeclaredDeps } from "../../../src/bundle/deps/declared.js";
import { logicalLines } from "../../../src/bundle/deps/requirements-file.js";
import { depsLines, explainDeps } from "../../../src/bundle/deps/explain.js";
import { makeTree, tempDir } from "../helpers.js";

/** Runs `fn` with environment variables set (requirements files expand ${VAR}s). */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const H1 = "sha256:" + "a".repeat(64);
const H2 = "sha256:" + "b".repeat(64);

describe("requirements files as projects write them", () => {
  it("follows -r and -c relative to the including file, passes index options on, skips -e . with a note", () => {
    const root = makeTree({
      "requirements.txt": "# top\n-r requirements/base.txt\n-c constraints.txt\n-e .\n--index-url https://pypi.example/simple\nattrs==23.2.0\n",
      "requirements/base.txt": "--extra-index-url https://extra.example/simple\n-r ../requirements/common.txt\ntoolz ; python_version >= '3.8'\n",
      "requirements/common.txt": "humanize \\\n    >=4.0   # grouped\n--trusted-host pypi.example\n-f wheels\n--find-links=https://wheels.example/\n",
      "requirements/wheels/.keep": "",
      "constraints.txt": "humanize==4.11.0\n-c more-constraints.txt\n",
      "more-constraints.txt": "toolz<2\n",
    });
    const declared = readDeclaredDeps(root);
    expect(declared.requirements).toEqual(["humanize >=4.0", "toolz ; python_version >= '3.8'", "attrs==23.2.0"]);
    expect(declared.constraints).toEqual(["humanize==4.11.0", "toolz<2"]);
    expect(declared.pipOptions).toEqual([
      "--extra-index-url https://extra.example/simple",
      "--trusted-host pypi.example",
      `--find-links ${join(root, "requirements", "wheels")}`, // relative to the file naming it, as pip reads it
      "--find-links https://wheels.example/",
      "--index-url https://pypi.example/simple",
    ]);
    expect(declared.notes).toEqual(['requirements.txt:4: "-e ." skipped: it is this project, whose code ships as the bundle']);
    const lines = depsLines(explainDeps(root, tempDir("sab-cache-"))).join("\n");
    expect(lines).toContain("constraints: humanize==4.11.0, toolz<2");
    expect(lines).toContain('"-e ." skipped: it is this project');
  });

  it("local paths: the project's own is skipped; other directories ship as source; a wheel file goes to pip", () => {
    const root = makeTree({
      "app/requirements.txt": "./\n-e ./libs/inner\n../elsewhere ; python_version >= '3.8'\nshared @ file://${SHARED}\n./wheels/w-1.0-py3-none-any.whl\n",
      "app/libs/inner/inner/__init__.py": "",
      "app/wheels/w-1.0-py3-none-any.whl": "",
      "elsewhere/pkg/__init__.py": "",
      "shared/src/shared/__init__.py": "",
    });
    const app = join(root, "app");
    const declared = withEnv({ SHARED: join(root, "shared") }, () => readDeclaredDeps(app));
    expect(declared.notes[0]).toMatch(/requirements\.txt:1: "\.\/" skipped: it is this project/);
    expect(declared.localPaths).toEqual([
      { path: join(app, "libs/inner"), line: "-e ./libs/inner", where: "requirements.txt:2", marker: undefined },
      { path: join(root, "elsewhere"), line: "../elsewhere ; python_version >= '3.8'", where: "requirements.txt:3", marker: "python_version >= '3.8'" },
      { path: join(root, "shared"), line: `shared @ file://${join(root, "shared")}`, where: "requirements.txt:4", marker: undefined },
    ]);
    expect(declared.notes.slice(1)).toEqual([
      'requirements.txt:2: "-e ./libs/inner" shipped as source: a local package (libs/inner)',
      "requirements.txt:3: \"../elsewhere ; python_version >= '3.8'\" shipped as source: a local package (../elsewhere)",
      `requirements.txt:4: "shared @ file://${join(root, "shared")}" shipped as source: a local package (../shared)`,
    ]);
    expect(declared.requirements).toEqual([join(app, "wheels/w-1.0-py3-none-any.whl")]);
    // A path that is neither a directory nor a wheel, and a local path in a constraints file: named, with both fixes.
    expect(() => readDeclaredDeps(makeTree({ "requirements.txt": "../nowhere\n" }))).toThrow(/^requirements\.txt:1: "\.\.\/nowhere" names .*nowhere, which is not a directory or a \.whl file.*Fix: edit that line, or set dependencies: false/s);
    expect(() => readDeclaredDeps(makeTree({ "requirements.txt": "-c c.txt\n", "c.txt": "./lib\n", "lib/x.py": "" }))).toThrow(/^c\.txt:1: "\.\/lib" is a local path in a constraints file.*dependencies: false/s);
  });

  it("names the cycle of files including each other", () => {
    const root = makeTree({ "requirements.txt": "-r a.txt\n", "a.txt": "x\n-r sub/b.txt\n", "sub/b.txt": "-r ../a.txt\n" });
    expect(() => readDeclaredDeps(root)).toThrow(/cycle \(a\.txt → sub\/b\.txt → a\.txt\)\. Fix: remove one of the -r\/-c lines, or set dependencies: false/);
  });

  it("names file:line and both ways out for an include that doesn't exist, a VCS editable, an unknown option", () => {
    const cases: Array<[string, RegExp]> = [
      ["-r nope.txt\n", /^requirements\.txt:1: "-r nope\.txt" includes .*nope\.txt, which does not exist\. Fix: edit that line, or set dependencies: false/],
      ["x\n-e git+https://github.com/a/b#egg=b\n", /^requirements\.txt:2: .* editable install from a URL or VCS/],
      ["x\n\n--use-feature=fast\n", /^requirements\.txt:3: "--use-feature=fast" is a pip option spark-autobundle does not pass on/],
      ["x --install-option=--prefix\n", /only --hash=<algorithm>:<digest> may follow a requirement/],
    ];
    for (const [text, message] of cases) expect(() => readDeclaredDeps(makeTree({ "requirements.txt": text }))).toThrow(message);
  });

  it("passes --hash pins on, and mirrors pip's all-or-nothing hash mode with the line to fix", () => {
    const ok = makeTree({ "requirements.txt": `humanize==4.12.3 \\\n    --hash=${H1} \\\n    --hash=${H2}\ntoolz==1.0.0 --hash=${H1}\n` });
    expect(readDeclaredDeps(ok).requirements).toEqual([`humanize==4.12.3 --hash=${H1} --hash=${H2}`, `toolz==1.0.0 --hash=${H1}`]);
    const unhashed = makeTree({ "requirements.txt": `humanize==4.12.3 --hash=${H1}\ntoolz==1.0.0\n` });
    expect(() => readDeclaredDeps(unhashed)).toThrow(/^requirements\.txt:2: "toolz==1\.0\.0" has no --hash, but other requirements carry hashes.*dependencies: false/s);
    const unpinned = makeTree({ "requirements.txt": `humanize>=4 --hash=${H1}\n` });
    expect(() => readDeclaredDeps(unpinned)).toThrow(/requirements\.txt:1: .* is not pinned with ==/);
    const pyproject = makeTree({ "pyproject.toml": '[project]\nname = "x"\ndependencies = ["attrs"]\n', "requirements.txt": `toolz==1.0.0 --hash=${H1}\n` });
    expect(() => readDeclaredDeps(pyproject)).toThrow(/^pyproject\.toml \[project\]\.dependencies: "attrs" has no --hash/);
  });

  it("joins continuations, drops comments, expands ${VARS} pip's way, numbering by the first line", () => {
    const text = "a \\\n  ==1 # c\n# whole line\nb#not-a-comment\n--index-url ${IDX}/simple\n${UNSET}\n";
    expect(logicalLines(text, { IDX: "https://i" })).toEqual([
      { line: "a ==1", number: 1 },
      { line: "b#not-a-comment", number: 4 },
      { line: "--index-url https://i/simple", number: 5 },
      { line: "${UNSET}", number: 6 },
    ]);
  });
});
