// Overlay bundles on a real Spark Connect server: after the first (full) upload, small edits ship
// only an overlay, and the worker runs exactly the edited tree. Asserted on the engine's upload
// counters and events, never on time.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { afterEach, describe, expect, inject, it } from "vitest";
import { onSpark35 } from "../helpers/spark-line.js";
import { autoBundleOf, lit, SparkConnectError, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../src/index.js";
import { pyfileArtifact } from "../../src/bundle/overlay.js";
import { heldMarker } from "../../src/bundle/upload.js";
import { copyFixture, tempDir } from "./helpers.js";
import { plausibleModule } from "./overlay-fixtures.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function session(root: string, events: AutoBundleEvent[]) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-"), onEvent: (e) => events.push(e) });
  sessions.push(s);
  return s;
}

const one = async (s: SparkSession, f: ReturnType<SparkSession["udf"]["python"]>, ...args: unknown[]) => {
  const [row] = await s.range(1).select(f(...args.map((a) => lit(a))).alias("v")).collect();
  return row!.v;
};

const failure = (s: SparkSession, f: ReturnType<SparkSession["udf"]["python"]>, ...args: unknown[]) =>
  one(s, f, ...args).then(
    (value) => `no error: ${String(value)}`,
    (err: unknown) => (expect(err).toBeInstanceOf(SparkConnectError), (err as Error).message),
  );

