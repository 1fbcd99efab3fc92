import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { artifactRequests } from "../../src/connect/artifacts.js";

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
    const reqs = [...artifactRequests([{ name: "big", data }])];
    const chunks = [(reqs[0]!.payload!.value as { initialChunk: { data: Uint8Array; crc: bigint } }).initialChunk, ...reqs.slice(1).map((r) => r.payload!.value as { data: Uint8Array; crc: bigint })];
    const script = "import sys,zlib\nfor line in sys.stdin: print(zlib.crc32(bytes.fromhex(line.strip())))";
    const out = execFileSync("python3", ["-c", script], { input: chunks.map((c) => Buffer.from(c.data).toString("hex")).join("\n") + "\n" }).toString();
    expect(out.trim().split("\n").map(BigInt)).toEqual(chunks.map((c) => c.crc));
  });
});
