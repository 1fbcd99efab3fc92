import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fg from "fast-glob";
import { describe, expect, it } from "vitest";
import { pythonWatchTargets, resolveVitestProject } from "../../src/vitest/project.js";
import { makeTree, tempDir } from "../bundle/helpers.js";

/** The files the triggers match on disk now (what vitest's watcher would re-run on). */
const matched = async (triggers: string[]) => (await fg(triggers, { absolute: true })).sort();

describe("resolveVitestProject", () => {
  it("resolves bundle.root against vitest's root (a monorepo's python/ beside web/)", () => {
    const repo = makeTree({ "web/package.json": "{}", "py/pyproject.toml": '[project]\nname = "shop"\n', "py/shop/__init__.py": "" });
    expect(resolveVitestProject(join(repo, "web"), { root: "../py" }).root).toBe(join(repo, "py"));
  });

  it("otherwise starts at vitest's root and honours package.json settings, options winning", () => {
    const repo = makeTree({
      "package.json": JSON.stringify({ sparkAutobundle: { root: "python", exclude: ["scratch/**"] } }),
      "python/shop/__init__.py": "",
    });
    const fromConfig = resolveVitestProject(repo);
    expect(fromConfig.root).toBe(join(repo, "python"));
    expect(fromConfig.bundleOptions).toEqual({ exclude: ["scratch/**"] });
    expect(resolveVitestProject(repo, { exclude: ["drafts/**"] }).bundleOptions.exclude).toEqual(["drafts/**"]);
  });
});

describe("pythonWatchTargets", () => {
  it("matches every .py of a flat project, its package data, and .py files added later; not caches or docs", async () => {
    // Glob metacharacters in the path must be taken literally.
    const root = join(tempDir(), "shop (v2) [eu]");
    makeTree(
      {
        "pyproject.toml": '[project]\nname = "shop"\n',
        "README.md": "# shop\n",
        "shop/__init__.py": "",
        "shop/prices.py": "def net(x):\n    return x\n",
        "shop/data/rates.json": "{}",
        "shop/__pycache__/prices.cpython-311.pyc": "compiled",
      },
      root,
    );
    const targets = await pythonWatchTargets(resolveVitestProject(root));
    expect(targets.dirs).toEqual([root]);
    expect(await matched(targets.triggers)).toEqual(["shop/__init__.py", "shop/data/rates.json", "shop/prices.py"].map((f) => join(root, f)));

    writeFileSync(join(root, "shop", "taxes.py"), "RATE = 0.2\n");
    expect(await matched(targets.triggers)).toContain(join(root, "shop", "taxes.py"));
  });

  it("watches a src/ layout's source root and files named by include, not other scripts", async () => {
    const root = makeTree({
      "pyproject.toml": '[project]\nname = "textkit"\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
      "src/textkit/__init__.py": "",
      "src/textkit/text.py": "",
      "tools/release.py": "",
      "conf/app.toml": "x = 1\n",
    });
    const targets = await pythonWatchTargets(resolveVitestProject(root, { include: ["conf/*.toml"] }));
    expect(targets.dirs).toEqual([root, join(root, "src")]);
    expect(await matched(targets.triggers)).toEqual([join(root, "conf/app.toml"), join(root, "src/textkit/__init__.py"), join(root, "src/textkit/text.py")]);
  });
});
