import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { openBuild } from "../../src/bundle/archive/build.js";
import { BundleCache } from "../../src/bundle/archive/cache.js";
import type { ContentHash, HashedFile } from "../../src/bundle/archive/hash.js";
import { loaderModuleName, overlayLoaderSource } from "../../src/bundle/worker/loader.js";
import { buildSettings } from "../../src/bundle/project/config.js";
import {
  buildVersion,
  diffTrees,
  flatEntryName,
  loaderModuleOf,
  OVERLAY_MAX_SHARE,
  overlayCost,
  overlayId,
  OverlayPlanner,
  pyfileArtifact,
  syncedBundle,
  writeOverlay,
} from "../../src/bundle/overlay.js";
import { runPython } from "../helpers/python.js";
import { hashedTree, plausibleModule } from "./overlay-fixtures.js";
import { makeTree, tempDir } from "./helpers.js";

const file = (zipPath: string, sha: string, size = 10, executable = false) =>
  ({ zipPath, sha256: sha.repeat(64).slice(0, 64), size, executable, absPath: `/x/${zipPath}`, mtimeMs: 0, ino: 0 }) satisfies HashedFile;

/** 1,000 modules in packages of 100, like the benchmark's project. */
function bigProject(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 1000; i++) files[modulePath(i)] = plausibleModule(i);
  return files;
}

const modulePath = (i: number) => `pkg${String(Math.floor(i / 100)).padStart(2, "0")}/sub/mod${String(i).padStart(4, "0")}.py`;

function baseFrom(planner: OverlayPlanner, tree: ContentHash, project = "demo") {
  const plan = planner.plan(tree, new Set());
  planner.synced(plan, { hash: tree.hash, hash12: tree.hash12, zipPath: "/base.zip", files: tree.files.length, bytes: 1, projectName: project, root: "/", fromCache: false, warnings: [], hashedFiles: tree.files });
  return plan;
}

function zipNames(path: string): string[] {
  return runPython("import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.stdin.read()).namelist()))", path).trim().split("\n");
}

describe("diffTrees and overlayCost", () => {
  it("finds changed, added and deleted files, including a changed executable bit", () => {
    const base = [file("a.py", "1"), file("b.py", "2"), file("c.py", "3"), file("d/e.py", "4")];
    const next = [file("a.py", "1"), file("b.py", "9", 25), file("c.py", "3", 10, true), file("new.py", "5", 7)];
    const diff = diffTrees(base, next);
    expect(diff.changed.map((f) => f.zipPath)).toEqual(["b.py", "c.py", "new.py"]);
    expect(diff.deleted).toEqual(["d/e.py"]);
    expect(overlayCost(diff)).toBe(25 + 10 + 7 + Buffer.byteLength("d/e.py") + 4);
    expect(diffTrees(base, base)).toEqual({ changed: [], deleted: [] });
  });
});

describe("overlay names", () => {
  it("are content-addressed, distinct from full bundles, and look like any version to every loader", () => {
    const [a, b] = ["a".repeat(64), "b".repeat(64)];
    expect(overlayId(a, b)).toBe(overlayId(a, b));
    expect(overlayId(a, b)).not.toBe(overlayId(b, a));
    expect(overlayId(a, b)).not.toBe(b.slice(0, 12));
    // The pattern of _PROJECT_ZIP in the loader (also in loaders of earlier releases).
    const name = pyfileArtifact("my-lib.x", overlayId(a, b)).slice("pyfiles/".length);
    expect(name).toMatch(/^my-lib\.x-[0-9a-f]{12}[.]zip$/);
  });
});

