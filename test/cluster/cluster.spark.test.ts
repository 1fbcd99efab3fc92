// Integration on a real multi-process cluster (test/setup/cluster.ts): a standalone master, 2 worker
// JVMs whose executors run their own Python workers, and a Connect server on them. Each test's project
// is a temp dir it may edit; results are checked per partition, so every executor is seen to change.
import fs from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { useWheelhouse } from "../helpers/wheelhouse.js";
import { col, expr, lit, SparkConnectError, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../src/index.js";
import { RACY_WINDOW_MS } from "../../src/bundle/watch/freshness.js";
import { makeTree, tempDir } from "../bundle/helpers.js";
import { buildShoutJar, sparkJarsDir } from "../helpers/java-udf.js";
import { runCliProcess } from "../cli/helpers.js";
import { isLoopbackAddress, listeningAddressesOf } from "../helpers/sockets.js";

// Resolutions come from the shared test wheelhouse, not PyPI (test/helpers/wheelhouse.ts).
useWheelhouse();

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

const PROBE = (version: number) => `import os

VERSION = ${version}


def where(x):
    """This version, the executor's working directory (work/app-*/<executor id>), and 2x."""
    return "%d|%s|%d" % (VERSION, os.getcwd(), x * 2)
`;

/** A small realistic package: the probe plus enough other modules that a one-file edit is an overlay. */
function project(): string {
  const filler = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`clusterlib/util/m${i}.py`, `TABLE_${i} = ${JSON.stringify("x".repeat(2000))}\n`]));
  return makeTree({ "pyproject.toml": '[project]\nname = "clusterlib"\nversion = "0.1.0"\n', "clusterlib/__init__.py": "", "clusterlib/util/__init__.py": "", "clusterlib/probe.py": PROBE(1), "clusterlib/extra.py": "def hello():\n    return 'extra'\n", ...filler });
}

async function session(root: string, events: AutoBundleEvent[] = []) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-"), onEvent: (e) => events.push(e) });
  sessions.push(s);
  return s;
}

interface Probe {
  versions: Set<number>;
  executors: Set<string>;
  /** partition → versions seen in it */
  byPartition: Map<number, Set<number>>;
  wrong: number;
  rows: number;
}

async function probe(s: SparkSession): Promise<Probe> {
  const where = s.udf.python("clusterlib.probe:where", "string");
  const rows = await s.range(0, 100_000, 1, 16).select(col("id"), expr("spark_partition_id()").alias("p"), where(col("id")).alias("w")).collect();
  const out: Probe = { versions: new Set(), executors: new Set(), byPartition: new Map(), wrong: 0, rows: rows.length };
  for (const row of rows) {
    const [version, cwd, doubled] = String(row.w).split("|");
    const v = Number(version);
    out.versions.add(v);
    // Executors run in <worker work dir>/app-<id>/<executor id>, Python workers in a per-session dir below.
    out.executors.add(/\/worker-\d+\/app-[^/]+\/\d+(?=\/|$)/.exec(cwd ?? "")?.[0] ?? `unexpected: ${cwd}`);
    if (BigInt(doubled ?? "-1") !== BigInt(row.id as number | bigint) * 2n) out.wrong++;
    const p = Number(row.p);
    if (!out.byPartition.has(p)) out.byPartition.set(p, new Set());
    out.byPartition.get(p)!.add(v);
  }
  return out;
}

