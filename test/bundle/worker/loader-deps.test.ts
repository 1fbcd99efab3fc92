// The loader's handling of dependency artifacts on a reused worker (one real Python process, as in
// loader.test.ts): a UDF command names the deps it needs; older versions leave sys.path and their
// modules are dropped, so a changed dependency set takes effect without a new worker.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loaderModuleName, loaderSource } from "../../../src/bundle/worker/loader.js";
import { pythonUdfCommand } from "../../../src/bundle/worker/command.js";
import { runPython } from "../../helpers/python.js";
import { runWorker } from "./loader-worker.js";

const APP = "aaaaaaaaaaa1";
const DEPS_1 = "sab-deps-111111111111.zip";
const DEPS_2 = "sab-deps-222222222222.zip";
const NATIVE = "sab-native-333333333333";

const MAKE_ZIPS = `
import json, sys, zipfile
for target, files in json.load(sys.stdin).items():
    with zipfile.ZipFile(target, "w") as z:
        for name, text in sorted(files.items()):
            z.writestr(name, text)
`;

describe("bundle loader: dependency artifacts on a reused worker", () => {
  let session: string;
  const at = (name: string) => join(session, name);
  const command = (fn: string, importFrom?: string[]) =>
    Buffer.from(pythonUdfCommand({ loaderModule: loaderModuleName(APP), modulePath: "app.use", functionName: fn, returnTypeJson: '"string"', importFrom })).toString("hex");

  beforeAll(() => {
    session = mkdtempSync(join(tmpdir(), "sab-loader-deps-"));
    const app = {
      "app/__init__.py": "",
      "app/use.py": "import dep\n\ndef version(_):\n    return dep.VERSION\n\ndef native(_):\n    import natdep\n    return natdep.WHERE\n",
    };
    runPython(
      MAKE_ZIPS,
      JSON.stringify({
        [at(`depapp-${APP}.zip`)]: { ...app, [`${loaderModuleName(APP)}.py`]: loaderSource({ projectName: "depapp", hash12: APP, topLevelNames: ["app"] }) },
        [at(DEPS_1)]: { "dep.py": "VERSION = '1'\n" },
        [at(DEPS_2)]: { "dep.py": "VERSION = '2'\n" },
      }),
    );
    // An unpacked archive: a plain directory beside the zips, as Spark leaves it.
    mkdirSync(at(NATIVE));
    writeFileSync(join(at(NATIVE), "natdep.py"), "import os\nWHERE = os.path.basename(os.path.dirname(__file__))\n");
  });

  afterAll(() => {
    if (session) rmSync(session, { recursive: true, force: true });
  });

  it("imports from exactly the named deps: a version switch drops the old modules, back and forth", () => {
    const out = runWorker(
      `
app, d1, d2 = cfg["app"], cfg["d1"], cfg["d2"]
deps_on_path = lambda: sorted(os.path.basename(p) for p in sys.path if "sab-" in os.path.basename(p))
task(app, d1)
out["first"] = load("v1")[0](0)
task(app, d1, d2)                  # the requirements changed: both zips are includes now
out["switched"] = load("v2")[0](0)
out["path_after_switch"] = deps_on_path()
task(app, d1, d2)                  # the next task re-adds the old zip at sys.path[1]
out["next_task"] = load("v2")[0](0)
out["back"] = load("v1")[0](0)
task(app, d1, d2)
out["again"] = load("v2")[0](0)    # and forth once more: the old version's modules go every time
out["with_native"] = load("native")[0](0)
out["path_with_native"] = deps_on_path()
out["missing"] = attempt(lambda: load("missing"))
print(json.dumps(out))
`,
      {
        app: at(`depapp-${APP}.zip`),
        d1: at(DEPS_1),
        d2: at(DEPS_2),
        commands: { v1: command("version", [DEPS_1]), v2: command("version", [DEPS_2]), native: command("native", [DEPS_2, NATIVE]), missing: command("native", ["sab-native-444444444444"]) },
      },
    );
    expect(out.first).toBe("1");
    expect(out.switched).toBe("2");
    expect(out.path_after_switch).toEqual([DEPS_2]);
    expect(out.next_task).toBe("2");
    expect(out.back).toBe("1");
    expect(out.again).toBe("2");
    expect(out.with_native).toBe(NATIVE);
    expect(out.path_with_native).toEqual([DEPS_2, NATIVE]);
    expect(out.missing).toMatchObject({ error: expect.stringContaining("ImportError: spark-autobundle: the dependency artifact sab-native-444444444444 is not on this worker for UDF 'app.use:native'") });
  });
});
