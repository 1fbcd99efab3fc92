import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loaderModuleName, loaderSource } from "../../../src/bundle/worker/loader.js";
import { runPython } from "../../helpers/python.js";
import { udfCommand, WORKER_PRELUDE, type Attempt } from "./loader-worker.js";

// One Python process stands in for a reused Spark worker: it calls add_path() for a session's
// includes like pyspark.worker_util does each task, then loads our UDF commands with the worker's
// serializer.

const V1 = "aaaaaaaaaaa1";
const V2 = "bbbbbbbbbbb2";
const GEO = "cccccccccccc";
const ARRAY_OF_INT = '{"type":"array","elementType":"integer","containsNull":true}';

const textkitV1: Record<string, string> = {
  "mylib/__init__.py": "",
  "mylib/helper.py": "def tag():\n    return 'v1'\n",
  "mylib/text.py": "from mylib import helper\n\ndef shout(s):\n    return helper.tag() + ':' + s.upper()\n",
  "mylib/old.py": "def gone():\n    return 'old'\n",
};
const textkitV2: Record<string, string> = {
  "mylib/__init__.py": "",
  "mylib/helper.py": "def tag():\n    return 'v2'\n",
  "mylib/text.py":
    "from mylib import helper\n\ndef shout(s):\n    return helper.tag() + ':' + s.upper()\n\n" +
    "def lengths(s):\n    return [len(w) for w in s.split()]\n\n" +
    "class Tok:\n    @staticmethod\n    def split(s):\n        return s.split()\n\nLIMIT = 3\n",
  "mylib/new.py": "def fresh():\n    return 'new in v2'\n",
  "mylib/broken.py": "raise ValueError('boom at import')\n",
  "mylib/needs_dep.py": "import not_installed_dep_xyz\n",
};
const geokit: Record<string, string> = {
  "geolib/__init__.py": "",
  "geolib/geo.py": "def where():\n    return 'geo'\n",
};

function bundleFiles(project: string, hash12: string, files: Record<string, string>): Record<string, string> {
  const topLevelNames = [...new Set(Object.keys(files).map((f) => f.split("/")[0]!.replace(/\.py$/, "")))];
  return { ...files, [`${loaderModuleName(hash12)}.py`]: loaderSource({ projectName: project, hash12, topLevelNames }) };
}

function command(hash12: string, modulePath: string, functionName: string, returnTypeJson = '"string"'): string {
  return udfCommand(loaderModuleName(hash12), modulePath, functionName, returnTypeJson);
}

const MAKE_ZIPS = `
import json, os, sys, zipfile
for target, files in json.load(sys.stdin).items():
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with zipfile.ZipFile(target + ".tmp", "w") as z:
        for name, text in sorted(files.items()):
            z.writestr(name, text)
    os.replace(target + ".tmp", target)
`;

// Shared prelude of the worker simulations.
const PRELUDE = WORKER_PRELUDE;

