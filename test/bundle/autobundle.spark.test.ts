// Integration: the auto-bundle loop on a real Spark Connect server. Projects are
// temp copies of fixtures/, so tests can edit, add and delete their Python files.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { onSpark35 } from "../helpers/spark-line.js";
import { autoBundleOf, lit, SparkConnectError, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../src/index.js";
import { copyFixture, git, python, tempDir } from "./helpers.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function session(root: string, events: AutoBundleEvent[] = [], cacheDir = tempDir("sab-cache-")) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir, onEvent: (e) => events.push(e) });
  sessions.push(s);
  return s;
}

const one = async (s: SparkSession, f: ReturnType<SparkSession["udf"]["python"]>, ...args: unknown[]) => {
  const [row] = await s.range(1).select(f(...args.map((a) => lit(a))).alias("v")).collect();
  return row!.v;
};

function write(root: string, rel: string, text: string) {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

function zipEntries(zipPath: string): string[] {
  return python("import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", [zipPath]).trim().split("\n");
}

describe("withAutoBundle on a real server", () => {
  it.skipIf(onSpark35)("reports a skipped secret once per session, not on every rebuild; without onEvent on stderr", async () => {
    const root = copyFixture("flatlib"); // holds weblog/.env
    const events: AutoBundleEvent[] = [];
    const s = await session(root, events);
    const day = s.udf.python("weblog.parse:day_of", "string");
    const line = '1.2.3.4 - - [02/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 1';
    await one(s, day, line);
    write(root, "weblog/extra.py", "X = 1\n");
    await one(s, day, line); // a second build, with the same secret skipped again
    expect(events.filter((e) => e.type === "build")).toHaveLength(2);
    expect(events.filter((e) => e.type === "warning" && e.code === "secret-skipped")).toHaveLength(1);

    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const quiet = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-") });
      sessions.push(quiet);
      await one(quiet, quiet.udf.python("weblog.parse:day_of", "string"), line);
      write(root, "weblog/extra.py", "X = 2\n");
      await one(quiet, quiet.udf.python("weblog.parse:day_of", "string"), line);
      const warnings = stderr.mock.calls.map(([text]) => String(text)).filter((text) => text.includes("weblog/.env"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^spark-autobundle: warning: Not bundling weblog\/\.env/);
    } finally {
      stderr.mockRestore();
    }
  });

  it("runs a UDF from the flat-layout fixture, including data read through importlib.resources", async () => {
    const s = await session(copyFixture("flatlib"));
    const line = '93.184.216.34 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 512';
    expect(await one(s, s.udf.python("weblog.parse:day_of", "string"), line)).toBe("2024-03-01");
    expect(await one(s, s.udf.python("weblog.parse:bytes_of", "bigint"), line)).toBe(512n);
    expect(await one(s, s.udf.python("weblog.geo.lookup:country_of", "string"), "10.1.2.3")).toBe("NL");
  });

  it.skipIf(onSpark35)("runs a UDF from the src-layout fixture (pyproject packages.find where=src)", async () => {
    const s = await session(copyFixture("srclayout"));
    expect(await one(s, s.udf.python("textkit.text:normalize", "string"), "  Hello   World ")).toBe("hello world");
    const bundle = autoBundleOf(s)!.current!;
    expect(bundle.projectName).toBe("textkit");
    expect(zipEntries(bundle.zipPath)).toContain("textkit/text.py");
  });

  it("returns complex types declared as type strings", async () => {
    const root = copyFixture("srclayout");
    write(root, "src/textkit/shapes.py", "def parts(s):\n    return {'words': s.split(), 'n': len(s.split())}\n");
    const s = await session(root);
    const parts = s.udf.python("textkit.shapes:parts", "struct<words:array<string>,n:int>");
    expect(await one(s, parts, "a b c")).toEqual({ words: ["a", "b", "c"], n: 3 });
  });

  it("runs the edited code on the very next job in the same session (reused workers)", async () => {
    const root = copyFixture("srclayout");
    // Which Python worker process ran each row: proves the next job ran on a worker the last one used.
    write(root, "src/textkit/who.py", "import os\n\n\ndef pid(s):\n    return str(os.getpid())\n");
    const s = await session(root);
    const normalize = s.udf.python("textkit.text:normalize", "string");
    const pid = s.udf.python("textkit.who:pid", "string");
    const workers = async () => new Set((await s.range(0, 4, 1, 2).select(pid(lit("x")).alias("p")).collect()).map((r) => r.p as string));
    expect(await one(s, normalize, " A  B ")).toBe("a b");
    const before = await workers();
    const text = join(root, "src/textkit/text.py");
    writeFileSync(text, readFileSync(text, "utf8").replace('return _SPACE.sub(" ", s.strip()).lower()', 'return "v2:" + s.strip().upper()'));
    expect(await one(s, normalize, " A  B ")).toBe("v2:A  B");
    const after = await workers();
    expect([...after].filter((p) => before.has(p)).length, `workers ${[...before]} then ${[...after]}`).toBeGreaterThan(0);
    // And back: an earlier bundle is not stuck on the worker either.
    writeFileSync(text, readFileSync(text, "utf8").replace('return "v2:" + s.strip().upper()', 'return _SPACE.sub(" ", s.strip()).lower()'));
    expect(await one(s, normalize, " A  B ")).toBe("a b");
  });

  it.skipIf(onSpark35)("includes a new untracked module, and drops a deleted one, in a git project", async () => {
    const root = copyFixture("srclayout");
    git(root, "init", "-q");
    git(root, "add", "-A");
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init");
    const s = await session(root);
    write(root, "src/textkit/fresh.py", "def hello(x):\n    return 'fresh ' + x\n");
    const hello = s.udf.python("textkit.fresh:hello", "string");
    expect(await one(s, hello, "x")).toBe("fresh x");
    rmSync(join(root, "src/textkit/fresh.py"));
    const err = await one(s, hello, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("cannot import 'textkit.fresh'");
    expect((err as Error).message).toContain(`textkit-${autoBundleOf(s)!.current!.hash12}`);
  });

  it.skipIf(onSpark35)("leaves ignored files and secrets out of the zip, and warns about each secret", async () => {
    const root = copyFixture("flatlib");
    write(root, "weblog/scratch/notes.py", "SECRET = 1\n");
    write(root, ".gitignore", "weblog/scratch/\n");
    write(root, "weblog/server.pem", "-----BEGIN PRIVATE KEY-----\n");
    const events: AutoBundleEvent[] = [];
    const s = await session(root, events);
    await one(s, s.udf.python("weblog.parse:day_of", "string"), "x");
    const entries = zipEntries(autoBundleOf(s)!.current!.zipPath);
    expect(entries).toContain("weblog/parse.py");
    expect(entries).toContain("weblog/geo/data/countries.json");
    expect(entries.filter((e) => /scratch|\.env|\.pem/.test(e))).toEqual([]);
    const warned = events.flatMap((e) => (e.type === "warning" && e.code === "secret-skipped" ? [e.path] : []));
    expect(warned.sort()).toEqual(["weblog/.env", "weblog/server.pem"]);
  });

  it("lets two sessions hold different versions of one package, each seeing its own", async () => {
    const [a, b] = [copyFixture("srclayout"), copyFixture("srclayout")];
    write(b, "src/textkit/text.py", "def normalize(s):\n    return 'B:' + s\n\n\ndef slug(s):\n    return s\n");
    const [sa, sb] = [await session(a), await session(b)];
    const [na, nb] = [sa.udf.python("textkit.text:normalize", "string"), sb.udf.python("textkit.text:normalize", "string")];
    for (let round = 0; round < 2; round++) {
      expect(await one(sa, na, " X ")).toBe("x");
      expect(await one(sb, nb, " X ")).toBe("B: X ");
    }
    expect(autoBundleOf(sa)!.current!.hash).not.toBe(autoBundleOf(sb)!.current!.hash);
  });

  it.skipIf(onSpark35)("builds a byte-identical zip from the same tree, in any directory", async () => {
    const [a, b] = [copyFixture("srclayout"), copyFixture("srclayout")];
    const [sa, sb] = [await session(a), await session(b)];
    await sa.range(1).count();
    await sb.range(1).count();
    const [za, zb] = [autoBundleOf(sa)!.current!.zipPath, autoBundleOf(sb)!.current!.zipPath];
    expect(za).not.toBe(zb); // separate caches
    expect(readFileSync(za).equals(readFileSync(zb))).toBe(true);
  });

  it("sends zero bytes and makes no upload call when nothing changed", async () => {
    const events: AutoBundleEvent[] = [];
    const s = await session(copyFixture("flatlib"), events);
    const day = s.udf.python("weblog.parse:day_of", "string");
    await one(s, day, "x");
    const engine = autoBundleOf(s)!;
    const after = { ...engine.counters };
    expect(after.uploads).toBe(1);
    expect(after.bytes).toBeGreaterThan(0);
    await one(s, day, "y");
    await s.range(3).count();
    expect(engine.counters).toEqual(after);
    // An sc:// session is not known to be embedded, so the workers' Python was found by the probe job.
    expect(events.filter((e) => e.type === "python-version")).toEqual([{ type: "python-version", version: inject("sparkPythonVersion") }]);
  });

  it.skipIf(onSpark35)("shares one build and one upload between concurrent jobs", async () => {
    const events: AutoBundleEvent[] = [];
    const s = await session(copyFixture("flatlib"), events);
    const day = s.udf.python("weblog.parse:day_of", "string");
    const line = (d: string) => `127.0.0.1 - - [${d}/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1`;
    const results = await Promise.all([one(s, day, line("10")), one(s, day, line("11")), s.range(5).count()]);
    expect(results).toEqual(["2000-10-10", "2000-10-11", 5]);
    const engine = autoBundleOf(s)!;
    expect(engine.counters.uploads).toBe(1);
    expect(engine.syncStats.syncs).toBe(1);
    expect(events.filter((e) => e.type === "build")).toHaveLength(1);
  });

  it("re-registers SQL UDFs, so SQL also runs the edited code", async () => {
    const root = copyFixture("srclayout");
    const s = await session(root);
    await s.udf.register("norm", s.udf.python("textkit.text:normalize", "string"));
    const viaSql = async () => (await (await s.sql("SELECT norm('  Q  R ') AS v")).collect())[0]!.v;
    expect(await viaSql()).toBe("q r");
    write(root, "src/textkit/text.py", "def normalize(s):\n    return 'sql-v2'\n\n\ndef slug(s):\n    return s\n");
    expect(await viaSql()).toBe("sql-v2");
  });

  it("surfaces a Python exception short, its frames on the project's files, through full zips and overlays", async () => {
    const root = copyFixture("srclayout");
    write(root, "src/textkit/pad.py", `# ${"padding, so a one-line edit ships as an overlay ".repeat(60)}\n`);
    write(root, "src/textkit/boom.py", "def explode(s):\n    return 1 / 0\n");
    const s = await session(root);
    const fail = async () => (await one(s, s.udf.python("textkit.boom:explode", "double"), "x").catch((e: unknown) => e)) as SparkConnectError;
    const err = await fail();
    expect(err).toBeInstanceOf(SparkConnectError);
    expect(err.message.split("\n")[0]).toBe("PythonException: ZeroDivisionError: division by zero");
    expect(err.message).toContain(`File "${join(root, "src/textkit/boom.py")}", line 2, in explode`);
    expect(err.message).not.toContain("userFiles-");
    expect(err.pythonTraceback).toContain("userFiles-"); // the worker's own text stays reachable
    const printed = inspect(err);
    expect(printed).not.toMatch(/Buffer|serverStackTrace|\tat org\.apache/);
    expect(printed.split("\n").length).toBeLessThanOrEqual(30);

    write(root, "src/textkit/boom.py", "def explode(s):\n    n = 0\n    return 1 / n\n");
    const again = await fail();
    expect(autoBundleOf(s)!.current!.overlay).toBeDefined(); // the worker ran it from the overlay zip
    expect(again.message).toContain(`File "${join(root, "src/textkit/boom.py")}", line 3, in explode`);
    expect(again.message).not.toContain("userFiles-");
  });

  it("names the module and the bundle hash when the function does not exist", async () => {
    const s = await session(copyFixture("srclayout"));
    const err = await one(s, s.udf.python("textkit.text:nope", "string"), "x").catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/textkit\.text/);
    expect((err as Error).message).toContain(autoBundleOf(s)!.current!.hash12);
  });

  it.skipIf(onSpark35)("refuses spark.udf.python without withAutoBundle, saying how to fix it", async () => {
    const plain = await SparkSession.builder().remote(inject("sparkRemote")).create();
    sessions.push(plain);
    expect(() => plain.udf.python("textkit.text:normalize", "string")).toThrow(/withAutoBundle/);
  });
});
