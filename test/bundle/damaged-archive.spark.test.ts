// A cached archive damaged after this process verified it (same size, same mtime, one byte flipped) must
// never run as code: Python's zipimport checks no CRCs, so before the fix the next session's UDF ran the
// flipped bytes ("v9" instead of "v1"). Now the upload hashes what it streams against the archive's name,
// aborts before the stream completes (so the server commits nothing), and the engine rebuilds it.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { autoBundleOf, lit, SparkSession, withAutoBundle } from "../../src/index.js";
import { sha256Hex } from "../../src/bundle/archive/hash.js";
import { makeTree, tempDir } from "./helpers.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function session(root: string, cacheDir: string) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir, dependencies: false });
  sessions.push(s);
  return s;
}

const runTag = async (s: SparkSession) => {
  const tag = s.udf.python("tagged.mod:tag", "string");
  return (await s.range(1).select(tag(lit(0)).alias("v")).collect())[0]!.v;
};

describe("a cached archive damaged after it was verified", () => {
  it("is never uploaded: the next session in the same process rebuilds it and runs the real code", async () => {
    // Small enough that the writer stores it rather than deflating: the marker's bytes sit in the zip as is.
    const root = makeTree({ "pyproject.toml": '[project]\nname = "tagged"\n', "tagged/__init__.py": "", "tagged/mod.py": "def tag(n):\n    return 'v1:%d' % n\n" });
    const cacheDir = tempDir("sab-cache-");
    expect(await runTag(await session(root, cacheDir))).toBe("v1:0");

    const [zipName] = readdirSync(cacheDir).filter((n) => n.endsWith(".zip"));
    const zipPath = join(cacheDir, zipName!);
    const before = statSync(zipPath, { bigint: true });
    const bytes = readFileSync(zipPath);
    const at = bytes.indexOf("'v1:%d'");
    expect(at).toBeGreaterThan(0);
    bytes[at + 2] = "9".charCodeAt(0);
    writeFileSync(zipPath, bytes); // in place: same inode
    // The mtime back to the nanosecond (a Date would round it), so size, mtime and inode all still match.
    const ns = before.mtimeNs;
    execFileSync("touch", ["-m", "-d", `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`, zipPath]);
    const after = statSync(zipPath, { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);

    const next = await session(root, cacheDir);
    expect(await runTag(next)).toBe("v1:0");
    // The damaged file was replaced by a whole archive of the same name. Two streams were opened: the first
    // was aborted before it completed (so the server committed nothing: a committed artifact of that name with
    // other bytes would have made the second fail with ARTIFACT_ALREADY_EXISTS), the second carried the rebuild.
    expect(sha256Hex(readFileSync(zipPath))).toBe(/-([0-9a-f]{64})\.zip$/.exec(zipName!)![1]);
    expect(autoBundleOf(next)!.counters).toMatchObject({ uploads: 2, artifacts: 1 });
  });
});