describe("bundle loader on a reused Python worker", () => {
  let dir: string;
  const zip = (name: string) => join(dir, name);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sab-loader-"));
    runPython(
      MAKE_ZIPS,
      JSON.stringify({
        [zip(`sessionA/textkit-${V1}.zip`)]: bundleFiles("textkit", V1, textkitV1),
        [zip(`sessionA/textkit-${V2}.zip`)]: bundleFiles("textkit", V2, textkitV2),
        [zip(`sessionB/textkit-${V2}.zip`)]: bundleFiles("textkit", V2, textkitV2),
        [zip(`sessionA/geokit-${GEO}.zip`)]: bundleFiles("geokit", GEO, geokit),
      }),
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serves the edited version, forgets deleted modules, and can switch back", () => {
    const script = `${PRELUDE}
V1, V2 = cfg["v1"], cfg["v2"]
add_path(V1)                                   # task 1: the session only has v1
f, rt = load("v1_shout")
out["v1"] = f("hi")
out["v1_rt_is_string"] = isinstance(rt, DataType) and rt == StringType()
out["v1_old"] = attempt(lambda: load("v1_old")[0]())
add_path(V1); add_path(V2)                     # task 2: after the edit both zips are includes
out["zips_before"] = zips()
f, rt = load("v2_lengths")
out["v2_lengths"] = f("a bb ccc")
out["v2_rt"] = repr(rt)
out["v2_rt_is_array_of_int"] = isinstance(rt, DataType) and rt == ArrayType(IntegerType(), True)
out["v2"] = load("v2_shout")[0]("hi")
out["v2_sources"] = [origin(n) for n in ("mylib", "mylib.text", "mylib.helper")]
out["old_still_loaded"] = "mylib.old" in sys.modules
out["v1_loader_still_loaded"] = "_sab_loader_" + cfg["v1hash"] in sys.modules
out["v2_old"] = attempt(lambda: load("v2_old"))
out["old_direct_import"] = attempt(lambda: __import__("mylib.old") and None)
out["v2_new"] = attempt(lambda: load("v2_new")[0]())
out["v2_method"] = attempt(lambda: load("v2_method")[0]("a b"))
out["zips_after"] = zips()
add_path(V1); add_path(V2)                     # task 3: the worker re-adds v1 at sys.path[1]
out["task3"] = load("v2_shout")[0]("again")
out["task3_old"] = attempt(lambda: load("v2_old"))
add_path(V1)                                   # a session still on v1 shares this worker
out["back_to_v1"] = load("v1_shout")[0]("hi")
out["back_to_v1_old"] = attempt(lambda: load("v1_old")[0]())
add_path(V2)
out["v2_again"] = load("v2_shout")[0]("hi")
print(json.dumps(out))
`;
    const out = JSON.parse(
      runPython(
        script,
        JSON.stringify({
          v1: zip(`sessionA/textkit-${V1}.zip`),
          v2: zip(`sessionA/textkit-${V2}.zip`),
          v1hash: V1,
          commands: {
            v1_shout: command(V1, "mylib.text", "shout"),
            v1_old: command(V1, "mylib.old", "gone"),
            v2_shout: command(V2, "mylib.text", "shout"),
            v2_lengths: command(V2, "mylib.text", "lengths", ARRAY_OF_INT),
            v2_old: command(V2, "mylib.old", "gone"),
            v2_new: command(V2, "mylib.new", "fresh"),
            v2_method: command(V2, "mylib.text", "Tok.split"),
          },
        }),
      ),
    ) as Record<string, unknown>;

    expect(out.v1).toBe("v1:HI");
    expect(out.v1_rt_is_string).toBe(true);
    expect(out.v1_old).toEqual({ ok: "old" });
    // v1's loader moved v1 to the front; the worker then inserted v2 behind it.
    expect(out.zips_before).toEqual([`textkit-${V1}.zip`, `textkit-${V2}.zip`]);
    expect(out.v2_lengths).toEqual([1, 2, 3]);
    expect(out.v2_rt).toBe("ArrayType(IntegerType(), True)");
    expect(out.v2_rt_is_array_of_int).toBe(true);
    expect(out.v2).toBe("v2:HI"); // the edit is seen, including the already-imported helper module
    for (const source of out.v2_sources as string[]) expect(source).toContain(`textkit-${V2}.zip`);
    expect(out.old_still_loaded).toBe(false);
    expect(out.v1_loader_still_loaded).toBe(false);
    const v2Old = out.v2_old as Attempt;
    expect(v2Old.error).toContain(
      `ImportError: spark-autobundle: cannot import 'mylib.old' for UDF 'mylib.old:gone' (bundle textkit-${V2}): No module named 'mylib.old'`,
    );
    expect(v2Old.error).toContain("Fix: check the module path");
    expect(v2Old.cause).toBe("ModuleNotFoundError");
    expect((out.old_direct_import as Attempt).error).toContain("No module named 'mylib.old'");
    expect(out.v2_new).toEqual({ ok: "new in v2" });
    expect(out.v2_method).toEqual({ ok: ["a", "b"] });
    expect(out.zips_after).toEqual([`textkit-${V2}.zip`]);
    expect(out.task3).toBe("v2:AGAIN");
    expect((out.task3_old as Attempt).error).toContain("No module named 'mylib.old'");
    expect(out.back_to_v1).toBe("v1:HI");
    expect(out.back_to_v1_old).toEqual({ ok: "old" });
    expect(out.v2_again).toBe("v2:HI");
  });

  it("switches versions without re-reading the other zips on the path", () => {
    // importlib.invalidate_caches() re-reads every cached zip's directory (Python 3.10+): on a worker that is
    // pyspark.zip, py4j's and spark-core's jar, 111-140 ms a switch (4.3.0). The worker does it when its
    // includes change; the switch itself must not do it again.
    const script = `${PRELUDE}
import tempfile, zipfile
other = os.path.join(tempfile.mkdtemp(), "otherdep.zip")
with zipfile.ZipFile(other, "w") as z:
    z.writestr("otherdep.py", "X = 1\\n")
sys.path.append(other)
import otherdep
task(cfg["v1"])
out["v1"] = load("v1_shout")[0]("hi")
for name, includes in (("v2", (cfg["v1"], cfg["v2"])), ("back", (cfg["v1"], cfg["v2"]))):
    task(*includes)
    before = sys.path_importer_cache[other]._files  # after the worker's own invalidation
    out[name] = load("v2_shout" if name == "v2" else "v1_shout")[0]("hi")
    out[name + "_reread"] = sys.path_importer_cache[other]._files is not before
print(json.dumps(out))
`;
    const out = runWorkerScript(script, { v1: zip(`sessionA/textkit-${V1}.zip`), v2: zip(`sessionA/textkit-${V2}.zip`), commands: { v1_shout: command(V1, "mylib.text", "shout"), v2_shout: command(V2, "mylib.text", "shout") } });
    expect([out.v1, out.v2, out.back]).toEqual(["v1:HI", "v2:HI", "v1:HI"]);
    expect([out.v2_reread, out.back_reread]).toEqual([false, false]);
  });

  it("explains missing functions, broken modules and missing dependencies", () => {
    const script = `${PRELUDE}
add_path(cfg["v2"])
for name in cfg["commands"]:
    out[name] = attempt(lambda: load(name))
print(json.dumps(out))
`;
    const out = JSON.parse(
      runPython(
        script,
        JSON.stringify({
          v2: zip(`sessionA/textkit-${V2}.zip`),
          commands: {
            missing_function: command(V2, "mylib.text", "nope"),
            missing_method: command(V2, "mylib.text", "Tok.nope"),
            not_callable: command(V2, "mylib.text", "LIMIT"),
            broken: command(V2, "mylib.broken", "f"),
            needs_dep: command(V2, "mylib.needs_dep", "f"),
          },
        }),
      ),
    ) as Record<string, Attempt>;

    const bundle = `(bundle textkit-${V2})`;
    expect(out.missing_function!.error).toContain(
      `AttributeError: spark-autobundle: module 'mylib.text' has no attribute 'nope' for UDF 'mylib.text:nope' ${bundle}; it has: LIMIT, Tok, helper, lengths, shout.`,
    );
    expect(out.missing_method!.error).toContain(`'mylib.text.Tok' has no attribute 'nope' for UDF 'mylib.text:Tok.nope' ${bundle}; it has: split.`);
    expect(out.not_callable!.error).toContain(`TypeError: spark-autobundle: 'LIMIT' for UDF 'mylib.text:LIMIT' ${bundle} is a int, not a function`);
    expect(out.broken!.error).toContain(`cannot import 'mylib.broken' for UDF 'mylib.broken:f' ${bundle}: ValueError: boom at import.`);
    expect(out.broken!.cause).toBe("ValueError");
    expect(out.needs_dep!.error).toContain(`No module named 'not_installed_dep_xyz'. Fix: 'not_installed_dep_xyz' is imported by the UDF's code but is not on the Spark workers; declare it in the project's dependencies`);
  });

  it("evicts a stale copy of the project imported from elsewhere", () => {
    const script = `${PRELUDE}
site = cfg["site"]
os.makedirs(os.path.join(site, "mylib"), exist_ok=True)
for name, text in {"__init__.py": "", "text.py": "def shout(s):\\n    return 'stale site copy'\\n"}.items():
    with open(os.path.join(site, "mylib", name), "w") as fh:
        fh.write(text)
sys.path.insert(0, site)
import mylib.text
out["before"] = mylib.text.shout("x")
add_path(cfg["v2"])
out["after"] = load("v2_shout")[0]("x")
out["source"] = origin("mylib.text")
out["site_still_on_path"] = site in sys.path
print(json.dumps(out))
`;
    const out = JSON.parse(
      runPython(script, JSON.stringify({ site: zip("site"), v2: zip(`sessionA/textkit-${V2}.zip`), commands: { v2_shout: command(V2, "mylib.text", "shout") } })),
    ) as Record<string, unknown>;
    expect(out.before).toBe("stale site copy");
    expect(out.after).toBe("v2:X");
    expect(out.source).toContain(`textkit-${V2}.zip`);
    expect(out.site_still_on_path).toBe(true); // only other versions of *our* bundle leave sys.path
  });

  it("keeps two projects' bundles loaded side by side", () => {
    const script = `${PRELUDE}
add_path(cfg["textkit"]); add_path(cfg["geokit"])
ids, results = set(), []
for _ in range(3):
    results.append(load("text")[0]("a") + "|" + load("geo")[0]())
    ids.add((id(sys.modules["mylib.text"]), id(sys.modules["geolib.geo"])))
out["results"] = results
out["module_identities"] = len(ids)
out["zips"] = sorted(zips())
print(json.dumps(out))
`;
    const out = JSON.parse(
      runPython(
        script,
        JSON.stringify({
          textkit: zip(`sessionA/textkit-${V2}.zip`),
          geokit: zip(`sessionA/geokit-${GEO}.zip`),
          commands: { text: command(V2, "mylib.text", "shout"), geo: command(GEO, "geolib.geo", "where") },
        }),
      ),
    ) as Record<string, unknown>;
    expect(out.results).toEqual(["v2:A|geo", "v2:A|geo", "v2:A|geo"]);
    expect(out.module_identities).toBe(1); // nothing was evicted and re-imported
    expect(out.zips).toEqual([`geokit-${GEO}.zip`, `textkit-${V2}.zip`]);
  });

  it("falls back to another session's copy of the same bundle when the first copy is deleted", () => {
    const script = `${PRELUDE}
import shutil
first = os.path.join(cfg["tmp"], os.path.basename(cfg["b"]))
shutil.copy(cfg["b"], first)
add_path(first)
out["first"] = load("shout")[0]("a")
os.remove(first)                               # that session ended and its files were removed
add_path(cfg["b"])
out["second"] = attempt(lambda: load("fresh")[0]())
out["source"] = origin("mylib.new")
print(json.dumps(out))
`;
    const out = JSON.parse(
      runPython(
        script,
        JSON.stringify({
          tmp: dir,
          b: zip(`sessionB/textkit-${V2}.zip`),
          commands: { shout: command(V2, "mylib.text", "shout"), fresh: command(V2, "mylib.new", "fresh") },
        }),
      ),
    ) as Record<string, unknown>;
    expect(out.first).toBe("v2:A");
    expect(out.second).toEqual({ ok: "new in v2" });
    expect(out.source).toBe(join(zip(`sessionB/textkit-${V2}.zip`), "mylib", "new.py"));
  });
});

