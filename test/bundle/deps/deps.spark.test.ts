// Integration: third-party dependencies shipped as a zip to a real Spark Connect server
// (humanize is not in the server's venv; pip downloads it for the workers' Python).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { useWheelhouse } from "../../helpers/wheelhouse.js";
import { onSpark35 } from "../../helpers/spark-line.js";
import { lit, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../../src/index.js";
import { RACY_WINDOW_MS } from "../../../src/bundle/watch/freshness.js";
import { copyFixture, tempDir } from "../helpers.js";
import { resolveDeps } from "../../../src/bundle/deps/resolve.js";
import { detectPython } from "../../../src/server/provision/requirements.js";
import { jsonOf, runMain } from "../../cli/helpers.js";

// Resolutions come from the shared test wheelhouse, not PyPI (test/helpers/wheelhouse.ts).
useWheelhouse();

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

type DepsEvent = Extract<AutoBundleEvent, { type: "deps" }>;

async function session(root: string, cacheDir: string, events: AutoBundleEvent[]) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir, onEvent: (e) => events.push(e) });
  sessions.push(s);
  return s;
}

async function size(s: SparkSession): Promise<unknown> {
  const f = s.udf.python("textfmt.sizes:natural_size", "string");
  const [row] = await s.range(1).select(f(lit(3_000_000)).alias("v")).collect();
  return row!.v;
}

const depsEvents = (events: AutoBundleEvent[]) => events.filter((e): e is DepsEvent => e.type === "deps");
const uploaded = (events: AutoBundleEvent[]) => events.flatMap((e) => (e.type === "upload" ? e.names : []));