describe("OverlayPlanner", () => {
  it("ships the first version full, then small edits as overlays on it, and big ones as a new base", async () => {
    const files = bigProject();
    const v1 = await hashedTree(files);
    const planner = new OverlayPlanner("demo");
    const first = baseFrom(planner, v1);
    expect(first).toEqual({ hash: v1.hash, artifact: pyfileArtifact("demo", v1.hash12), loaderModule: loaderModuleName(v1.hash12) });
    const held = new Set([first.artifact]);

    const v2 = await hashedTree({ ...files, [modulePath(7)]: files[modulePath(7)] + "\nEDITED = True\n" });
    const small = planner.plan(v2, held);
    const id = overlayId(v1.hash, v2.hash);
    expect(small.artifact).toBe(pyfileArtifact("demo", id));
    expect(small.loaderModule).toBe(loaderModuleName(id));
    expect(small.overlay?.diff.changed.map((f) => f.zipPath)).toEqual([modulePath(7)]);
    expect(small.overlay?.base.hash).toBe(v1.hash);

    // Editing more than OVERLAY_MAX_SHARE of the (similar-sized) files makes a new base instead.
    const editing = async (count: number) => {
      const edited = { ...files };
      for (let i = 0; i < count; i++) edited[modulePath(i)] += "\n# edited\n";
      return planner.plan(await hashedTree(edited), held).overlay;
    };
    expect(OVERLAY_MAX_SHARE).toBe(0.25);
    expect(await editing(300)).toBeUndefined();
    expect(await editing(200)).toBeDefined();
  });

  it("ships full when the session lacks the base, already holds the full zip, or the tree is the base", async () => {
    const v1 = await hashedTree({ "m/__init__.py": "", "m/a.py": "A = 1\n".repeat(100) });
    const v2 = await hashedTree({ "m/__init__.py": "", "m/a.py": "A = 1\n".repeat(100), "m/b.py": "B = 2\n" });
    const planner = new OverlayPlanner("demo");
    expect(planner.plan(v2, new Set()).overlay).toBeUndefined(); // no base yet
    const base = baseFrom(planner, v1);
    expect(planner.plan(v2, new Set([base.artifact])).overlay).toBeDefined();
    expect(planner.plan(v2, new Set()).overlay).toBeUndefined(); // a new server-side session holds nothing
    expect(planner.plan(v2, new Set([base.artifact, pyfileArtifact("demo", v2.hash12)])).overlay).toBeUndefined();
    expect(planner.plan(v1, new Set([base.artifact]))).toEqual(base);
    // A version synced full becomes the base; an overlay never does.
    const overlay = planner.plan(v2, new Set([base.artifact]));
    planner.synced(overlay, { hash: v2.hash, hash12: v2.hash12, zipPath: "/o.zip", files: 3, bytes: 1, projectName: "demo", root: "/", fromCache: false, warnings: [], hashedFiles: v2.files });
    expect(planner.currentBase?.hash).toBe(v1.hash);
  });

  it("plans between hashing and writing, and an overlay plan's zip replaces the full archive", async () => {
    const root = makeTree({ "pkg/__init__.py": "", "pkg/a.py": "def f():\n    return 1\n" + "# padding\n".repeat(200), "pkg/b.py": "X = 1\n" });
    const cacheDir = tempDir("sab-ovl-cache-");
    const planner = new OverlayPlanner("demo");
    const held = new Set<string>();
    const build = async () => buildVersion(await openBuild(root, buildSettings(root, { cacheDir })), planner, held, undefined, () => {});
    const { bundle: first, plan: firstPlan } = await build();
    expect(firstPlan.overlay).toBeUndefined();
    expect(first.hashedFiles.map((f) => f.zipPath)).toEqual(["pkg/__init__.py", "pkg/a.py", "pkg/b.py"]);
    planner.synced(firstPlan, first);
    held.add(firstPlan.artifact);

    writeFileSync(join(root, "pkg/b.py"), "X = 2\n");
    const { bundle: second, plan } = await build();
    expect(plan.overlay?.diff.changed.map((f) => f.zipPath)).toEqual(["pkg/b.py"]);
    expect(zipNames(second.zipPath)).toEqual([`${plan.loaderModule}.py`, "pkg%2Fb.py"]);
    const synced = syncedBundle(second, plan);
    expect(synced).toMatchObject({ hash: second.hash, artifact: plan.artifact, loaderModule: plan.loaderModule });
    expect(synced.overlay).toEqual({ baseHash: first.hash, baseArtifact: firstPlan.artifact, changed: ["pkg/b.py"], deleted: [] });
    expect(loaderModuleOf(synced)).toBe(plan.loaderModule);
    expect(loaderModuleOf(first)).toBe(loaderModuleName(first.hash12));
  });
});

