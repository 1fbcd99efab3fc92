// Lockfiles written here in each tool's format (uv.lock, poetry.lock 2.1 and 2.0, pylock.toml), read
// for two worker environments: what ships, with which hashes, and every refusal naming its fixes.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDeclaredDeps } from "../../../src/bundle/deps/declared.js";
import { findLockfile } from "../../../src/bundle/deps/lockfile.js";
import { envFromTarget, type MarkerEnv } from "../../../src/bundle/deps/markers.js";
import { lockedPins } from "../../../src/bundle/deps/shipper.js";
import { depsLines, explainDeps } from "../../../src/bundle/deps/explain.js";
import { resolveBundleSettings } from "../../../src/bundle/project/config.js";
import { makeTree, tempDir } from "../helpers.js";

const LINUX_311: MarkerEnv = { ...envFromTarget("3.11", "linux-x86_64"), python_full_version: "3.11.7" };
const WIN_312: MarkerEnv = { ...envFromTarget("3.12", "win-amd64"), python_full_version: "3.12.1" };
const h = (c: string) => c.repeat(64);
const wheel = (name: string, c: string) => `{ url = "https://files.pythonhosted.org/packages/ab/${name}", hash = "sha256:${h(c)}", size = 1 }`;
const reg = 'source = { registry = "https://pypi.org/simple" }';

const UV_LOCK = `version = 1
revision = 3
requires-python = ">=3.10"
resolution-markers = [
    "python_full_version >= '3.12'",
    "python_full_version < '3.12'",
]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "humanize" },
    { name = "numpy", version = "2.3.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.12'" },
    { name = "numpy", version = "2.2.6", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.12'" },
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "requests", extra = ["socks"] },
    { name = "shared" },
]

[package.optional-dependencies]
ml = [{ name = "tabulate" }]
vcs = [{ name = "gitdep" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[package.metadata]
requires-dist = [{ name = "humanize", specifier = ">=4" }]

[[package]]
name = "colorama"
version = "0.4.6"
${reg}
wheels = [${wheel("colorama-0.4.6-py2.py3-none-any.whl", "c")}]

[[package]]
name = "gitdep"
version = "1.0"
source = { git = "https://github.com/example/gitdep?rev=v1#abc" }

[[package]]
name = "humanize"
version = "4.11.0"
${reg}
sdist = { url = "https://files.pythonhosted.org/packages/ab/humanize-4.11.0.tar.gz", hash = "sha256:${h("0")}", size = 1 }
wheels = [${wheel("humanize-4.11.0-py3-none-any.whl", "a")}]

[[package]]
name = "numpy"
version = "2.2.6"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version < '3.12'"]
wheels = [${wheel("numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.whl", "1")}, ${wheel("numpy-2.2.6-cp311-cp311-win_amd64.whl", "2")}]

[[package]]
name = "numpy"
version = "2.3.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version >= '3.12'"]
wheels = [${wheel("numpy-2.3.0-cp312-cp312-win_amd64.whl", "3")}]

[[package]]
name = "pysocks"
version = "1.7.1"
${reg}
wheels = [${wheel("PySocks-1.7.1-py3-none-any.whl", "5")}]

[[package]]
name = "pytest"
version = "8.3.4"
${reg}
wheels = [${wheel("pytest-8.3.4-py3-none-any.whl", "6")}]

[[package]]
name = "requests"
version = "2.32.3"
${reg}
dependencies = [{ name = "urllib3" }]
wheels = [${wheel("requests-2.32.3-py3-none-any.whl", "7")}]

[package.optional-dependencies]
socks = [{ name = "pysocks" }]

[[package]]
name = "shared"
version = "0.2.0"
source = { directory = "../shared" }

[[package]]
name = "tabulate"
version = "0.9.0"
source = { registry = "https://pypi.example/simple" }
wheels = [${wheel("tabulate-0.9.0-py3-none-any.whl", "8")}]

[[package]]
name = "urllib3"
version = "2.3.0"
${reg}
wheels = [${wheel("urllib3-2.3.0-py3-none-any.whl", "9")}]
`;

