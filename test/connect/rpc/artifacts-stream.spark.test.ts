// Streaming upload against a real Spark Connect server: a multi-chunk zip streamed from disk
// arrives intact and importable, and the server really checks each chunk's CRC.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { hashFiles } from "../../../src/bundle/archive/hash.js";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { selectFiles } from "../../../src/bundle/select/select.js";
import { writeDeterministicZip } from "../../../src/bundle/archive/zip.js";
import { addArtifacts, artifactRequests } from "../../../src/connect/rpc/artifacts.js";
import { lit, SparkSession, withAutoBundle } from "../../../src/index.js";
import { makeTree, tempDir } from "../../bundle/helpers.js";

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
});
