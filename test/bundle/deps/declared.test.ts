import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeName, readDeclaredDeps } from "../../../src/bundle/deps/declared.js";
import { logicalLines } from "../../../src/bundle/deps/requirements-file.js";
import { classify } from "../../../src/bundle/deps/resolve.js";
import { platformTags } from "../../../src/bundle/deps/shipper.js";
import { depsLines, explainDeps } from "../../../src/bundle/deps/explain.js";
import { tempDir } from "../helpers.js";

function project(files: Record<string, string>): string {
  const root = tempDir("sab-deps-");
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const PYPROJECT = `[project]\nname = "x"\ndependencies = ["humanize>=4", "toolz"]\n[project.optional-dependencies]\nml = ["tabulate==0.9.0"]\n`;

describe("readDeclaredDeps", () => {
  it("reads pyproject dependencies and requirements.txt, without duplicates", () => {
    const root = project({ "pyproject.toml": PYPROJECT, "requirements.txt": "# c\ntoolz\nsix==1.16.0  # why\n" });
    expect(readDeclaredDeps(root)).toEqual({
      requirements: ["humanize>=4", "toolz", "six==1.16.0"],
      sources: ["pyproject.toml [project].dependencies", "requirements.txt"],
      constraints: [],
      pipOptions: [],
      notes: [],
      localPaths: [],
      files: [join(root, "pyproject.toml"), join(root, "requirements.txt")],
      inputs: expect.stringMatching(/^[0-9a-f]{24}$/),
    });
  });

  it("adds chosen optional groups and extra requirements files", () => {
    const root = project({ "pyproject.toml": PYPROJECT, "requirements-extra.txt": "attrs\n" });
    expect(readDeclaredDeps(root, { groups: ["ml"], requirements: ["requirements-extra.txt"] }).requirements).toEqual(["humanize>=4", "toolz", "tabulate==0.9.0", "attrs"]);
  });

  it("names the fix for an unknown group, a missing requirements file, an unsupported pip option and bad TOML", () => {
    const root = project({ "pyproject.toml": PYPROJECT, "req.txt": "toolz\n--no-binary :all:\n" });
    expect(() => readDeclaredDeps(root, { groups: ["gpu"] })).toThrow(/group "gpu" is not in .*has: ml.*Fix the group name/);
    expect(() => readDeclaredDeps(root, { requirements: ["nope.txt"] })).toThrow(/nope\.txt does not exist\. Fix the path/);
    expect(() => readDeclaredDeps(root, { requirements: ["req.txt"] })).toThrow(/^req\.txt:2: "--no-binary :all:" is a pip option spark-autobundle does not pass on .*Fix: edit that line, or set dependencies: false/s);
    expect(() => readDeclaredDeps(project({ "pyproject.toml": "[project\n" }))).toThrow(/not valid TOML.*Fix its syntax, or set dependencies: false/s);
  });

  it("no pyproject and no requirements.txt: nothing declared", () => {
    expect(readDeclaredDeps(project({ "a.py": "" })).requirements).toEqual([]);
  });
});

describe("wheel classification", () => {
  it("ships pure wheels in the zip and native ones in the archive; skips what the server has", () => {
    const target = { pythonVersion: "3.11", platforms: ["manylinux2014_x86_64"], serverHas: ["python-dateutil"] };
    const out = classify(["humanize-4.12.3-py3-none-any.whl", "python_dateutil-2.9.0-py2.py3-none-any.whl", "MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"], target);
    expect(out.map((p) => [p.name, p.shipped, p.native ?? false, p.reason.split(" ")[0]])).toEqual([
      ["markupsafe", true, true, "shipped:"],
      ["humanize", true, false, "shipped:"],
      ["python-dateutil", false, false, "skipped:"],
    ]);
    expect(out[0]!.reason).toBe("shipped: native code (cp311, manylinux_2_17_x86_64.manylinux2014_x86_64), as an archive unpacked on the workers");
  });

  it("normalizes names and maps sysconfig platforms to pip tags", () => {
    expect(normalizeName("Python_Dateutil.X")).toBe("python-dateutil-x");
    expect(logicalLines("a\n\n  b ; python_version>'3'\n").map((l) => l.line)).toEqual(["a", "b ; python_version>'3'"]);
    expect(platformTags("linux-x86_64")).toEqual(["manylinux2014_x86_64", "manylinux_2_17_x86_64", "linux_x86_64"]);
    expect(platformTags("linux-aarch64", ["glibc", "2.20"])).toEqual(["manylinux_2_20_aarch64", "manylinux_2_19_aarch64", "manylinux_2_18_aarch64", "manylinux2014_aarch64", "manylinux_2_17_aarch64", "linux_aarch64"]);
    expect(platformTags("linux-x86_64", ["", ""])).toEqual(["manylinux2014_x86_64", "manylinux_2_17_x86_64", "linux_x86_64"]);
    expect(platformTags("macosx-11.0-arm64")).toEqual(["macosx_11_0_arm64"]);
  });
});

describe("explainDeps (offline)", () => {
  it("declared but never resolved: says when it will be", () => {
    const x = explainDeps(project({ "requirements.txt": "humanize==4.12.3\n" }), tempDir("sab-cache-"));
    expect(x).toMatchObject({ declared: ["humanize==4.12.3"], resolution: undefined });
    expect(depsLines(x).join("\n")).toMatch(/not resolved yet: the first job/);
  });
});
