import { crc32 } from "node:zlib";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AddArtifactsRequestSchema } from "../gen/spark/connect/base_pb.js";
import type { SparkConnectClient } from "./client.js";
import { SparkConnectError } from "./errors.js";

/** pyspark's chunk size: artifacts up to this size are batched, larger ones are chunked. */
export const ARTIFACT_CHUNK_BYTES = 32 * 1024;

export interface Artifact {
  /** Relative server path, e.g. "pyfiles/mylib-0123456789ab.zip" or "jars/udfs-0123456789ab.jar". */
  name: string;
  data: Uint8Array;
}

type Payload = Omit<MessageInitShape<typeof AddArtifactsRequestSchema>, "sessionId" | "userContext">;

function chunk(data: Uint8Array) {
  return { data, crc: BigInt(crc32(data)) };
}

/**
 * The request payloads for one AddArtifacts stream: consecutive small artifacts
 * share a Batch (up to one chunk's worth), large ones go as BeginChunkedArtifact
 * followed by ArtifactChunks. Every chunk carries its CRC32.
 */
export function* artifactRequests(artifacts: Artifact[], chunkBytes = ARTIFACT_CHUNK_BYTES): Generator<Payload> {
  let batch: Artifact[] = [];
  let batchBytes = 0;
  const flush = function* () {
    if (batch.length === 0) return;
    yield { payload: { case: "batch", value: { artifacts: batch.map((a) => ({ name: a.name, data: chunk(a.data) })) } } } as Payload;
    batch = [];
    batchBytes = 0;
  };
  for (const artifact of artifacts) {
    if (artifact.data.byteLength > chunkBytes) {
      yield* flush();
      const numChunks = Math.ceil(artifact.data.byteLength / chunkBytes);
      yield {
        payload: {
          case: "beginChunk",
          value: {
            name: artifact.name,
            totalBytes: BigInt(artifact.data.byteLength),
            numChunks: BigInt(numChunks),
            initialChunk: chunk(artifact.data.subarray(0, chunkBytes)),
          },
        },
      } as Payload;
      for (let offset = chunkBytes; offset < artifact.data.byteLength; offset += chunkBytes) {
        yield { payload: { case: "chunk", value: chunk(artifact.data.subarray(offset, offset + chunkBytes)) } } as Payload;
      }
      continue;
    }
    if (batchBytes + artifact.data.byteLength > chunkBytes) yield* flush();
    batch.push(artifact);
    batchBytes += artifact.data.byteLength;
  }
  yield* flush();
}

/**
 * Uploads artifacts in one AddArtifacts stream (the server commits them only
 * when the stream completes) and checks the server's CRC verdict for each.
 */
export async function addArtifacts(client: SparkConnectClient, artifacts: Artifact[]): Promise<void> {
  if (artifacts.length === 0) return;
  const response = await client.addArtifacts(artifactRequests(artifacts));
  const seen = new Map(response.artifacts.map((a) => [a.name, a.isCrcSuccessful]));
  for (const { name } of artifacts) {
    const ok = seen.get(name);
    if (ok === false) {
      throw new SparkConnectError(`The server rejected artifact ${name}: its CRC32 check failed, so the bytes were damaged in transit.`, {
        errorClass: "ARTIFACT_CRC_FAILED",
        fix: "Retry the job; if it keeps failing, check for a proxy that rewrites gRPC traffic.",
      });
    }
    if (ok === undefined) {
      throw new SparkConnectError(`The server did not acknowledge artifact ${name}.`, {
        errorClass: "ARTIFACT_NOT_ACKNOWLEDGED",
        fix: "Retry the job. If it persists, the server may be an incompatible Spark version; check `spark.version`.",
      });
    }
  }
}