describe("a UDF by reference on a real standalone cluster", () => {
  it("returns the right value for every one of 100,000 rows, computed on both executors", async () => {
    const result = await probe(await session(project()));
    expect(result.rows).toBe(100_000);
    expect(result.wrong).toBe(0);
    expect(result.versions).toEqual(new Set([1]));
    expect([...result.executors].filter((e) => e.startsWith("unexpected"))).toEqual([]);
    expect(result.executors.size).toBe(2);
    expect(result.byPartition.size).toBe(16);
  });

  it("runs the edited code on every executor in the next job of the same session", async () => {
    const root = project();
    const s = await session(root);
    expect((await probe(s)).versions).toEqual(new Set([1]));
    fs.writeFileSync(join(root, "clusterlib/probe.py"), PROBE(2));
    const after = await probe(s);
    expect(after.executors.size).toBe(2);
    expect([...after.executors].filter((e) => e.startsWith("unexpected"))).toEqual([]);
    expect([...after.byPartition.entries()].filter(([, versions]) => versions.size !== 1 || !versions.has(2))).toEqual([]);
    expect(after.byPartition.size).toBe(16);
    expect(after.wrong).toBe(0);
  });

  it("ships a small edit as an overlay and a deletion, both seen by every executor", async () => {
    const root = project();
    const events: AutoBundleEvent[] = [];
    const s = await session(root, events);
    await probe(s);
    const hello = s.udf.python("clusterlib.extra:hello", "string");
    const greetings = await s.range(0, 16, 1, 16).select(hello().alias("h")).collect();
    expect(new Set(greetings.map((r) => r.h))).toEqual(new Set(["extra"]));
    fs.writeFileSync(join(root, "clusterlib/probe.py"), PROBE(3));
    fs.rmSync(join(root, "clusterlib/extra.py"));
    const after = await probe(s);
    const overlay = events.filter((e) => e.type === "overlay").at(-1);
    expect(overlay).toMatchObject({ type: "overlay", changed: 1, deleted: 1 });
    expect([...after.byPartition.values()].every((v) => v.size === 1 && v.has(3))).toBe(true);
    expect(after.executors.size).toBe(2);

    // The deleted module is gone on the executors too, even on Python workers that imported it before.
    const error = await s.range(0, 16, 1, 16).select(hello().alias("h")).collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SparkConnectError);
    expect((error as Error).message).toContain("clusterlib.extra");
  });
});