const file = (name: string, c: string) => `{file = "${name}", hash = "sha256:${h(c)}"}`;
const POETRY_21 = `[[package]]
name = "colorama"
version = "0.4.6"
description = ""
optional = false
python-versions = "*"
groups = ["main", "dev"]
markers = {main = "sys_platform == \\"win32\\"", dev = "sys_platform == \\"win32\\" or python_version >= \\"3.10\\""}
files = [${file("colorama-0.4.6-py2.py3-none-any.whl", "c")}]

[[package]]
name = "humanize"
version = "4.11.0"
description = ""
optional = false
python-versions = ">=3.9"
groups = ["main"]
files = [${file("humanize-4.11.0-py3-none-any.whl", "a")}, ${file("humanize-4.11.0.tar.gz", "0")}]

[[package]]
name = "pytest"
version = "8.3.4"
description = ""
optional = false
python-versions = ">=3.8"
groups = ["dev"]
files = [${file("pytest-8.3.4-py3-none-any.whl", "6")}]

[[package]]
name = "shared"
version = "0.2.0"
description = ""
optional = false
python-versions = "*"
groups = ["main"]
files = []
develop = true

[package.source]
type = "directory"
url = "../shared"

[[package]]
name = "tabulate"
version = "0.9.0"
description = ""
optional = true
python-versions = ">=3.7"
groups = ["main"]
markers = "extra == \\"ml\\""
files = [${file("tabulate-0.9.0-py3-none-any.whl", "8")}]

[extras]
ml = ["tabulate"]

[metadata]
lock-version = "2.1"
python-versions = ">=3.10"
content-hash = "${h("f")}"
`;

// Poetry 1.x/2.0 lockfiles say nothing about groups: the graph is walked from pyproject.toml.
const POETRY_20 = `[[package]]
name = "humanize"
version = "4.11.0"
description = ""
optional = false
python-versions = ">=3.9"
files = [${file("humanize-4.11.0-py3-none-any.whl", "a")}]

[[package]]
name = "pytest"
version = "8.3.4"
description = ""
optional = false
python-versions = ">=3.8"
files = [${file("pytest-8.3.4-py3-none-any.whl", "6")}]

[[package]]
name = "requests"
version = "2.32.3"
description = ""
optional = false
python-versions = ">=3.8"
files = [${file("requests-2.32.3-py3-none-any.whl", "7")}]

[package.dependencies]
urllib3 = ">=1.21.1,<3"
PySocks = {version = ">=1.5.6,!=1.5.7", optional = true}
colorama = {version = "*", markers = "sys_platform == \\"win32\\""}

[package.extras]
socks = ["PySocks (>=1.5.6,!=1.5.7)"]

[[package]]
name = "pysocks"
version = "1.7.1"
description = ""
optional = true
python-versions = "*"
files = [${file("PySocks-1.7.1-py3-none-any.whl", "5")}]

[[package]]
name = "colorama"
version = "0.4.6"
description = ""
optional = false
python-versions = "*"
files = [${file("colorama-0.4.6-py2.py3-none-any.whl", "c")}]

[[package]]
name = "urllib3"
version = "2.3.0"
description = ""
optional = false
python-versions = ">=3.9"
files = [${file("urllib3-2.3.0-py3-none-any.whl", "9")}]

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "${h("f")}"
`;
const POETRY_PYPROJECT = `[tool.poetry]
name = "app"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.10"
humanize = "^4"
requests = {version = "^2.32", extras = ["socks"]}

[tool.poetry.group.dev.dependencies]
pytest = "^8"
`;

const PYLOCK = `lock-version = "1.0"
requires-python = ">=3.10"
environments = ["sys_platform == 'linux'", "sys_platform == 'win32'"]
extras = ["ml"]
dependency-groups = ["dev"]
default-groups = ["dev"]
created-by = "uv"

[[packages]]
name = "app"
directory = { path = ".", editable = true }

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
index = "https://pypi.org/simple"
wheels = [{ name = "colorama-0.4.6-py2.py3-none-any.whl", url = "https://files.pythonhosted.org/c.whl", hashes = { sha256 = "${h("c")}" } }]

[[packages]]
name = "humanize"
version = "4.11.0"
index = "https://pypi.org/simple"
wheels = [{ name = "humanize-4.11.0-py3-none-any.whl", url = "https://files.pythonhosted.org/h.whl", hashes = { sha256 = "${h("a")}" } }]

[[packages]]
name = "pytest"
version = "8.3.4"
marker = "'dev' in dependency_groups"
wheels = [{ name = "pytest-8.3.4-py3-none-any.whl", url = "https://files.pythonhosted.org/p.whl", hashes = { sha256 = "${h("6")}" } }]

[[packages]]
name = "shared"
version = "0.2.0"
directory = { path = "../shared" }

[[packages]]
name = "tabulate"
version = "0.9.0"
marker = "'ml' in extras"
wheels = [{ name = "tabulate-0.9.0-py3-none-any.whl", url = "https://files.pythonhosted.org/t.whl", hashes = { sha256 = "${h("8")}" } }]
`;

/** The project at <tmp>/app, with ../shared beside it. */
function project(files: Record<string, string>): string {
  const top = makeTree({ "shared/shared/__init__.py": "", ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`app/${k}`, v])) });
  return join(top, "app");
}

