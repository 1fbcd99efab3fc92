// Local packages named by path ship as source: picked like the project's files, written as a wheel of
// our own, packed into the deps zip (real pip-free resolution with the local Python), and re-shipped
// when a file of theirs changes, even outside the project root where the project's freshness walk never looks.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLocalPackage } from "../../../src/bundle/deps/local.js";
import { DepsShipper } from "../../../src/bundle/deps/shipper.js";
import { RACY_WINDOW_MS } from "../../../src/bundle/watch/freshness.js";
import { detectPython } from "../../../src/server/provision/requirements.js";
import { makeTree, tempDir } from "../helpers.js";

const at = (where: string, line: string, path: string) => ({ path, line, where });

describe("local packages shipped as source", () => {
  it("reads name, version and dependencies from pyproject.toml; picks src/ layout files; refuses what must be compiled", async () => {
    const top = makeTree({
      "lib/pyproject.toml": '[project]\nname = "Shared-Lib"\nversion = "0.3.1"\ndependencies = ["humanize>=4"]\n',
      "lib/src/shared_lib/__init__.py": "X = 1\n",
      "lib/src/shared_lib/data.json": "{}",
      "lib/tests/test_x.py": "",
      "lib/README.md": "",
      "rust/pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n',
      "rust/rust/__init__.py": "",
      "empty/README.md": "",
    });
    const pkg = await readLocalPackage(at("requirements.txt:1", "../lib", join(top, "lib")));
    expect(pkg).toMatchObject({ name: "Shared-Lib", version: "0.3.1", dependencies: ["humanize>=4"] });
    expect(pkg.files.map((f) => f.zipPath)).toEqual(["shared_lib/__init__.py", "shared_lib/data.json"]);
    await expect(readLocalPackage(at("requirements.txt:2", "../rust", join(top, "rust")))).rejects.toThrow(
      /^requirements\.txt:2: "\.\.\/rust" is a package with native code \(build backend maturin\) that can't ship as source\. Fix: build a wheel \(`pip wheel --no-deps .*`\) .*, or set dependencies: false/,
    );
    await expect(readLocalPackage(at("requirements.txt:3", "../empty", join(top, "empty")))).rejects.toThrow(/^requirements\.txt:3: "\.\.\/empty" names .*, which holds no importable Python modules.*dependencies: false/);
  });

  it("packs it into the deps zip (no pip: nothing else declared) and ships again when one of its files, or an included requirements file, changes", async () => {
    const top = makeTree({
      "app/requirements.txt": "-r reqs/base.txt\n",
      "app/reqs/base.txt": "-e ../../shared\n",
      "app/app.py": "",
      "shared/setup.cfg": "[metadata]\nname = shared\nversion = 0.2.0\n",
      "shared/shared/__init__.py": "VERSION = 'one'\n",
    });
    const python = (await detectPython()).executable;
    const session = { serverFacts: { pythonExecutable: python }, executeWithoutHooks: () => Promise.reject(new Error("no probe job: local facts")) } as never;
    const shipper = new DepsShipper(session, join(top, "app"), tempDir("sab-cache-"), {}, () => Promise.resolve("3.11"));
    // Past the racy window: files stamped just before a read are never vouched for.
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    const first = (await shipper.current())!;
    expect(first.packages).toEqual([expect.objectContaining({ name: "shared", version: "0.2.0", shipped: true, reason: expect.stringMatching(/^shipped: local package .*shared \(its source, 1 file\)$/) })]);
    const unzip = (zip: string, name: string) => execFileSync(python, ["-c", "import sys,zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())", zip, name]).toString();
    expect(unzip(first.zipPath!, "shared/__init__.py")).toContain("'one'");
    expect(unzip(first.zipPath!, "shared-0.2.0.dist-info/METADATA")).toMatch(/Name: shared\nVersion: 0\.2\.0/);
    expect(shipper.inputsUnchanged()).toBe(true);

    writeFileSync(join(top, "shared/shared/__init__.py"), "VERSION = 'two'\n");
    expect(shipper.inputsUnchanged()).toBe(false);
    const second = (await shipper.current())!;
    expect(second.artifact).not.toBe(first.artifact);
    expect(unzip(second.zipPath!, "shared/__init__.py")).toContain("'two'");

    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    await shipper.current();
    expect(shipper.inputsUnchanged()).toBe(true);
    writeFileSync(join(top, "app/reqs/base.txt"), "# nothing now\n");
    expect(shipper.inputsUnchanged()).toBe(false);
    expect(await shipper.current()).toBeUndefined();
  });
});