describe("a rebuilt jar on a real standalone cluster", () => {
  it("runs the new classes on every executor in the next job of the same session", async () => {
    const root = project();
    const sparkJars = sparkJarsDir(inject("sparkPython"));
    buildShoutJar(root, sparkJars, "!v1");
    const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-"), jars: ["target/*.jar"] });
    sessions.push(s);
    const shout = await s.udf.java("shout", "acme.Shout", "string");
    const where = s.udf.python("clusterlib.probe:where", "string");
    // One task computes both columns: the Python probe says which executor ran the partition.
    const perPartition = async () => {
      const rows = await s.range(0, 1_000, 1, 16).select(expr("spark_partition_id()").alias("p"), where(col("id")).alias("w"), shout(lit("hey")).alias("v")).collect();
      const executors = new Set(rows.map((r) => /\/worker-\d+\/app-[^/]+\/\d+(?=\/|$)/.exec(String(r.w))?.[0]));
      const byPartition = new Map(rows.map((r) => [Number(r.p), new Set<string>()]));
      for (const r of rows) byPartition.get(Number(r.p))!.add(String(r.v));
      return { executors, byPartition };
    };
    const before = await perPartition();
    expect([...before.byPartition.values()].every((v) => v.size === 1 && v.has("HEY!v1"))).toBe(true);

    buildShoutJar(root, sparkJars, "!v2");
    const after = await perPartition();
    // Before the fix every executor kept serving the first jar's class.
    expect([...after.byPartition.entries()].filter(([, v]) => v.size !== 1 || !v.has("HEY!v2"))).toEqual([]);
    expect(after.byPartition.size).toBe(16);
    expect(after.executors.size).toBe(2);
    expect(after.executors.has(undefined)).toBe(false);
  });
});

describe("third-party dependencies on a real standalone cluster", () => {
  const DEPS_PROBE = `import os
import humanize
import markupsafe
import markupsafe._speedups



def deps(x):
    """The executor's working directory, humanize's version, and where markupsafe's C extension came from."""
    return "%s|%s|%s|%s" % (os.getcwd(), humanize.__version__, markupsafe.escape("<%d>" % x), markupsafe._speedups.__file__)
`;

  async function depsProbe(s: SparkSession) {
    const fn = s.udf.python("clusterlib.depsprobe:deps", "string");
    const rows = await s.range(0, 1_000, 1, 16).select(col("id"), expr("spark_partition_id()").alias("p"), fn(col("id")).alias("d")).collect();
    const executors = new Set<string>();
    const byPartition = new Map<number, Set<string>>();
    let wrong = 0;
    for (const row of rows) {
      const [cwd, version, escaped, speedups] = String(row.d).split("|");
      executors.add(/\/worker-\d+\/app-[^/]+\/\d+(?=\/|$)/.exec(cwd ?? "")?.[0] ?? `unexpected: ${cwd}`);
      if (escaped !== `&lt;${row.id}&gt;` || !/\/sab-native-[0-9a-f]{12}\/markupsafe\/_speedups\.[^/]*\.so$/.test(speedups ?? "")) wrong++;
      const p = Number(row.p);
      if (!byPartition.has(p)) byPartition.set(p, new Set());
      byPartition.get(p)!.add(version!);
    }
    return { executors, byPartition, wrong, rows: rows.length };
  }

  it("a pure and a native package reach every executor; a version change reaches every one in the same session", async () => {
    const root = project();
    fs.writeFileSync(join(root, "clusterlib/depsprobe.py"), DEPS_PROBE);
    fs.writeFileSync(join(root, "requirements.txt"), "humanize==4.12.3\nmarkupsafe==3.0.2\n");
    const s = await session(root);
    const before = await depsProbe(s);
    expect(before.rows).toBe(1_000);
    expect(before.wrong).toBe(0);
    expect([...before.executors].filter((e) => e.startsWith("unexpected"))).toEqual([]);
    expect(before.executors.size).toBe(2);
    expect([...before.byPartition.values()].every((v) => v.size === 1 && v.has("4.12.3"))).toBe(true);

    // Past the freshness check's racy window, so the edit is judged like any later one.
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    fs.writeFileSync(join(root, "requirements.txt"), "humanize==4.11.0\nmarkupsafe==3.0.2\n");
    const after = await depsProbe(s);
    expect(after.wrong).toBe(0);
    expect(after.executors.size).toBe(2);
    expect(after.byPartition.size).toBe(16);
    expect([...after.byPartition.entries()].filter(([, v]) => v.size !== 1 || !v.has("4.11.0"))).toEqual([]);
  });
});

describe("the cluster's processes", () => {
  it("are all alive while the suite runs, each a JVM of its own", () => {
    const pids = inject("clusterPids");
    expect(pids).toHaveLength(4); // Connect server, master, 2 workers
    for (const pid of pids) expect(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("java");
  });

  it.runIf(process.platform === "linux")("listen on loopback only: master, workers, executors, Python workers and the Connect server", async () => {
    // A job first, so executor JVMs and their Python workers exist and are counted too.
    const s = await session(project());
    await s.range(0, 100, 1, 4).select(s.udf.python("clusterlib.probe:where", "string")(col("id"))).collect();
    const addresses = listeningAddressesOf(inject("clusterPids"));
    const port = new URL(inject("sparkRemote").replace(/^sc:/, "http:")).port;
    expect(addresses.some((a) => a.endsWith(`:${port}`))).toBe(true);
    // Master RPC + UI, each worker's RPC + UI, executors' block managers, the driver's services.
    expect(addresses.length).toBeGreaterThanOrEqual(8);
    for (const address of addresses) expect(isLoopbackAddress(address), `listening on ${address}`).toBe(true);
  });

  it("are what `server status --cluster` reports, and `server start --cluster 2` reuses them", async () => {
    const status = await runCliProcess(["server", "status", "--cluster", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ ok: true, state: "running", cluster: { workers: 2, pids: inject("clusterPids") } });
    const start = await runCliProcess(["server", "start", "--cluster", "2", "--json"]);
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ ok: true, cluster: { reused: true, pids: inject("clusterPids"), url: inject("sparkRemote") } });
  });
});