function write(root: string, rel: string, text: string) {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

const PKG = "src/textkit";
const gen = (i: number) => `${PKG}/gen/mod${String(i).padStart(3, "0")}.py`;
const tagged = (i: number, tag: string) => `${plausibleModule(i)}\n\ndef tag(x):\n    return "${tag}:" + x\n`;

/** The srclayout fixture grown to ~100 KiB of modules, plus a subpackage, a data file and its reader. */
function project(): string {
  const root = copyFixture("srclayout");
  write(root, `${PKG}/gen/__init__.py`, "");
  for (let i = 0; i < 60; i++) write(root, gen(i), tagged(i, `gen${i}-v1`));
  write(root, `${PKG}/extra.py`, "def hello(x):\n    return 'extra ' + x\n");
  write(root, `${PKG}/sub/__init__.py`, "");
  write(root, `${PKG}/sub/deep.py`, "def f(x):\n    return 'deep ' + x\n");
  write(root, `${PKG}/data/words.txt`, "alpha");
  write(root, `${PKG}/res.py`, "from importlib import resources\n\ndef words(x):\n    return resources.files('textkit').joinpath('data/words.txt').read_text(encoding='utf-8') + x\n");
  return root;
}

function uploads(events: AutoBundleEvent[]) {
  return events.flatMap((e) => (e.type === "upload" ? [{ names: e.names, bytes: e.bytes }] : []));
}

describe("overlay bundles on a real server", () => {
  it("ships a one-file edit as an overlay of about that file's size; deletions and the way back work", async () => {
    const root = project();
    const events: AutoBundleEvent[] = [];
    const s = await session(root, events);
    const engine = autoBundleOf(s)!;
    const udf = (ref: string) => s.udf.python(ref, "string");
    const [normalize, tag7, extra, deep, words] = ["textkit.text:normalize", "textkit.gen.mod007:tag", "textkit.extra:hello", "textkit.sub.deep:f", "textkit.res:words"].map(udf);

    expect(await one(s, tag7!, "x")).toBe("gen7-v1:x");
    const base = engine.current!;
    expect(base.overlay).toBeUndefined();
    const baseName = pyfileArtifact("textkit", base.hash12);
    expect(uploads(events)).toEqual([{ names: [baseName], bytes: base.bytes + heldMarker(baseName).data.byteLength }]);
    expect([await one(s, extra!, "x"), await one(s, deep!, "x"), await one(s, words!, "!")]).toEqual(["extra x", "deep x", "alpha!"]);

    // One file edited: only an overlay goes up, at most twice that file's deflated size.
    const edited = tagged(7, "gen7-v2");
    write(root, gen(7), edited);
    const before = { ...engine.counters };
    expect(await one(s, tag7!, "x")).toBe("gen7-v2:x");
    const v2 = engine.current!;
    expect(v2.overlay).toEqual({ baseHash: base.hash, baseArtifact: pyfileArtifact("textkit", base.hash12), changed: ["textkit/gen/mod007.py"], deleted: [] });
    expect(uploads(events).at(-1)!.names).toEqual([v2.artifact]);
    expect(engine.counters.uploads - before.uploads).toBe(1);
    expect(engine.counters.bytes - before.bytes).toBeLessThanOrEqual(2 * deflateRawSync(Buffer.from(edited), { level: 6 }).length);
    expect(events.filter((e) => e.type === "overlay").at(-1)).toEqual({ type: "overlay", hash: v2.hash, base: base.hash, artifact: v2.artifact, changed: 1, deleted: 0 });
    expect(await one(s, normalize!, " A  B ")).toBe("a b"); // unchanged modules come from the base

    // A deleted module, then a deleted package: the loader's error, naming the version.
    rmSync(join(root, PKG, "extra.py"));
    let message = await failure(s, extra!, "x");
    expect(message).toContain("spark-autobundle: cannot import 'textkit.extra' for UDF 'textkit.extra:hello'");
    expect(message).toContain(`(bundle textkit-${engine.current!.hash12}): No module named 'textkit.extra'`);
    rmSync(join(root, PKG, "sub"), { recursive: true });
    message = await failure(s, deep!, "x");
    expect(message).toContain("No module named 'textkit.sub'");
    expect(engine.current!.overlay?.deleted).toEqual(["textkit/extra.py", "textkit/sub/__init__.py", "textkit/sub/deep.py"]);

    // A data file read through importlib.resources: edited, then deleted.
    write(root, `${PKG}/data/words.txt`, "beta");
    expect(await one(s, words!, "!")).toBe("beta!");
    rmSync(join(root, PKG, "data/words.txt"));
    expect(await failure(s, words!, "!")).toContain("FileNotFoundError");

    // Everything back as it was: the session already holds that version, so nothing is sent.
    write(root, gen(7), tagged(7, "gen7-v1"));
    write(root, `${PKG}/extra.py`, "def hello(x):\n    return 'extra ' + x\n");
    write(root, `${PKG}/sub/__init__.py`, "");
    write(root, `${PKG}/sub/deep.py`, "def f(x):\n    return 'deep ' + x\n");
    write(root, `${PKG}/data/words.txt`, "alpha");
    const back = { ...engine.counters };
    expect([await one(s, tag7!, "x"), await one(s, extra!, "x"), await one(s, deep!, "x"), await one(s, words!, "!")]).toEqual(["gen7-v1:x", "extra x", "deep x", "alpha!"]);
    expect(engine.current!.hash).toBe(base.hash);
    expect(engine.counters).toEqual(back);
    // And forward again to an overlay the session already holds: also free.
    write(root, gen(7), edited);
    rmSync(join(root, PKG, "extra.py"));
    rmSync(join(root, PKG, "sub"), { recursive: true });
    rmSync(join(root, PKG, "data/words.txt"));
    expect(await one(s, tag7!, "y")).toBe("gen7-v2:y");
    expect(await failure(s, extra!, "x")).toContain("No module named 'textkit.extra'");
    expect(engine.counters).toEqual(back);
  });

  it.skipIf(onSpark35)("keeps giving the edited results over many edits, starting a new base when the change grows big", async () => {
    const root = project();
    const events: AutoBundleEvent[] = [];
    const s = await session(root, events);
    const engine = autoBundleOf(s)!;
    const tags = Array.from({ length: 60 }, (_, i) => s.udf.python(`textkit.gen.mod${String(i).padStart(3, "0")}:tag`, "string"));
    await s.udf.register("tag3", tags[3]!);
    const viaSql = async () => (await (await s.sql("SELECT tag3('q') AS v")).collect())[0]!.v;
    expect(await viaSql()).toBe("gen3-v1:q");
    const firstBase = engine.current!.hash;

    // One module after another, each checked on the worker (and through SQL), plus one rewrite of 30.
    const expected = Array.from({ length: 60 }, (_, i) => `gen${i}-v1`);
    const steps: Array<number[]> = [[3], [11], [3], [25], [40], Array.from({ length: 30 }, (_, i) => i + 20), [41], [3], [12]];
    const big = 5;
    for (const [n, touched] of steps.entries()) {
      for (const i of touched) {
        expected[i] = `gen${i}-e${n}`;
        write(root, gen(i), tagged(i, expected[i]!));
      }
      const checked = [...new Set([...touched, 3, 11, 12, 40])];
      const [row] = await s.range(1).select(...checked.map((i) => tags[i]!(lit("x")).alias(`m${i}`))).collect();
      expect(checked.map((i) => row![`m${i}`])).toEqual(checked.map((i) => `${expected[i]}:x`));
      expect(await viaSql()).toBe(`${expected[3]}:q`);
    }
    // Every version went up once: full first, overlays on it until the rewrite made a new full base,
    // then overlays on that one.
    expect(uploads(events)).toHaveLength(steps.length + 1);
    const newBase = engine.current!.overlay!.baseHash;
    expect(newBase).not.toBe(firstBase);
    expect(uploads(events)[big + 1]!.names).toEqual([pyfileArtifact("textkit", newBase.slice(0, 12))]);
    // One entry per version (a job may sync a version more than once; each sync reports it).
    const overlayBases = [...new Map(events.flatMap((e) => (e.type === "overlay" ? [[e.hash, e.base] as const] : []))).values()];
    expect(new Set(overlayBases.slice(0, big))).toEqual(new Set([firstBase]));
    expect(new Set(overlayBases.slice(big))).toEqual(new Set([newBase]));
    expect(overlayBases).toHaveLength(steps.length - 1);
  });
});
