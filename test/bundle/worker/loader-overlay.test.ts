import { copyFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ContentHash } from "../../../src/bundle/archive/hash.js";
import { loaderModuleName } from "../../../src/bundle/worker/loader.js";
import { fullZip, hashedTree, overlayZip, type OverlayZip } from "../overlay-fixtures.js";
import { tempDir } from "../helpers.js";
import { runWorker, udfCommand, type Attempt } from "./loader-worker.js";

// Base and overlay zips written by the production code, served to a simulated reused worker
// (one real Python process). The worker adds every include of the session on every task.

const RES = "from importlib import resources\nimport pkgutil\n\n" +
  "def words(name):\n    return resources.files('mylib').joinpath('data/' + name).read_text(encoding='utf-8')\n\n" +
  "def raw(name):\n    return pkgutil.get_data('mylib', 'data/' + name).decode()\n\n" +
  "def listing():\n    return sorted(p.name for p in (resources.files('mylib') / 'data').iterdir())\n";

const V1: Record<string, string> = {
  "mylib/__init__.py": "",
  "mylib/helper.py": "def tag():\n    return 'v1'\n",
  "mylib/text.py": "from mylib import helper\n\ndef shout(s):\n    return helper.tag() + ':' + s.upper()\n",
  "mylib/old.py": "def gone():\n    return 'old'\n",
  "mylib/sub/__init__.py": "",
  "mylib/sub/deep.py": "def f():\n    return 'deep'\n",
  "mylib/res.py": RES,
  "mylib/boom.py": "def explode(x):\n    raise ValueError('marker ' + x)  # the source line shows in tracebacks\n",
  "mylib/data/words.txt": "alpha",
  "mylib/data/gone.txt": "bye",
  "tool.py": "def t():\n    return 'tool'\n",
};
// The edit: helper changed, a module, a whole subpackage, a data file and a top-level module deleted,
// a data file changed, a module and a new top-level package added.
const V2: Record<string, string> = {
  ...Object.fromEntries(Object.entries(V1).filter(([path]) => !/old\.py|sub\/|gone\.txt|tool\.py/.test(path))),
  "mylib/helper.py": "def tag():\n    return 'v2'\n",
  "mylib/data/words.txt": "beta",
  "mylib/new.py": "def fresh():\n    return 'new in v2'\n",
  "newpkg/__init__.py": "",
  "newpkg/mod.py": "from mylib import helper\n\ndef f():\n    return 'newpkg ' + helper.tag()\n",
};
const V3: Record<string, string> = { ...V1, "mylib/helper.py": "def tag():\n    return 'v3'\n" };