describe("dependency shipping on a real server", () => {
  it("ships humanize (absent from the server) so the UDF can import it; unchanged deps: no pip, no upload", async () => {
    const root = copyFixture("withdeps");
    const cacheDir = tempDir("sab-cache-");
    const events: AutoBundleEvent[] = [];
    const s = await session(root, cacheDir, events);
    expect(await size(s)).toBe("3.0 MB");
    const [first] = depsEvents(events);
    expect(first?.resolvedNow).toBe(true);
    expect(first?.shipped).toEqual(["humanize==4.12.3"]);
    expect(first?.artifact).toMatch(/^pyfiles\/sab-deps-[0-9a-f]{12}\.zip$/);
    expect(uploaded(events)).toContain(first!.artifact);

    // Same session, next jobs: memoized (no pip run) and nothing sent.
    for (let job = 0; job < 2; job++) {
      events.length = 0;
      expect(await size(s)).toBe("3.0 MB");
      expect(depsEvents(events).every((e) => !e.resolvedNow)).toBe(true);
      expect(uploaded(events)).toEqual([]);
    }

    // A new engine with the same cache: the resolution is read from disk, pip does not run.
    const events2: AutoBundleEvent[] = [];
    const s2 = await session(root, cacheDir, events2);
    expect(await size(s2)).toBe("3.0 MB");
    expect(depsEvents(events2)[0]).toMatchObject({ resolvedNow: false, artifact: first!.artifact });
  });

  it.skipIf(onSpark35)("a change of the declared deps gives a new deps artifact; a package the server has is skipped", async () => {
    const root = copyFixture("withdeps");
    const cacheDir = tempDir("sab-cache-");
    const events: AutoBundleEvent[] = [];
    expect(await size(await session(root, cacheDir, events))).toBe("3.0 MB");
    const before = depsEvents(events)[0]!;

    writeFileSync(join(root, "requirements.txt"), "humanize==4.12.3\ntoolz==1.0.0\npython-dateutil\n");
    const events2: AutoBundleEvent[] = [];
    expect(await size(await session(root, cacheDir, events2))).toBe("3.0 MB");
    const after = depsEvents(events2)[0]!;
    expect(after.resolvedNow).toBe(true);
    expect(after.artifact).not.toBe(before.artifact);
    expect(after.shipped).toEqual(expect.arrayContaining(["humanize==4.12.3", "toolz==1.0.0"]));
    expect(after.skipped.some((p) => p.startsWith("python-dateutil=="))).toBe(true);
    expect(uploaded(events2)).toContain(after.artifact);

    // ls --explain (offline) shows the artifact and why each package was shipped or skipped.
    const ls = jsonOf<{ dependencies: { resolution: { artifact: string; packages: { name: string; shipped: boolean; reason: string }[] } } }>(
      await runMain(["ls", "--root", root, "--cache-dir", cacheDir, "--explain", "--json"]),
    );
    expect(ls.dependencies.resolution.artifact).toBe(after.artifact);
    expect(ls.dependencies.resolution.packages.find((p) => p.name === "python-dateutil")).toMatchObject({ shipped: false, reason: "skipped: the server has it" });
    expect(ls.dependencies.resolution.packages.find((p) => p.name === "toolz")).toMatchObject({ shipped: true });
    const text = (await runMain(["ls", "--root", root, "--cache-dir", cacheDir, "--explain"])).stdout;
    expect(text).toMatch(new RegExp(`artifact: ${after.artifact!.replace(/[./]/g, "\\$&")}[\\s\\S]*humanize==4\\.12\\.3 +shipped: pure Python`));
  });

  it.skipIf(onSpark35)("editing requirements.txt between jobs of one session: the next job resolves and ships the new set", async () => {
    const root = copyFixture("withdeps");
    const events: AutoBundleEvent[] = [];
    const s = await session(root, tempDir("sab-cache-"), events);
    expect(await size(s)).toBe("3.0 MB");
    const before = depsEvents(events)[0]!;
    // Past the freshness check's racy window (files stamped just before a build are re-checked),
    // so the job before the edit is judged by the fingerprint alone: up to date, no full sync.
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    expect(await size(s)).toBe("3.0 MB");
    events.length = 0;
    expect(await size(s)).toBe("3.0 MB");
    expect(events.map((e) => e.type)).toEqual(["up-to-date"]);

    events.length = 0;
    writeFileSync(join(root, "requirements.txt"), "humanize==4.12.3\ntoolz==1.0.0\n");
    expect(await size(s)).toBe("3.0 MB");
    const after = depsEvents(events)[0];
    expect(after).toMatchObject({ resolvedNow: true, shipped: ["humanize==4.12.3", "toolz==1.0.0"] });
    expect(after!.artifact).not.toBe(before.artifact);
    expect(uploaded(events)).toEqual([after!.artifact]);
  });

  it("a dependency's version changed in the same session: reused workers import the new version", async () => {
    const root = copyFixture("withdeps");
    // Which Python worker process ran each row: proves the new version was imported by a worker that had the old one.
    writeFileSync(join(root, "textfmt", "who.py"), "import os\n\n\ndef pid(x):\n    return str(os.getpid())\n");
    const events: AutoBundleEvent[] = [];
    const s = await session(root, tempDir("sab-cache-"), events);
    const version = s.udf.python("textfmt.sizes:humanize_version", "string");
    const pid = s.udf.python("textfmt.who:pid", "string");
    const workers = new Map<string, Set<unknown>>();
    const versions = async () => {
      const rows = await s.range(0, 8, 1, 4).select(version(lit(0)).alias("v"), pid(lit(0)).alias("p")).collect();
      for (const r of rows) workers.set(r.p as string, new Set([...(workers.get(r.p as string) ?? []), r.v]));
      return new Set(rows.map((r) => r.v));
    };
    expect(await versions()).toEqual(new Set(["4.12.3"]));
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    writeFileSync(join(root, "requirements.txt"), "humanize==4.11.0\n");
    expect(await versions()).toEqual(new Set(["4.11.0"]));
    // At least one worker process ran both versions: it was reused and switched, not replaced.
    expect([...workers.values()].some((seen) => seen.has("4.12.3") && seen.has("4.11.0")), JSON.stringify([...workers].map(([p, v]) => [p, [...v]]))).toBe(true);
    // A UDF registered for SQL before the change is registered again: it sees the new version too.
    await s.udf.register("hv", version);
    expect((await (await s.sql("SELECT hv(id) AS v FROM range(4)")).collect()).map((r) => r.v)).toEqual(["4.11.0", "4.11.0", "4.11.0", "4.11.0"]);
    // And back: the first zip is still on the workers; it must win again.
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    writeFileSync(join(root, "requirements.txt"), "humanize==4.12.3\n");
    expect(await versions()).toEqual(new Set(["4.12.3"]));
    expect((await (await s.sql("SELECT hv(id) AS v FROM range(4)")).collect()).map((r) => r.v)).toEqual(["4.12.3", "4.12.3", "4.12.3", "4.12.3"]);
    expect(uploaded(events).filter((n) => n.includes("sab-deps-"))).toHaveLength(2);
  });

  it("a package with native code: shipped as an archive, its C extension imported on the workers", async () => {
    const root = copyFixture("withdeps");
    writeFileSync(join(root, "requirements.txt"), "humanize==4.12.3\nmarkupsafe==3.0.2\n");
    const cacheDir = tempDir("sab-cache-");
    const events: AutoBundleEvent[] = [];
    const s = await session(root, cacheDir, events);
    const escaped = s.udf.python("textfmt.markup:escaped", "string");
    const rows = await s.range(0, 4, 1, 4).select(escaped(lit("<a&b>")).alias("v")).collect();
    for (const { v } of rows) expect(v).toMatch(/^&lt;a&amp;b&gt;\|.*\/sab-native-[0-9a-f]{12}\/markupsafe\/_speedups\.[^/]*\.so$/);
    expect(await size(s)).toBe("3.0 MB"); // the pure zip beside it
    const [deps] = depsEvents(events);
    expect(deps?.resolvedNow).toBe(true);
    expect([...deps!.shipped].sort()).toEqual(["humanize==4.12.3", "markupsafe==3.0.2"]);
    expect(deps!.native).toMatch(/^archives\/(sab-native-[0-9a-f]{12})\.zip#\1$/);
    expect(uploaded(events)).toEqual(expect.arrayContaining([deps!.artifact, deps!.native]));

    const ls = (await runMain(["ls", "--root", root, "--cache-dir", cacheDir, "--explain"])).stdout;
    expect(ls).toContain(`native archive: ${deps!.native} (unpacked on the workers)`);
    expect(ls).toMatch(/markupsafe==3\.0\.2 +shipped: native code \(cp\d+, manylinux[^)]*\), as an archive unpacked on the workers/);

    // Dropping it from the declared deps: the next job runs without the archive on sys.path, even
    // on the Python workers that imported it.
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    writeFileSync(join(root, "requirements.txt"), "humanize==4.12.3\n");
    await expect(s.range(0, 4, 1, 4).select(escaped(lit("x")).alias("v")).collect()).rejects.toThrow(/No module named 'markupsafe'/);
  });

  it.skipIf(onSpark35)("package.json settings: a requirements file named there is shipped; dependencies: false ships nothing", async () => {
    const root = copyFixture("withdeps");
    mkdirSync(join(root, "reqs"));
    renameSync(join(root, "requirements.txt"), join(root, "reqs/prod.txt"));
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "withdeps", private: true, sparkAutobundle: { dependencies: { requirements: ["reqs/prod.txt"] } } }));
    const cacheDir = tempDir("sab-cache-");
    const events: AutoBundleEvent[] = [];
    expect(await size(await session(root, cacheDir, events))).toBe("3.0 MB");
    expect(depsEvents(events)[0]?.shipped).toEqual(["humanize==4.12.3"]);
    expect((await runMain(["ls", "--root", root, "--cache-dir", cacheDir, "--explain"])).stdout).toContain("Dependencies (humanize==4.12.3; from reqs/prod.txt)");

    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "withdeps", private: true, sparkAutobundle: { dependencies: false } }));
    const off: AutoBundleEvent[] = [];
    await expect(size(await session(root, cacheDir, off))).rejects.toThrow(/No module named 'humanize'/);
    expect(depsEvents(off)).toEqual([]);
    expect((await runMain(["ls", "--root", root, "--cache-dir", cacheDir, "--explain"])).stdout).toContain("Dependencies: not shipped (dependencies: false)");
  });

  it.skipIf(onSpark35)("a requirement pip can't find: an error naming it with pip's log; nothing half-written in the cache", async () => {
    const root = copyFixture("withdeps");
    writeFileSync(join(root, "requirements.txt"), "sab-no-such-package-xyz==1.0\n");
    const cacheDir = tempDir("sab-cache-");
    const s = await session(root, cacheDir, []);
    await expect(size(s)).rejects.toThrow(/pip could not resolve the dependencies \[sab-no-such-package-xyz==1\.0\][\s\S]*pip's log[\s\S]*sab-no-such-package-xyz/);
    const depsDir = join(cacheDir, "deps");
    expect(existsSync(depsDir) ? readdirSync(depsDir) : []).toEqual([]);
  });

  it.skipIf(onSpark35)("a requirements file in every supported form ships on the first job: -r, -c, -e ., --no-index/--find-links, markers, continuations", async () => {
    const root = copyFixture("withdeps");
    const house = process.env.PIP_FIND_LINKS!;
    writeFileSync(join(root, "requirements.txt"), "# the app\n-r requirements/base.txt\n-c constraints.txt\n-e .\n");
    mkdirSync(join(root, "requirements"));
    writeFileSync(
      join(root, "requirements/base.txt"),
      `--no-index\n--find-links ${relative(join(root, "requirements"), house)}\nhumanize \\\n    >=4.0 ; python_version >= "3.8"  # any 4.x\ntoolz==1.0.0 ; python_version < "3"\n`,
    );
    writeFileSync(join(root, "constraints.txt"), "humanize==4.11.0\n");
    const cacheDir = tempDir("sab-cache-");
    const events: AutoBundleEvent[] = [];
    // Only the file's own --find-links (relative to requirements/) can find the wheels now.
    delete process.env.PIP_FIND_LINKS;
    try {
      expect(await size(await session(root, cacheDir, events))).toBe("3.0 MB");
    } finally {
      process.env.PIP_FIND_LINKS = house;
    }
    // The constraint chose 4.11.0 over the newer 4.12.3; the marker kept toolz out; -e . shipped nothing.
    expect(depsEvents(events)[0]?.shipped).toEqual(["humanize==4.11.0"]);
    const explained = (await runMain(["ls", "--root", root, "--cache-dir", cacheDir, "--explain"])).stdout;
    expect(explained).toContain("constraints: humanize==4.11.0");
    expect(explained).toContain('requirements.txt:4: "-e ." skipped: it is this project, whose code ships as the bundle');
  });

  it.skipIf(onSpark35)("--hash pins go to pip (no server needed): the right hash resolves, a wrong one fails naming the mismatch", async () => {
    const house = process.env.PIP_FIND_LINKS!;
    const wheel = readFileSync(join(house, "humanize-4.12.3-py3-none-any.whl"));
    const good = `humanize==4.12.3 --hash=sha256:${createHash("sha256").update(wheel).digest("hex")}`;
    const python = (await detectPython()).executable;
    const target = { pythonVersion: inject("sparkPythonVersion"), platforms: ["manylinux2014_x86_64", "linux_x86_64"], serverHas: [] };
    const ok = await resolveDeps(python, [good], target, tempDir("sab-cache-"));
    expect(ok.packages.map((p) => `${p.name}==${p.version}`)).toEqual(["humanize==4.12.3"]);
    const bad = `humanize==4.12.3 --hash=sha256:${"0".repeat(64)}`;
    await expect(resolveDeps(python, [bad], target, tempDir("sab-cache-"))).rejects.toThrow(/pip could not resolve[\s\S]*DO NOT MATCH/);
  });
});

