// The dependency cache on disk, with real pip against PyPI (no Spark server needed): wheels stored
// by content hash, a lost or damaged deps zip rebuilt from them without pip, and pruning.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEPS_MAX_IDLE_MS, pruneDeps, resolveDeps, type DepsTarget } from "../../../src/bundle/deps/resolve.js";
import { wheelsDir } from "../../../src/bundle/deps/wheels.js";
import { detectPython } from "../../../src/server/provision/requirements.js";
import { tempDir } from "../helpers.js";

const REQS = ["humanize==4.12.3"];
let python: string;
let target: DepsTarget;
beforeAll(async () => {
  const py = await detectPython();
  python = py.executable;
  target = { pythonVersion: `${py.version.major}.${py.version.minor}`, platforms: ["manylinux2014_x86_64"], serverHas: ["pyspark", "py4j"] };
});

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const noIndex = () => {
  // Any pip run now fails: proves a result came from the cache alone.
  process.env.PIP_NO_INDEX = "1";
  process.env.PIP_FIND_LINKS = "/nonexistent";
};
const indexOn = () => {
  delete process.env.PIP_NO_INDEX;
  delete process.env.PIP_FIND_LINKS;
};
afterEach(indexOn);

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(path, bytes);
}

describe("dependency cache", () => {
  it("stores each shipped wheel under its sha256 and names the zip by its own hash", async () => {
    const cache = tempDir("sab-depcache-");
    const res = await resolveDeps(python, REQS, target, cache);
    expect(res.resolvedNow).toBe(true);
    const [pkg] = res.packages;
    expect(pkg).toMatchObject({ name: "humanize", version: "4.12.3", shipped: true });
    const stored = join(wheelsDir(join(cache, "deps")), `${pkg!.sha256}.whl`);
    expect(sha256(stored)).toBe(pkg!.sha256);
    expect(sha256(res.zipPath!).slice(0, 12)).toBe(basename(res.zipPath!).slice("sab-deps-".length, -4));
    expect(readdirSync(join(cache, "deps")).filter((n) => n.startsWith("tmp-"))).toEqual([]);
  });

  it("a bit-flipped or truncated deps zip is rebuilt from stored wheels, byte for byte, with no pip run", async () => {
    const cache = tempDir("sab-depcache-");
    const first = await resolveDeps(python, REQS, target, cache);
    const original = sha256(first.zipPath!);
    noIndex();
    flipByte(first.zipPath!, 100);
    const again = await resolveDeps(python, REQS, target, cache);
    expect(again).toMatchObject({ resolvedNow: false, repacked: true, artifact: first.artifact, zipPath: first.zipPath });
    expect(sha256(again.zipPath!)).toBe(original);

    truncateSync(first.zipPath!, 10);
    expect(await resolveDeps(python, REQS, target, cache)).toMatchObject({ repacked: true, artifact: first.artifact });
    expect(sha256(first.zipPath!)).toBe(original);

    // Intact now: read from the record, nothing rebuilt.
    expect((await resolveDeps(python, REQS, target, cache)).repacked).toBeUndefined();
  });

  it("a damaged stored wheel too: resolved again with pip, and the store mended", async () => {
    const cache = tempDir("sab-depcache-");
    const first = await resolveDeps(python, REQS, target, cache);
    const wheel = join(wheelsDir(join(cache, "deps")), `${first.packages[0]!.sha256}.whl`);
    flipByte(wheel, 200);
    truncateSync(first.zipPath!, 0);
    noIndex();
    // Without an index pip must fail: the cache alone can't rebuild it.
    await expect(resolveDeps(python, REQS, target, cache)).rejects.toThrow(/pip could not resolve the dependencies \[humanize==4\.12\.3\]/);
    indexOn();
    const again = await resolveDeps(python, REQS, target, cache);
    expect(again).toMatchObject({ resolvedNow: true, artifact: first.artifact });
    expect(sha256(wheel)).toBe(first.packages[0]!.sha256);
  });

  it("a damaged resolution record is resolved again, never a crash", async () => {
    const cache = tempDir("sab-depcache-");
    await resolveDeps(python, REQS, target, cache);
    const record = readdirSync(join(cache, "deps")).find((n) => n.startsWith("res-"))!;
    writeFileSync(join(cache, "deps", record), '{"packages": [tru');
    expect((await resolveDeps(python, REQS, target, cache)).resolvedNow).toBe(true);
  });

  it("a Python without pip: an error naming it and the fix, and nothing left in the cache", async () => {
    const venv = tempDir("sab-nopip-");
    execFileSync(python, ["-m", "venv", "--without-pip", venv]);
    const cache = tempDir("sab-depcache-");
    await expect(resolveDeps(join(venv, "bin", "python"), REQS, target, cache)).rejects.toThrow(
      /Cannot resolve the dependencies: .*sab-nopip-.*\/bin\/python has no pip\. Fix: install it \(`.* -m ensurepip`\), or point SPARK_AUTOBUNDLE_PYTHON at a Python 3\.10\+ that has pip/,
    );
    expect(readdirSync(join(cache, "deps"))).toEqual([]);
  });

  it("pruning drops a resolution idle for 30 days with its zip and wheels; a live one keeps what it needs", async () => {
    const cache = tempDir("sab-depcache-");
    const dir = join(cache, "deps");
    const old = await resolveDeps(python, REQS, target, cache);
    const live = await resolveDeps(python, ["toolz==1.0.0"], target, cache);
    const now = Date.now();
    const aged = new Date(now - DEPS_MAX_IDLE_MS - 60_000);
    for (const path of [old.zipPath!, join(wheelsDir(dir), `${old.packages[0]!.sha256}.whl`), ...recordsFor(dir, "humanize")]) utimesSync(path, aged, aged);
    pruneDeps(dir, now);
    expect(existsSync(old.zipPath!)).toBe(false);
    expect(existsSync(join(wheelsDir(dir), `${old.packages[0]!.sha256}.whl`))).toBe(false);
    expect(recordsFor(dir, "humanize")).toEqual([]);
    expect(existsSync(live.zipPath!)).toBe(true);
    expect(existsSync(join(wheelsDir(dir), `${live.packages[0]!.sha256}.whl`))).toBe(true);
    expect(recordsFor(dir, "toolz")).toHaveLength(1);
  });
});

function recordsFor(dir: string, pkg: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.startsWith("res-") && readFileSync(join(dir, n), "utf8").includes(pkg))
    .map((n) => join(dir, n));
}
