// Streaming upload against a real Spark Connect server: a multi-chunk zip streamed from disk
// arrives intact and importable, and the server really checks each chunk's CRC; spark.addArtifacts
// (file, pyfile, archive) reaches the workers, and is sent again on a new server-side session.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { hashFiles } from "../../../src/bundle/archive/hash.js";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { selectFiles } from "../../../src/bundle/select/select.js";
import { writeDeterministicZip } from "../../../src/bundle/archive/zip.js";
import { addArtifacts, artifactRequests } from "../../../src/connect/rpc/artifacts.js";
import { lit, SparkSession, withAutoBundle } from "../../../src/index.js";
import { makeTree, python, tempDir } from "../../bundle/helpers.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function session(root?: string) {
  const s = await SparkSession.builder().remote(inject("sparkRemote")).create();
  sessions.push(s);
  return root ? withAutoBundle(s, { root, cacheDir: tempDir("sab-cache-") }) : s;
}

describe("streamed AddArtifacts on a real server", () => {
  it("a 2.5 MB zip sent from disk in 1 MiB chunks is accepted and importable by the Python workers", async () => {
    const blob = randomBytes(2_500_000);
    const lib = makeTree({
      "streamdata/__init__.py": "import hashlib, importlib.resources\n\ndef digest():\n    return hashlib.sha256(importlib.resources.files('streamdata').joinpath('blob.bin').read_bytes()).hexdigest()\n",
      "streamdata/blob.bin": blob,
    });
    const zipPath = join(tempDir(), "streamdata.zip");
    await writeDeterministicZip(zipPath, (await hashFiles(await selectFiles(lib, detectLayout(lib), { useGit: false }))).files);
    const project = makeTree({ "caller.py": "def run(x):\n    import streamdata\n    return streamdata.digest()\n" });

    const s = await session(project);
    const progress: number[] = [];
    await addArtifacts(s.client, [{ name: `pyfiles/streamdata-${randomUUID()}.zip`, path: zipPath }], { chunkBytes: 1024 * 1024, onProgress: (sent) => progress.push(sent) });
    expect(progress.length).toBeGreaterThanOrEqual(3);

    const [row] = await s.range(1).select(s.udf.python("caller:run", "string")(lit(0)).alias("v")).collect();
    expect(row!.v).toBe(createHash("sha256").update(blob).digest("hex"));
  });

  it("a chunk whose CRC does not match is reported by the server as failed", async () => {
    const s = await session();
    const path = join(tempDir(), "crc.zip");
    writeFileSync(path, randomBytes(100_000));
    const requests = [...artifactRequests([{ name: `pyfiles/crc-${randomUUID()}.zip`, path }], 32 * 1024)];
    expect(requests.map((r) => r.payload?.case)).toEqual(["beginChunk", "chunk", "chunk", "chunk"]);
    const second = requests[2]!.payload!.value as { crc: bigint };
    second.crc = (second.crc + 1n) % 2n ** 32n;
    const response = await s.client.addArtifacts(requests);
    expect(response.artifacts.map((a) => a.isCrcSuccessful)).toEqual([false]);
  });

  it("spark.addArtifacts: a file, a .py and a zip pyfile, an archive reach the UDFs; the same again sends nothing, a changed one is refused; re-sent on a new server-side session", async () => {
    const dir = tempDir("sab-add-");
    writeFileSync(join(dir, "greeting.txt"), "hello from a file\n");
    writeFileSync(join(dir, "helper_mod.py"), "def shout(s):\n    return s.upper() + '!'\n");
    mkdirSync(join(dir, "zipsrc/zipped_pkg"), { recursive: true });
    writeFileSync(join(dir, "zipsrc/zipped_pkg/__init__.py"), "VALUE = 'from a zip pyfile'\n");
    mkdirSync(join(dir, "arch"));
    writeFileSync(join(dir, "arch/inner.txt"), "unpacked\n");
    python(
      "import sys, zipfile, os\n" +
        "d = sys.argv[1]\n" +
        "with zipfile.ZipFile(os.path.join(d, 'zipped.zip'), 'w') as z: z.write(os.path.join(d, 'zipsrc/zipped_pkg/__init__.py'), 'zipped_pkg/__init__.py')\n" +
        "with zipfile.ZipFile(os.path.join(d, 'data.zip'), 'w') as z: z.write(os.path.join(d, 'arch/inner.txt'), 'inner.txt')\n",
      [dir],
    );
    const project = makeTree({
      "reader.py":
        "def read(x):\n" +
        "    import os\n" +
        "    from pyspark import SparkFiles\n" +
        "    import helper_mod, zipped_pkg\n" +
        "    text = open(SparkFiles.get('greeting.txt')).read().strip()\n" +
        "    inner = open(os.path.join(SparkFiles.getRootDirectory(), 'mydata', 'inner.txt')).read().strip()\n" +
        "    return '|'.join([helper_mod.shout(text), zipped_pkg.VALUE, inner])\n",
    });
    const s = await session(project);
    await s.addArtifacts(join(dir, "greeting.txt"), { file: true });
    await s.addArtifact(join(dir, "helper_mod.py"), join(dir, "zipped.zip"), { pyfile: true });
    await s.addArtifacts(`${join(dir, "data.zip")}#mydata`, { archive: true });
    const read = async () => (await s.range(1).select(s.udf.python("reader:read", "string")(lit(0)).alias("v")).collect())[0]!.v;
    const expected = "HELLO FROM A FILE!|from a zip pyfile|unpacked";
    expect(await read()).toBe(expected);

    const { sessionArtifacts } = await import("../../../src/connect/artifacts-api.js");
    const counters = sessionArtifacts(s).uploadCounters;
    const before = { ...counters };
    await s.addArtifacts(join(dir, "greeting.txt"), { file: true });
    expect(counters).toEqual(before); // held: no stream, no bytes

    const changed = join(tempDir(), "greeting.txt");
    writeFileSync(changed, "other bytes\n");
    await expect(s.addArtifacts(changed, { file: true })).rejects.toMatchObject({ errorClass: "ARTIFACT_ALREADY_EXISTS", message: expect.stringContaining(join(dir, "greeting.txt")) });
    await expect(s.addArtifacts(join(dir, "nope.txt"), { file: true })).rejects.toMatchObject({ errorClass: "ARTIFACT_UNREADABLE", message: expect.stringContaining(join(dir, "nope.txt")) });
    // The embedded server's default file system is its disk, which Spark refuses unless started allowing it.
    await expect(s.copyFromLocalToFs(join(dir, "greeting.txt"), join(tempDir(), "copied.txt"))).rejects.toMatchObject({
      errorClass: "COPY_TO_LOCAL_FS_DISABLED",
      fix: expect.stringContaining("spark.connect.copyFromLocalToFs.allowDestLocal"),
    });

    // A new server-side session (what a restart gives) holds nothing: the hook sends them again.
    s.client.moveToNewSession();
    expect(await read()).toBe(expected);
    expect(counters.uploads).toBeGreaterThan(before.uploads);
  });
});
