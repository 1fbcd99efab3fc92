import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { projectNameOf } from "../../../src/bundle/project/config.js";
import { detectLayout, pyprojectName, pyprojectSourceDirs } from "../../../src/bundle/project/layout.js";
import { BundleError } from "../../../src/bundle/errors.js";
import { FIXTURES, makeTree, python } from "../helpers.js";

describe("detectLayout", () => {
  test("flat layout: the root itself, undeclared", () => {
    const root = makeTree({ "mylib/__init__.py": "", "setup.py": "" });
    expect(detectLayout(root)).toEqual({ roots: [{ dir: root, declared: false }], source: "flat" });
  });

  test("src layout is detected from a package under src/, and a TypeScript src/ is not", () => {
    const py = makeTree({ "src/mylib/__init__.py": "", "setup.py": "" });
    expect(detectLayout(py)).toEqual({ roots: [{ dir: join(py, "src"), declared: true }], source: "src" });
    const ts = makeTree({ "src/index.ts": "", "weblog/__init__.py": "" });
    expect(detectLayout(ts)).toEqual({ roots: [{ dir: ts, declared: false }], source: "flat" });
  });

  test("both src/ packages and root packages: both roots", () => {
    const root = makeTree({ "src/a/__init__.py": "", "b/__init__.py": "" });
    expect(detectLayout(root).roots).toEqual([
      { dir: join(root, "src"), declared: true },
      { dir: root, declared: false },
    ]);
  });

  test("pyproject [tool.setuptools] package-dir inline table", () => {
    const root = makeTree({
      "pyproject.toml": `[project]\nname = "x"\n\n[tool.setuptools]\npackage-dir = {"" = "lib"}  # sources\n`,
      "lib/x/__init__.py": "",
      "src/decoy/__init__.py": "",
    });
    expect(detectLayout(root)).toEqual({ roots: [{ dir: join(root, "lib"), declared: true }], source: "pyproject" });
  });

  test("pyproject [tool.setuptools.package-dir] table form", () => {
    const root = makeTree({ "pyproject.toml": `[tool.setuptools.package-dir]\n"" = "code"\n`, "code/m.py": "" });
    expect(detectLayout(root).roots).toEqual([{ dir: join(root, "code"), declared: true }]);
  });

  test("pyproject packages.find where, multi-line with comments", () => {
    const root = makeTree({
      "pyproject.toml": `[tool.setuptools.packages.find]\nwhere = [\n  "src",  # main\n  'extra',\n]\ninclude = ["*"]\n`,
      "src/a/__init__.py": "",
      "extra/b/__init__.py": "",
    });
    expect(detectLayout(root).roots.map((r) => r.dir)).toEqual([join(root, "src"), join(root, "extra")]);
  });

  test("the srclayout fixture is declared through pyproject", () => {
    const root = join(FIXTURES, "srclayout");
    expect(detectLayout(root)).toEqual({ roots: [{ dir: join(root, "src"), declared: true }], source: "pyproject" });
  });

  test("explicit pythonRoots win, and a missing one is a clear error", () => {
    const root = makeTree({ "pyproject.toml": `[tool.setuptools.packages.find]\nwhere = ["src"]\n`, "src/a.py": "", "py/b.py": "" });
    expect(detectLayout(root, ["py"])).toEqual({ roots: [{ dir: join(root, "py"), declared: true }], source: "option" });
    expect(() => detectLayout(root, ["nope"])).toThrow(/"nope".*does not exist/);
    expect(() => detectLayout(root, ["../elsewhere"])).toThrow(BundleError);
  });

  test("broken pyproject.toml: the error names the file and the way around it", () => {
    const root = makeTree({ "pyproject.toml": `[project]\nname = "unterminated\n` });
    expect(() => detectLayout(root)).toThrow(/pyproject\.toml.*pythonRoots/);
  });
});

describe("pyproject keys", () => {
  test("package-dir, packages.find.where and [project] name are read as tomllib reads them", () => {
    const root = makeTree({
      "pyproject.toml": [
        `# comment with [tool.setuptools] inside`,
        `[project]`,
        `name = "text-kit"  # trailing`,
        `description = """`,
        `[tool.setuptools.packages.find]`,
        `where = ["wrong"]"""`,
        `[tool.setuptools]`,
        `package-dir = { "" = "lib" }`,
        `[tool.setuptools.packages.find]`,
        `where = ["src"]`,
      ].join("\n"),
    });
    expect(pyprojectName(root)).toBe("text-kit");
    expect(pyprojectSourceDirs(root)).toEqual(["lib", "src"]);
    const expected = JSON.parse(
      python(`import json,sys,tomllib\nd=tomllib.load(open(sys.argv[1],"rb"))\nprint(json.dumps([d["tool"]["setuptools"]["package-dir"][""], *d["tool"]["setuptools"]["packages"]["find"]["where"]]))`, [
        `${root}/pyproject.toml`,
      ]),
    );
    expect(pyprojectSourceDirs(root)).toEqual(expected);
  });
});

describe("project name", () => {
  test("pyproject [project] name, else package.json name, else the dir name; sanitized", () => {
    expect(pyprojectName(join(FIXTURES, "srclayout"))).toBe("textkit");
    expect(projectNameOf(join(FIXTURES, "srclayout"))).toBe("textkit");
    expect(projectNameOf(join(FIXTURES, "flatlib"))).toBe("flatlib-fixture");
    expect(projectNameOf(makeTree({ "package.json": JSON.stringify({ name: "@acme/web app" }) }))).toBe("acme_web_app");
    const bare = makeTree({}, join(makeTree({ "d/x": "" }), "d"));
    expect(projectNameOf(bare)).toBe("d");
  });
});
