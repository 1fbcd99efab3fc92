import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACT_CHUNK_BYTES, artifactRequests, UPLOAD_CHUNK_BYTES } from "../../../src/connect/rpc/artifacts.js";
import { SparkConnectError } from "../../../src/connect/errors.js";
import { tempDir } from "../../bundle/helpers.js";

/** A value as plain data: Buffer vs Uint8Array and object identity do not matter, bytes do. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const flatten = (r: { payload?: unknown }) => plain(r.payload);

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("artifactRequests", () => {
  it("batches small artifacts up to one chunk's worth", () => {
    const reqs = [...artifactRequests([{ name: "a", data: bytes(10) }, { name: "b", data: bytes(10) }, { name: "c", data: bytes(20) }], 32)];
    expect(reqs.map((r) => r.payload?.case)).toEqual(["batch", "batch"]);
    const first = reqs[0]!.payload!.value as { artifacts: Array<{ name: string }> };
    expect(first.artifacts.map((a) => a.name)).toEqual(["a", "b"]);
  });

  it("chunks a large artifact: begin + chunks covering every byte exactly once", () => {
    const data = bytes(100);
    const reqs = [...artifactRequests([{ name: "small", data: bytes(5) }, { name: "big", data }], 32)];
    expect(reqs.map((r) => r.payload?.case)).toEqual(["batch", "beginChunk", "chunk", "chunk", "chunk"]);
    const begin = reqs[1]!.payload!.value as { totalBytes: bigint; numChunks: bigint; initialChunk: { data: Uint8Array } };
    expect(begin.totalBytes).toBe(100n);
    expect(begin.numChunks).toBe(4n);
    const parts = [begin.initialChunk.data, ...reqs.slice(2).map((r) => (r.payload!.value as { data: Uint8Array }).data)];
    expect(Buffer.concat(parts)).toEqual(Buffer.from(data));
  });

  it("stamps each chunk with the same CRC32 Python's zlib computes", () => {
    const data = bytes(70_000, 7);
    const reqs = [...artifactRequests([{ name: "big", data }], ARTIFACT_CHUNK_BYTES)];
    const chunks = [(reqs[0]!.payload!.value as { initialChunk: { data: Uint8Array; crc: bigint } }).initialChunk, ...reqs.slice(1).map((r) => r.payload!.value as { data: Uint8Array; crc: bigint })];
    const script = "import sys,zlib\nfor line in sys.stdin: print(zlib.crc32(bytes.fromhex(line.strip())))";
    const out = execFileSync("python3", ["-c", script], { input: chunks.map((c) => Buffer.from(c.data).toString("hex")).join("\n") + "\n" }).toString();
    expect(out.trim().split("\n").map(BigInt)).toEqual(chunks.map((c) => c.crc));
  });

  it("streams a file artifact chunk by chunk: same requests as the bytes in memory, CRC per chunk", () => {
    const data = bytes(250_000, 3);
    const path = join(tempDir(), "big.zip");
    writeFileSync(path, data);
    const fromFile = [...artifactRequests([{ name: "small", data: bytes(9) }, { name: "pyfiles/big.zip", path }, { name: "tail", data: bytes(5) }], 64 * 1024)];
    const fromMemory = [...artifactRequests([{ name: "small", data: bytes(9) }, { name: "pyfiles/big.zip", data }, { name: "tail", data: bytes(5) }], 64 * 1024)];
    expect(fromFile.map((r) => r.payload?.case)).toEqual(["batch", "beginChunk", "chunk", "chunk", "chunk", "batch"]);
    expect(fromFile.map(flatten)).toEqual(fromMemory.map(flatten));
  });

  it("reports progress after each request, monotonically, ending at the total", () => {
    const path = join(tempDir(), "p.zip");
    writeFileSync(path, bytes(3 * UPLOAD_CHUNK_BYTES + 10));
    const seen: Array<[number, number]> = [];
    const reqs = [...artifactRequests([{ name: "a", data: bytes(100) }, { name: "b", path }], UPLOAD_CHUNK_BYTES, (sent, total) => seen.push([sent, total]))];
    const total = 100 + 3 * UPLOAD_CHUNK_BYTES + 10;
    expect(reqs).toHaveLength(1 + 4); // the small one's batch, begin + 3 chunks
    expect(seen.map(([, t]) => t)).toEqual(new Array(seen.length).fill(total));
    expect(seen.map(([s]) => s)).toEqual([100, 100 + UPLOAD_CHUNK_BYTES, 100 + 2 * UPLOAD_CHUNK_BYTES, 100 + 3 * UPLOAD_CHUNK_BYTES, total]);
  });

  it("a file that changes size mid-upload, or is missing, fails with the path and a fix", () => {
    const path = join(tempDir(), "moving.zip");
    writeFileSync(path, bytes(100));
    const requests = artifactRequests([{ name: "m", path }], 32);
    requests.next();
    writeFileSync(path, bytes(50));
    expect(() => requests.next()).toThrow(/moving\.zip changed size while it was uploaded/);
    const missing = (() => {
      try {
        [...artifactRequests([{ name: "gone", path: join(tempDir(), "nope.zip") }])];
      } catch (err) {
        return err;
      }
    })();
    expect(missing).toBeInstanceOf(SparkConnectError);
    expect((missing as SparkConnectError).errorClass).toBe("ARTIFACT_UNREADABLE");
    expect((missing as Error).message).toMatch(/nope\.zip[\s\S]*Check that the file exists/);
  });
});

describe("artifactRequests with an expected SHA-256", () => {
  const file = (bytes: Buffer) => {
    const path = join(tempDir("sab-art-"), "a.zip");
    writeFileSync(path, bytes);
    return path;
  };
  const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

  it("streams a file whose bytes match (full digest or a 12-character prefix)", () => {
    const data = Buffer.alloc(100_000, 7);
    const path = file(data);
    for (const expected of [sha(data), sha(data).slice(0, 12)]) {
      expect([...artifactRequests([{ name: "pyfiles/a.zip", path, sha256: expected }], 32 * 1024)]).toHaveLength(4);
      expect([...artifactRequests([{ name: "pyfiles/a.zip", path, sha256: expected }], 1 << 20)]).toHaveLength(1);
    }
  });

  it.each([
    ["chunked", 32 * 1024],
    ["batched", 1 << 20],
  ])("refuses a %s file whose bytes differ before its last bytes are handed to the stream", (_how, chunkBytes) => {
    const data = Buffer.alloc(100_000, 7);
    const path = file(data);
    const damaged = Buffer.from(data);
    damaged[99_999] = 8;
    writeFileSync(path, damaged);
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for (const request of artifactRequests([{ name: "pyfiles/a.zip", path, sha256: sha(data) }], chunkBytes)) seen.push(request);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SparkConnectError);
    expect(error).toMatchObject({ errorClass: "ARTIFACT_DAMAGED", messageParameters: { path, artifact: "pyfiles/a.zip" } });
    expect((error as Error).message).toContain(`${path} does not hold the bytes it was stored with`);
    // Chunked: the first three chunks went out, the last (which would let the server commit) never did.
    expect(seen).toHaveLength(chunkBytes < data.length ? 3 : 0);
  });
});