describe("writeOverlay", () => {
  it("holds the changed files and a stub naming base, version and deleted paths; about the size of the edit", async () => {
    const files = bigProject();
    const v1 = await hashedTree(files);
    const edited = files[modulePath(42)]!.replace("import json", "import json, re");
    const { [modulePath(99)]: _dropped, ...rest } = files;
    const v2 = await hashedTree({ ...rest, [modulePath(42)]: edited });
    const planner = new OverlayPlanner("demo");
    const base = baseFrom(planner, v1);
    const plan = planner.plan(v2, new Set([base.artifact]));
    const cache = new BundleCache(tempDir("sab-ovl-cache-"));
    const written = await writeOverlay(cache, plan, v2);
    expect(written.fromCache).toBe(false);
    expect(zipNames(written.path)).toEqual([`${plan.loaderModule}.py`, "pkg00%2Fsub%2Fmod0042.py"]);
    const stub = runPython(`import sys, zipfile; print(zipfile.ZipFile(sys.stdin.read()).read("${plan.loaderModule}.py").decode())`, written.path);
    expect(stub.trim()).toBe(overlayLoaderSource({ baseHash12: v1.hash12, versionHash12: v2.hash12, deleted: [modulePath(99)] }).trim());
    expect(stub).toContain(`BASE_LOADER = "${loaderModuleName(v1.hash12)}"`);
    // The number the engine is held to: at most twice the edited file's deflated size.
    const deflated = deflateRawSync(Buffer.from(edited), { level: 6 }).length;
    expect(Buffer.byteLength(edited) / deflated).toBeLessThan(4); // realistic, not a best case
    expect(written.bytes).toBeLessThanOrEqual(2 * deflated);
    const again = await writeOverlay(cache, plan, v2);
    expect(again).toEqual({ ...written, fromCache: true });
    expect(readFileSync(again.path).equals(readFileSync(written.path))).toBe(true);
  });

  it("refuses a full plan", async () => {
    const tree = await hashedTree({ "a.py": "" });
    await expect(writeOverlay(new BundleCache(tempDir()), new OverlayPlanner("p").plan(tree, new Set()), tree)).rejects.toThrow(/full upload, not an overlay/);
  });
});

describe("flatEntryName", () => {
  it("escapes only '%' and '/', so names stay distinct", () => {
    expect(flatEntryName("a/b%2Fc/d.py")).toBe("a%2Fb%252Fc%2Fd.py");
    expect(flatEntryName("a%2Fb")).not.toBe(flatEntryName("a/b"));
  });
});

describe("overlayLoaderSource", () => {
  it("is a header of the version's values and a one-line stub, valid Python 3.9, that escapes paths", () => {
    const source = overlayLoaderSource({ baseHash12: "0123456789ab", versionHash12: "ba9876543210", deleted: ['we"ird/ü.txt', "a.py"] });
    expect(source.split("\n").slice(0, 3)).toEqual(['BASE_LOADER = "_sab_loader_0123456789ab"', 'VERSION_HASH12 = "ba9876543210"', 'DELETED = ("we\\"ird/ü.txt","a.py",)']);
    expect(source).toContain("resolve = importlib.import_module(BASE_LOADER)._overlay_v1(__name__, VERSION_HASH12, DELETED)\n");
    const check = "import ast, sys\ntree = ast.parse(sys.stdin.read(), feature_version=(3, 9))\nprint(ast.literal_eval(tree.body[2].value))";
    expect(runPython(check, source).trim()).toBe("('we\"ird/ü.txt', 'a.py')");
    expect(() => overlayLoaderSource({ baseHash12: "0123456789ab", versionHash12: "nope", deleted: [] })).toThrow(/12 lowercase hex/);
  });
});