const names = (root: string, env: MarkerEnv, groups: string[] = []) => findLockfile(root, undefined).lock!.select(env, groups).map((p) => `${p.name}==${p.version}${p.local ? " (local)" : ""}`).sort();

describe("lockfiles: the pinned versions, for the workers' environment", () => {
  it("uv.lock: walks from the project, follows markers, forks and extras; dev and optional groups only when asked", () => {
    const root = project({ "uv.lock": UV_LOCK, "pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["humanize>=4"]\n' });
    const main = ["humanize==4.11.0", "numpy==2.2.6", "pysocks==1.7.1", "requests==2.32.3", "shared==0.2.0 (local)", "urllib3==2.3.0"];
    expect(names(root, LINUX_311)).toEqual(main);
    // Windows on 3.12: the other numpy fork, and colorama.
    expect(names(root, WIN_312)).toEqual(["colorama==0.4.6", ...main.map((n) => n.replace("numpy==2.2.6", "numpy==2.3.0"))].sort());
    expect(names(root, LINUX_311, ["ml", "dev"])).toEqual([...main, "pytest==8.3.4", "tabulate==0.9.0"].sort());

    const pins = lockedPins(findLockfile(root, undefined).lock!, LINUX_311, ["ml"], new Set(["urllib3"]));
    expect(pins.requirements.sort()).toEqual(["humanize==4.11.0", "numpy==2.2.6", "pysocks==1.7.1", "requests==2.32.3", "tabulate==0.9.0"]);
    expect(pins.pip).toMatchObject({ noDeps: true, hashesFrom: "uv.lock", pipOptions: ["--extra-index-url https://pypi.example/simple"], skipped: [{ name: "urllib3", version: "2.3.0" }] });
    expect(pins.pip.hashes).toMatchObject({ humanize: [h("a")], numpy: [h("1"), h("2")] });
    expect(pins.localPaths).toEqual([expect.objectContaining({ path: join(root, "..", "shared"), name: "shared", version: "0.2.0", where: "uv.lock" })]);

    // A VCS dependency can't ship as a wheel: named, with both ways out.
    expect(() => lockedPins(findLockfile(root, undefined).lock!, LINUX_311, ["vcs"], new Set())).toThrow(
      /^uv\.lock: gitdep 1\.0 is a git checkout .*, which can't ship to the workers\. Fix: lock it from an index that has wheels .*, or set dependencies\.lockfile: false \(resolve the requirements instead\), or dependencies: false\.$/,
    );
  });

  it("poetry.lock 2.1: its groups and per-group markers; extras by name", () => {
    const root = project({ "poetry.lock": POETRY_21, "pyproject.toml": POETRY_PYPROJECT });
    expect(names(root, LINUX_311)).toEqual(["humanize==4.11.0", "shared==0.2.0 (local)"]);
    expect(names(root, WIN_312)).toEqual(["colorama==0.4.6", "humanize==4.11.0", "shared==0.2.0 (local)"]);
    expect(names(root, LINUX_311, ["dev", "ml"])).toEqual(["colorama==0.4.6", "humanize==4.11.0", "pytest==8.3.4", "shared==0.2.0 (local)", "tabulate==0.9.0"]);
    expect(findLockfile(root, undefined).lock!.groups.sort()).toEqual(["dev", "ml"]);
    // Only wheels' hashes are kept: pip downloads wheels only.
    expect(lockedPins(findLockfile(root, undefined).lock!, LINUX_311, [], new Set()).pip.hashes).toEqual({ humanize: [h("a")] });
  });

  it("poetry.lock 2.0 (no groups recorded): the graph from pyproject.toml's main dependencies, optional deps by extra", () => {
    const root = project({ "poetry.lock": POETRY_20, "pyproject.toml": POETRY_PYPROJECT });
    expect(names(root, LINUX_311)).toEqual(["humanize==4.11.0", "pysocks==1.7.1", "requests==2.32.3", "urllib3==2.3.0"]);
    expect(names(root, WIN_312, ["dev"])).toEqual(["colorama==0.4.6", "humanize==4.11.0", "pysocks==1.7.1", "pytest==8.3.4", "requests==2.32.3", "urllib3==2.3.0"]);
  });

  it("pylock.toml (PEP 751): package markers with extras and dependency groups; default-groups minus dev", () => {
    const root = project({ "pylock.toml": PYLOCK });
    expect(names(root, LINUX_311)).toEqual(["humanize==4.11.0", "shared==0.2.0 (local)"]);
    expect(names(root, WIN_312, ["ml", "dev"])).toEqual(["colorama==0.4.6", "humanize==4.11.0", "pytest==8.3.4", "shared==0.2.0 (local)", "tabulate==0.9.0"]);
    const mac = { ...envFromTarget("3.11", "macosx-14.0-arm64"), python_full_version: "3.11.7" };
    expect(() => names(root, mac)).toThrow(/^pylock\.toml: none of its environments .* is the workers' \(Python 3\.11\.7 on darwin arm64\)\. Fix: lock for that environment too, or set dependencies\.lockfile: false/);
    expect(() => names(root, { ...LINUX_311, python_full_version: "3.9.18", python_version: "3.9" })).toThrow(/requires-python ">=3\.10" excludes the workers' Python 3\.9\.18/);
  });

  it("which file wins, how to choose or turn them off; the lockfile replaces the requirements", () => {
    const root = project({ "uv.lock": UV_LOCK, "poetry.lock": POETRY_21, "pylock.toml": PYLOCK, "requirements.txt": "humanize>=4\n", "pyproject.toml": POETRY_PYPROJECT });
    const auto = readDeclaredDeps(root);
    expect(auto.lock?.rel).toBe("pylock.toml");
    expect(auto.requirements).toEqual([]);
    expect(auto.notes).toEqual([
      "uv.lock not read: pylock.toml wins (order: pylock.toml, uv.lock, poetry.lock); set dependencies.lockfile to choose",
      "poetry.lock not read: pylock.toml wins (order: pylock.toml, uv.lock, poetry.lock); set dependencies.lockfile to choose",
      "requirements.txt, pyproject.toml: dependency ranges not read, pylock.toml pins the versions (dependencies.lockfile: false to resolve them instead)",
    ]);
    expect(readDeclaredDeps(root, { lockfile: "poetry.lock" }).lock?.format).toBe("poetry.lock");
    const off = readDeclaredDeps(root, { lockfile: false });
    expect([off.lock, off.requirements]).toEqual([undefined, ["humanize>=4"]]);
    expect(() => readDeclaredDeps(root, { lockfile: "requirements.txt" })).toThrow(/names requirements\.txt, which is none of pylock\.toml, uv\.lock, poetry\.lock/);
    expect(() => readDeclaredDeps(root, { lockfile: "nope.lock" })).toThrow(/names .*nope\.lock, which does not exist/);
    expect(() => readDeclaredDeps(root, { groups: ["gpu"] })).toThrow(/^Dependency group "gpu" is not in pylock\.toml \(has: ml, dev\)\. Fix the name in dependencies\.groups, or set dependencies\.lockfile: false/);
    const lines = depsLines(explainDeps(root, tempDir("sab-cache-"))).join("\n");
    expect(lines).toContain("Dependencies (the versions pylock.toml (main) pins, for the workers):");
    expect(lines).toContain("uv.lock not read: pylock.toml wins");
  });

  it("dependencies.lockfile is validated where the settings are read (package.json or code)", () => {
    const settings = (lockfile: unknown) => resolveBundleSettings({ root: makeTree({ "package.json": JSON.stringify({ sparkAutobundle: { dependencies: { lockfile } } }), "m.py": "" }) }).settings.dependencies;
    expect(settings(false)).toEqual({ lockfile: false });
    expect(settings("locks/uv.lock")).toEqual({ lockfile: "locks/uv.lock" });
    expect(() => settings(true)).toThrow(/dependencies\.lockfile must be false \(resolve the requirements, ignore lockfiles\) or a lockfile path relative to the root, e\.g\. "uv\.lock"; got boolean true/);
    expect(() => resolveBundleSettings({ root: makeTree({ "m.py": "" }), dependencies: { lockfile: "" } })).toThrow(/dependencies`\.lockfile must be false/);
  });

  it("a lockfile that doesn't parse or isn't a version this reads: named (with the line), both fixes", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ "uv.lock": "version = 1\n[[package]\nname = 'x'\n" }, /^uv\.lock:2 is not valid TOML \(.*\)\. Fix: regenerate it \(`uv lock`\), or set dependencies\.lockfile: false \(resolve the requirements instead\), or dependencies: false\.$/],
      [{ "uv.lock": "version = 2\n" }, /^uv\.lock: version 2 is not 1, .*Fix: regenerate it \(`uv lock`\), or set dependencies\.lockfile: false.*dependencies: false\.$/],
      [{ "poetry.lock": 'x = "unterminated\n' }, /^poetry\.lock:1 is not valid TOML .*`poetry lock`.*dependencies: false\.$/],
      [{ "pylock.toml": 'lock-version = "2.0"\n' }, /^pylock\.toml: lock-version "2\.0" is not 1\.x.*dependencies: false\.$/],
      [{ "uv.lock": 'version = 1\n[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\ndependencies = [{ name = "ghost" }]\n' }, /^uv\.lock: a dependency edge names ghost, which it doesn't lock\. Fix: regenerate it/],
    ];
    for (const [files, message] of cases) expect(() => names(project(files), LINUX_311)).toThrow(message);
  });
});