describe("overlay bundles on a reused Python worker", () => {
  let v1: ContentHash, v2: ContentHash, v3: ContentHash;
  let dir: string, base: string, o2: OverlayZip, o3: OverlayZip;
  const commands: Record<string, string> = {};

  beforeAll(async () => {
    [v1, v2, v3] = [await hashedTree(V1), await hashedTree(V2), await hashedTree(V3)];
    dir = tempDir("sab-session-");
    base = await fullZip(dir, "textkit", v1);
    o2 = await overlayZip(dir, "textkit", v1, v2);
    o3 = await overlayZip(dir, "textkit", v1, v3);
    const versions = { v1: loaderModuleName(v1.hash12), v2: o2.loaderModule, v3: o3.loaderModule };
    for (const [version, loader] of Object.entries(versions)) {
      commands[`${version}_shout`] = udfCommand(loader, "mylib.text", "shout");
      commands[`${version}_old`] = udfCommand(loader, "mylib.old", "gone");
      commands[`${version}_deep`] = udfCommand(loader, "mylib.sub.deep", "f");
      commands[`${version}_tool`] = udfCommand(loader, "tool", "t");
      commands[`${version}_words`] = udfCommand(loader, "mylib.res", "words");
      commands[`${version}_raw`] = udfCommand(loader, "mylib.res", "raw");
      commands[`${version}_listing`] = udfCommand(loader, "mylib.res", "listing");
    }
    commands.v2_new = udfCommand(o2.loaderModule, "mylib.new", "fresh");
    commands.v2_newpkg = udfCommand(o2.loaderModule, "newpkg.mod", "f");
    commands.v2_boom = udfCommand(o2.loaderModule, "mylib.boom", "explode");
  });

  it("serves the base's files minus deleted ones plus the overlay's, and switches back and forth", () => {
    const out = runWorker(
      `
import traceback
B, O2 = cfg["base"], cfg["o2"]
task(B)                                        # task 1: the session holds only the base
out["v1"] = load("v1_shout")[0]("hi")          # imports mylib.text and mylib.helper from the base
task(O2, B)                                    # after the edit both are includes (in any order)
out["v2"] = load("v2_shout")[0]("hi")          # mylib.text is unchanged, yet must use the new helper
out["v2_sources"] = [origin(n) for n in ("mylib", "mylib.text", "mylib.helper")]
out["v2_zips"] = zips()
out["v2_old"] = attempt(lambda: load("v2_old"))
out["v2_old_direct"] = attempt(lambda: importlib.import_module("mylib.old") and None)
out["v2_deep"] = attempt(lambda: load("v2_deep"))
out["v2_tool"] = attempt(lambda: load("v2_tool"))
out["v2_new"] = load("v2_new")[0]()
out["v2_newpkg"] = load("v2_newpkg")[0]()
out["v2_words"] = load("v2_words")[0]("words.txt")
out["v2_raw"] = load("v2_raw")[0]("words.txt")
out["v2_gone"] = attempt(lambda: load("v2_words")[0]("gone.txt"))
out["v2_gone_raw"] = attempt(lambda: load("v2_raw")[0]("gone.txt"))
out["v2_listing"] = load("v2_listing")[0]()
try:
    load("v2_boom")[0]("x")
except ValueError:
    out["traceback"] = traceback.format_exc()
task(B, O2)                                    # task 3: the worker re-adds the base every task
out["task3"] = load("v2_shout")[0]("again")
out["task3_deep"] = attempt(lambda: load("v2_deep"))
out["task3_tool"] = attempt(lambda: importlib.import_module("tool") and None)
task(B, O2)                                    # a task of the base version again
out["back"] = load("v1_shout")[0]("hi")
out["back_sources"] = [origin(n) for n in ("mylib.text", "mylib.helper")]
out["back_old"] = load("v1_old")[0]()
out["back_deep"] = load("v1_deep")[0]()
out["back_tool"] = load("v1_tool")[0]()
out["back_words"] = [load("v1_words")[0]("words.txt"), load("v1_words")[0]("gone.txt")]
out["back_listing"] = load("v1_listing")[0]()
out["back_newpkg_gone"] = attempt(lambda: importlib.import_module("newpkg.mod") and None)
task(O2, B)
out["again"] = [load("v2_shout")[0]("hi"), load("v2_newpkg")[0]()]
out["again_old"] = attempt(lambda: load("v2_old"))
print(json.dumps(out))
`,
      { base, o2: o2.path, commands },
    );
    const label = `(bundle textkit-${v2.hash12})`;
    expect(out.v1).toBe("v1:HI");
    expect(out.v2).toBe("v2:HI");
    for (const source of out.v2_sources as string[]) expect(source.startsWith(`${o2.path}/`)).toBe(true);
    expect(out.v2_zips).toEqual([`textkit-${o2.id}.zip`]); // the base left sys.path: it must not serve imports
    const old = out.v2_old as Attempt;
    expect(old.error).toContain(`ImportError: spark-autobundle: cannot import 'mylib.old' for UDF 'mylib.old:gone' ${label}: No module named 'mylib.old'`);
    expect(old.cause).toBe("ModuleNotFoundError");
    expect((out.v2_old_direct as Attempt).error).toBe("ModuleNotFoundError: No module named 'mylib.old'");
    expect((out.v2_deep as Attempt).error).toContain(`cannot import 'mylib.sub.deep' for UDF 'mylib.sub.deep:f' ${label}: No module named 'mylib.sub'`);
    expect((out.v2_tool as Attempt).error).toContain(`cannot import 'tool' for UDF 'tool:t' ${label}: No module named 'tool'`);
    expect(out.v2_new).toBe("new in v2");
    expect(out.v2_newpkg).toBe("newpkg v2");
    expect([out.v2_words, out.v2_raw]).toEqual(["beta", "beta"]);
    expect((out.v2_gone as Attempt).error).toMatch(/^FileNotFoundError: .*not in bundle textkit-/);
    expect((out.v2_gone_raw as Attempt).error).toMatch(/^FileNotFoundError: /);
    expect(out.v2_listing).toEqual(["words.txt"]);
    expect(out.traceback).toContain(`${o2.path}/mylib/boom.py", line 2, in explode`);
    expect(out.traceback).toContain("raise ValueError('marker ' + x)  # the source line shows in tracebacks");
    expect(out.task3).toBe("v2:AGAIN");
    expect((out.task3_deep as Attempt).error).toContain("No module named 'mylib.sub'");
    expect((out.task3_tool as Attempt).error).toBe("ModuleNotFoundError: No module named 'tool'");
    expect(out.back).toBe("v1:HI"); // nothing of v2 leaks into the base's modules
    for (const source of out.back_sources as string[]) expect(source.startsWith(`${base}/`)).toBe(true);
    expect([out.back_old, out.back_deep, out.back_tool]).toEqual(["old", "deep", "tool"]);
    expect(out.back_words).toEqual(["alpha", "bye"]);
    expect(out.back_listing).toEqual(["gone.txt", "words.txt"]);
    expect((out.back_newpkg_gone as Attempt).error).toBe("ModuleNotFoundError: No module named 'newpkg'");
    expect(out.again).toEqual(["v2:HI", "newpkg v2"]);
    expect((out.again_old as Attempt).error).toContain("No module named 'mylib.old'");
  });

  it("switches between two overlays on one base and the base itself, in any order", () => {
    const out = runWorker(
      `
seen = []
for version in ["v2", "v3", "v1", "v3", "v2", "v2", "v1", "v3"]:
    task(cfg["o3"], cfg["base"], cfg["o2"])
    seen.append([load(version + "_shout")[0]("x"), "ok" if "ok" in attempt(lambda: load(version + "_old")) else "gone"])
out["seen"] = seen
print(json.dumps(out))
`,
      { base, o2: o2.path, o3: o3.path, commands },
    );
    expect(out.seen).toEqual([
      ["v2:X", "gone"],
      ["v3:X", "ok"],
      ["v1:X", "ok"],
      ["v3:X", "ok"],
      ["v2:X", "gone"],
      ["v2:X", "gone"],
      ["v1:X", "ok"],
      ["v3:X", "ok"],
    ]);
  });

  it("keeps the overlay's modules across tasks of the same version (no re-import)", () => {
    const out = runWorker(
      `
ids = set()
for _ in range(4):
    task(cfg["o2"], cfg["base"])
    load("v2_shout")[0]("x")
    ids.add(id(sys.modules["mylib.text"]))
out["identities"] = len(ids)
out["hooks"] = sum(1 for hook in sys.path_hooks if hasattr(hook, "_spark_autobundle_overlay_views_v1"))
print(json.dumps(out))
`,
      { base, o2: o2.path, commands },
    );
    expect(out).toEqual({ identities: 1, hooks: 1 });
  });

  it("serves another project's bundle side by side, without re-imports on either side", async () => {
    const geo = await hashedTree({ "geolib/__init__.py": "", "geolib/geo.py": "def where():\n    return 'geo'\n" });
    const geoZip = await fullZip(dir, "geokit", geo);
    const out = runWorker(
      `
ids, results = set(), []
for _ in range(3):
    task(cfg["geo"], cfg["o2"], cfg["base"])
    results.append(load("v2_shout")[0]("a") + "|" + load("geo")[0]())
    ids.add((id(sys.modules["mylib.text"]), id(sys.modules["geolib.geo"])))
out["results"] = results
out["identities"] = len(ids)
out["zips"] = sorted(zips())
print(json.dumps(out))
`,
      { base, o2: o2.path, geo: geoZip, commands: { ...commands, geo: udfCommand(loaderModuleName(geo.hash12), "geolib.geo", "where") } },
    );
    expect(out.results).toEqual(["v2:A|geo", "v2:A|geo", "v2:A|geo"]);
    expect(out.identities).toBe(1);
    expect(out.zips).toEqual([`geokit-${geo.hash12}.zip`, `textkit-${o2.id}.zip`]);
  });

  it("falls back to another session's copies, and names the base when no copy is left", () => {
    const other = tempDir("sab-session-b-");
    const lonely = tempDir("sab-session-c-");
    for (const path of [base, o2.path]) copyFileSync(path, join(other, basename(path)));
    copyFileSync(o2.path, join(lonely, basename(o2.path)));
    const out = runWorker(
      `
import shutil
first = os.path.join(cfg["tmp"], "a")
os.makedirs(first)
for p in (cfg["base"], cfg["o2"]):
    shutil.copy(p, first)
inside = lambda d: [os.path.join(d, os.path.basename(p)) for p in (cfg["base"], cfg["o2"])]
task(*inside(first))
out["first"] = load("v2_shout")[0]("a")
shutil.rmtree(first)                           # that session ended and its files were removed
task(inside(cfg["lonely"])[1])                 # a session holding the overlay but no base
out["no_base"] = attempt(lambda: load("v2_shout"))
task(*inside(cfg["other"]))
out["second"] = load("v2_new")[0]()
out["source"] = origin("mylib.new")
print(json.dumps(out))
`,
      { tmp: tempDir("sab-worker-"), other, lonely, base, o2: o2.path, commands },
    );
    expect(out.first).toBe("v2:A");
    expect((out.no_base as Attempt).error).toContain(
      `ImportError: spark-autobundle: bundle textkit-${v2.hash12} is an overlay on textkit-${v1.hash12}.zip, which is not on this worker, for UDF 'mylib.text:shout'. Fix: run the query again`,
    );
    expect(out.second).toBe("new in v2");
    expect(out.source).toBe(join(other, basename(o2.path), "mylib", "new.py"));
  });
});
