import { addArtifacts, artifactSize, type ArtifactSource, type UploadOptions } from "../connect/artifacts.js";
import type { SparkConnectClient } from "../connect/client.js";
import { SparkConnectError } from "../connect/errors.js";

/** Bytes and RPCs spent on uploads; tests assert on these, never on time. */
export interface UploadCounters {
  uploads: number;
  bytes: number;
  artifacts: number;
}

/** An artifact to hold on the server: a file (streamed from disk, never read whole) or bytes from `read`. */
export interface PendingArtifact {
  /** Content-addressed name, e.g. "pyfiles/mylib-0123456789ab.zip". */
  name: string;
  /** Preferred: streamed in chunks, so memory stays flat whatever its size. */
  path?: string;
  read?(): Promise<Uint8Array>;
}

export interface UploadMissingOptions {
  /** Bytes handed to the stream so far, of all the missing artifacts; never goes backwards. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Bytes per AddArtifacts message; default UPLOAD_CHUNK_BYTES. */
  chunkBytes?: number;
}

/**
 * Sends the artifacts this session does not hold yet, in one AddArtifacts
 * stream. `held` is the per-session record; a name in it costs nothing.
 * Names are content-addressed, so ARTIFACT_ALREADY_EXISTS (Spark 3.5 refuses
 * even identical re-adds) means the server already has these exact bytes.
 */
export async function uploadMissing(
  client: SparkConnectClient,
  held: Set<string>,
  artifacts: PendingArtifact[],
  counters: UploadCounters,
  options: UploadMissingOptions = {},
): Promise<string[]> {
  const missing = artifacts.filter((a) => !held.has(a.name));
  if (missing.length === 0) return [];
  const sources: ArtifactSource[] = await Promise.all(missing.map(toSource));
  const sizes = sources.map(artifactSize);
  const total = sizes.reduce((n, s) => n + s, 0);
  let reported = 0;
  const progress = (sent: number) => {
    if (sent < reported) return;
    reported = sent;
    options.onProgress?.(sent, total);
  };
  try {
    await send(client, sources, sizes, counters, { chunkBytes: options.chunkBytes, onProgress: (sent) => progress(sent) });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // One existing name fails the whole stream: send one by one to learn which.
    let before = 0;
    for (const [index, source] of sources.entries()) {
      const base = before;
      try {
        await send(client, [source], [sizes[index]!], counters, { chunkBytes: options.chunkBytes, onProgress: (sent) => progress(base + sent) });
      } catch (inner) {
        if (!isAlreadyExists(inner)) throw inner;
      }
      before += sizes[index]!;
      progress(before);
    }
  }
  for (const a of missing) held.add(a.name);
  return missing.map((a) => a.name);
}

async function toSource(artifact: PendingArtifact): Promise<ArtifactSource> {
  if (artifact.path !== undefined) return { name: artifact.name, path: artifact.path };
  if (artifact.read !== undefined) return { name: artifact.name, data: await artifact.read() };
  throw new TypeError(`Pending artifact ${artifact.name} has neither a path nor a read(); give it the file's path.`);
}

async function send(client: SparkConnectClient, sources: ArtifactSource[], sizes: number[], counters: UploadCounters, options: UploadOptions): Promise<void> {
  counters.uploads++;
  await addArtifacts(client, sources, options);
  counters.artifacts += sources.length;
  counters.bytes += sizes.reduce((n, s) => n + s, 0);
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof SparkConnectError && err.errorClass === "ARTIFACT_ALREADY_EXISTS";
}