describe("loaderSource", () => {
  const args = { projectName: "textkit", hash12: "0123456789ab", topLevelNames: ["zeta", "mylib", "zeta"] };

  it("is deterministic and embeds project, hash and sorted top-level names", () => {
    const source = loaderSource(args);
    expect(source).toBe(loaderSource({ ...args, topLevelNames: ["mylib", "zeta"] }));
    expect(source).toContain('PROJECT = "textkit"');
    expect(source).toContain('BUNDLE_HASH = "0123456789ab"');
    expect(source).toContain('TOP_LEVEL_NAMES = ("mylib", "zeta",)');
  });

  it("is Python 3.9 syntax", () => {
    const check = "import ast, sys\nast.parse(sys.stdin.read(), feature_version=(3, 9))\nprint('ok')";
    expect(runPython(check, loaderSource(args)).trim()).toBe("ok");
  });

  it("rejects bad arguments with the fix", () => {
    expect(() => loaderModuleName("XYZ")).toThrow(/must be 12 lowercase hex characters/);
    expect(() => loaderSource({ ...args, projectName: "my lib" })).toThrow(/use letters, digits/);
    expect(() => loaderSource({ ...args, topLevelNames: ["mylib.text"] })).toThrow(/pass names like "mylib"/);
  });
});

function runWorkerScript(script: string, cfg: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(runPython(script, JSON.stringify(cfg))) as Record<string, unknown>;
}
