// Integration: third-party dependencies shipped as a zip to a real Spark Connect server
// (humanize is not in the server's venv; pip downloads it for the workers' Python).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { useWheelhouse } from "../../helpers/wheelhouse.js";
import { onSpark35 } from "../../helpers/spark-line.js";
import { lit, SparkConnectError, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../../src/index.js";
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

    // humanize itself raising (float("not a size"), line 87 of its filesize.py in 4.12.3): that frame
    // names the package and version, the project's calling frame is the file on disk with its source.
    const sizeOf = s.udf.python("textfmt.sizes:natural_size", "string");
    const err = (await s.range(1).select(sizeOf(lit("not a size"))).collect().catch((e: unknown) => e)) as SparkConnectError;
    expect(err).toBeInstanceOf(SparkConnectError);
    expect(err.message.split("\n")[0]).toBe("PythonException: ValueError: could not convert string to float: 'not a size'");
    const frames = err.message.split("\n").filter((line) => !/^\s*[~^]+\s*$/.test(line)); // without Python's caret lines
    expect(frames.join("\n")).toContain(
      [
        `  File "${join(root, "textfmt", "sizes.py")}", line 6, in natural_size`,
        "    return humanize.naturalsize(n)",
        '  File "humanize 4.12.3: humanize/filesize.py", line 87, in naturalsize',
        "    bytes_ = float(value)",
      ].join("\n"),
    );
    expect(err.message).not.toContain("sab-deps-");
    expect(err.pythonTraceback).toMatch(/sab-deps-[0-9a-f]{12}\.zip\/humanize\/filesize\.py", line 87/);

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
    // markupsafe's own Python code raising (Markup.join of an int): its frame, in the unpacked archive, names the package.
    const joined = s.udf.python("textfmt.markup:joined", "string");
    const err = (await s.range(1).select(joined(lit(5))).collect().catch((e: unknown) => e)) as SparkConnectError;
    expect(err).toBeInstanceOf(SparkConnectError);
    expect(err.message.split("\n")[0]).toBe("PythonException: TypeError: 'int' object is not iterable");
    expect(err.message).toContain(`File "${join(root, "textfmt", "markup.py")}", line 11, in joined`);
    expect(err.message).toMatch(/\n {2}File "markupsafe 3\.0\.2: markupsafe\/__init__\.py", line \d+, in join\n/);
    expect(err.message).not.toContain("sab-native-");
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

  it.skipIf(onSpark35)("a requirements file in every supported form ships on the first job: -r, -c, -e ., local paths, file:// URLs, a wheel file, index options, --hash, markers, continuations, ${VARS}", async () => {
    const root = copyFixture("withdeps");
    const house = process.env.PIP_FIND_LINKS!;
    const sha = (name: string) => createHash("sha256").update(readFileSync(join(house, name))).digest("hex");
    // Local packages: one outside the project, one inside it, one reached by a file:// URL through ${SAB_VENDOR}.
    const outside = join(root, "..");
    mkdirSync(join(outside, "shared-lib", "shared_lib"), { recursive: true });
    writeFileSync(join(outside, "shared-lib", "pyproject.toml"), '[project]\nname = "shared-lib"\nversion = "0.2.0"\n');
    writeFileSync(join(outside, "shared-lib", "shared_lib", "__init__.py"), 'NAME = "shared-lib"\n');
    mkdirSync(join(root, "libs", "inner", "inner"), { recursive: true });
    writeFileSync(join(root, "libs", "inner", "inner", "__init__.py"), 'NAME = "inner"\n');
    mkdirSync(join(outside, "vendor", "tinyutil", "src", "tinyutil"), { recursive: true });
    writeFileSync(join(outside, "vendor", "tinyutil", "src", "tinyutil", "__init__.py"), 'NAME = "tinyutil"\n');
    mkdirSync(join(root, "wheels"));
    writeFileSync(join(root, "wheels", "toolz-1.0.0-py3-none-any.whl"), readFileSync(join(house, "toolz-1.0.0-py3-none-any.whl")));
    writeFileSync(join(root, "textfmt", "every.py"), "import humanize, inner, shared_lib, tinyutil, toolz\n\n\ndef report(_):\n    return ' '.join(['humanize=' + humanize.__version__, 'toolz=' + toolz.__version__, shared_lib.NAME, inner.NAME, tinyutil.NAME])\n");
    const requirements = [
      "# the app: every form spark-autobundle reads",
      "-r requirements/base.txt",
      "-c constraints.txt",
      "-e .",
      "-e ../shared-lib",
      './libs/inner ; python_version >= "3.8"',
      "tinyutil @ file://${SAB_VENDOR}/tinyutil",
      `./wheels/toolz-1.0.0-py3-none-any.whl --hash=sha256:${sha("toolz-1.0.0-py3-none-any.whl")}`,
    ].join("\n");
    const base = [
      "--no-index",
      `--find-links ${relative(join(root, "requirements"), house)}`,
      "--extra-index-url https://pypi.invalid/simple",
      "--trusted-host pypi.invalid",
      "--prefer-binary",
      `humanize==4.11.0 \\\n    ; python_version >= "3.8" \\\n    --hash=sha256:${sha("humanize-4.11.0-py3-none-any.whl")}  # pinned, hashed`,
      `markupsafe==3.0.2 ; python_version < "3" --hash=sha256:${"0".repeat(64)}`,
    ].join("\n");
    writeFileSync(join(root, "requirements.txt"), `${requirements}\n`);
    mkdirSync(join(root, "requirements"));
    writeFileSync(join(root, "requirements/base.txt"), `${base}\n`);
    writeFileSync(join(root, "constraints.txt"), "humanize<4.12\n");
    const cacheDir = tempDir("sab-cache-");
    const events: AutoBundleEvent[] = [];
    // Only the file's own --find-links (relative to requirements/) can find the wheels now.
    delete process.env.PIP_FIND_LINKS;
    process.env.SAB_VENDOR = join(outside, "vendor");
    let report: unknown;
    let explained: string;
    try {
      const s = await session(root, cacheDir, events);
      [{ report }] = (await s.range(1).select(s.udf.python("textfmt.every:report", "string")(lit(0)).alias("report")).collect()) as [{ report: unknown }];
      explained = (await runMain(["ls", "--root", root, "--cache-dir", cacheDir, "--explain"])).stdout;
    } finally {
      process.env.PIP_FIND_LINKS = house;
      delete process.env.SAB_VENDOR;
    }
    // Opt-in, for showing the whole round trip (files, job output, `ls --explain`) in a review.
    if (process.env.SAB_SHOW_EVERY_FORM) console.log(`requirements.txt:\n${requirements}\nrequirements/base.txt:\n${base}\nconstraints.txt:\nhumanize<4.12\njob: ${String(report)}\ndeps event: ${JSON.stringify(depsEvents(events)[0])}\n${explained}`);
    expect(report).toBe("humanize=4.11.0 toolz=1.0.0 shared-lib inner tinyutil");
    // The marker kept markupsafe out (its wrong hash never reached pip); -e . shipped nothing.
    expect([...depsEvents(events)[0]!.shipped].sort()).toEqual(["humanize==4.11.0", "inner==0", "shared-lib==0.2.0", "tinyutil==0", "toolz==1.0.0"]);
    expect(explained).toContain("constraints: humanize<4.12");
    expect(explained).toContain('requirements.txt:4: "-e ." skipped: it is this project, whose code ships as the bundle');
    expect(explained).toMatch(/shared-lib==0\.2\.0 +shipped: local package .*shared-lib \(its source, 1 file\)/);
  });

  it.skipIf(onSpark35)("uv.lock pins win over the loose requirement; a local package outside the root is imported, and shipped again when edited", async () => {
    const root = copyFixture("withdeps");
    const house = process.env.PIP_FIND_LINKS!;
    const hash = createHash("sha256").update(readFileSync(join(house, "humanize-4.11.0-py3-none-any.whl"))).digest("hex");
    const shared = join(root, "..", "shared-lib");
    mkdirSync(join(shared, "shared_lib"), { recursive: true });
    writeFileSync(join(shared, "shared_lib", "__init__.py"), "def shout(s):\n    return s.upper() + '!'\n");
    writeFileSync(join(root, "textfmt", "loud.py"), "import shared_lib\n\n\ndef shout(s):\n    return shared_lib.shout(s)\n");
    // requirements.txt (humanize==4.12.3) and pyproject's range would give 4.12.3: the lockfile says 4.11.0.
    writeFileSync(join(root, "pyproject.toml"), '[project]\nname = "withdeps"\nversion = "0.1.0"\ndependencies = ["humanize>=4", "shared-lib"]\n\n[tool.uv.sources]\nshared-lib = { path = "../shared-lib" }\n');
    writeFileSync(
      join(root, "uv.lock"),
      `version = 1\nrevision = 3\nrequires-python = ">=3.10"\n\n[[package]]\nname = "withdeps"\nversion = "0.1.0"\nsource = { editable = "." }\ndependencies = [\n    { name = "humanize" },\n    { name = "shared-lib" },\n    { name = "toolz", marker = "sys_platform == 'win32'" },\n]\n\n` +
        `[[package]]\nname = "humanize"\nversion = "4.11.0"\nsource = { registry = "https://pypi.org/simple" }\nwheels = [{ url = "https://files.pythonhosted.org/packages/humanize-4.11.0-py3-none-any.whl", hash = "sha256:${hash}", size = 1 }]\n\n` +
        `[[package]]\nname = "shared-lib"\nversion = "0.2.0"\nsource = { directory = "../shared-lib" }\n\n` +
        `[[package]]\nname = "toolz"\nversion = "1.0.0"\nsource = { registry = "https://pypi.org/simple" }\nwheels = [{ url = "https://files.pythonhosted.org/packages/toolz-1.0.0-py3-none-any.whl", hash = "sha256:${"0".repeat(64)}", size = 1 }]\n`,
    );
    const events: AutoBundleEvent[] = [];
    const s = await session(root, tempDir("sab-cache-"), events);
    const version = s.udf.python("textfmt.sizes:humanize_version", "string");
    const shout = s.udf.python("textfmt.loud:shout", "string");
    const job = async () => (await s.range(0, 4, 1, 2).select(version(lit(0)).alias("v"), shout(lit("hi")).alias("s")).collect()).map((r) => `${String(r.v)} ${String(r.s)}`);
    expect(new Set(await job())).toEqual(new Set(["4.11.0 HI!"]));
    // toolz is locked for Windows workers only: not shipped (and its wrong hash never checked).
    expect([...depsEvents(events)[0]!.shipped].sort()).toEqual(["humanize==4.11.0", "shared-lib==0.2.0"]);
    // The project's own files are untouched: only ../shared-lib (outside the root) changed.
    writeFileSync(join(shared, "shared_lib", "__init__.py"), "def shout(s):\n    return s.upper() + '!!'\n");
    events.length = 0;
    expect(new Set(await job())).toEqual(new Set(["4.11.0 HI!!"]));
    expect(uploaded(events).filter((n) => n.includes("sab-deps-"))).toHaveLength(1);
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
    // A lockfile's hashes are checked on the downloaded wheel (they need not all be pip-checkable hashes).
    const locked = { noDeps: true, hashesFrom: "uv.lock", hashes: { humanize: ["1".repeat(64), "2".repeat(64)] } };
    await expect(resolveDeps(python, ["humanize==4.12.3"], target, tempDir("sab-cache-"), Date.now(), locked)).rejects.toThrow(
      /^uv\.lock pins humanize 4\.12\.3 to wheels with sha256 1{64}, 2{64}, but the wheel pip found \(humanize-4\.12\.3-py3-none-any\.whl\) has sha256 [0-9a-f]{64}: not the file that was locked\. Fix: .*dependencies\.lockfile: false, or dependencies: false\.$/,
    );
  });
});

