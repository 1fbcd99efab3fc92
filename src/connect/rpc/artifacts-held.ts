import { createHash } from "node:crypto";
// Content-addressed uploads a session remembers: the auto-bundle's code, deps and jars, and what
// spark.addArtifacts sends (connect/artifacts-api.ts). Lives in connect/ so both can use it.
import { addArtifacts, artifactSize, type Artifact, type ArtifactSource, type UploadOptions } from "./artifacts.js";
import type { SparkConnectClient } from "./client.js";
import { GrpcCode, SparkConnectError } from "../errors.js";
import { debugLog } from "../../shared/debug.js";

const debug = debugLog("upload");

/** Bytes and RPCs spent on uploads; tests assert on these, never on time. */
export interface UploadCounters {
  /** AddArtifacts streams opened. */
  uploads: number;
  /** Every byte sent, held-markers included. */
  bytes: number;
  /** Artifacts sent (held-markers not counted). */
  artifacts: number;
}

/**
 * The two RPCs uploads make: asking for held-markers, and one AddArtifacts stream. A session's client
 * has them; so can a test's fake, which then sees every upload.
 */
export type ArtifactTransport = Pick<SparkConnectClient, "artifactStatuses" | "addArtifacts">;

/** An artifact to hold on the server: a file (streamed from disk, never read whole) or bytes from `read`. */
export interface PendingArtifact {
  /** Content-addressed name, e.g. "pyfiles/mylib-0123456789ab.zip". */
  name: string;
  /** Preferred: streamed in chunks, so memory stays flat whatever its size. */
  path?: string;
  /** The SHA-256 (or a 12+ character prefix) a `path` file's bytes must have; checked as they stream (FileArtifact.sha256). */
  sha256?: string;
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
 * Names are content-addressed, so a refused existing name (see isAlreadyExists)
 * means the server already has these exact bytes.
 * Another client may have filled the session already (the CLI's `watch`, a
 * script joining by session_id): each artifact travels with a held-marker, and
 * one ArtifactStatus call asks for the markers before anything is sent.
 */
export async function uploadMissing(
  client: ArtifactTransport,
  held: Set<string>,
  artifacts: PendingArtifact[],
  counters: UploadCounters,
  options: UploadMissingOptions = {},
): Promise<string[]> {
  const unknown = artifacts.filter((a) => !held.has(a.name));
  if (unknown.length === 0) return [];
  const markers = new Map(unknown.map((a) => [a.name, heldMarker(a.name)]));
  const heldElsewhere = await heldBySession(client, markers);
  for (const a of unknown) if (heldElsewhere.has(a.name)) held.add(a.name);
  const missing = unknown.filter((a) => !heldElsewhere.has(a.name));
  if (heldElsewhere.size > 0) debug("the session already holds %s", [...heldElsewhere].join(", "));
  if (missing.length === 0) return [];
  // The artifacts first, then their markers: only the first `missing.length` sources count as artifacts.
  const sources: ArtifactSource[] = [...(await Promise.all(missing.map(toSource))), ...missing.map((a) => markers.get(a.name)!)];
  const sizes = sources.map(artifactSize);
  const total = sizes.reduce((n, s) => n + s, 0);
  debug("uploading %s (%d bytes with held-markers) in one AddArtifacts", missing.map((a, i) => `${a.name} (${sizes[i]} bytes)`).join(", "), total);
  let reported = 0;
  const progress = (sent: number) => {
    if (sent < reported) return;
    reported = sent;
    options.onProgress?.(sent, total);
  };
  try {
    await send(client, sources, sizes, missing.length, counters, { chunkBytes: options.chunkBytes, onProgress: (sent) => progress(sent) });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // One existing name fails the whole stream: send one by one to learn which.
    let before = 0;
    for (const [index, source] of sources.entries()) {
      const base = before;
      try {
        await send(client, [source], [sizes[index]!], index < missing.length ? 1 : 0, counters, { chunkBytes: options.chunkBytes, onProgress: (sent) => progress(base + sent) });
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

/**
 * A tiny `cache/<sha256>` artifact saying this session holds `name`. ArtifactStatus answers only for
 * `cache/` names, so the marker is how a joining client learns what the session holds. Like Spark's
 * own cache artifacts it is named by the SHA-256 of its bytes.
 */
export function heldMarker(name: string): Artifact {
  const data = Buffer.from(`spark-autobundle: this session holds ${name}\n`);
  return { name: `cache/${createHash("sha256").update(data).digest("hex")}`, data };
}

/** Which artifacts (by name → their marker) the server-side session already holds: one RPC. */
async function heldBySession(client: ArtifactTransport, markers: Map<string, Artifact>): Promise<Set<string>> {
  let statuses: Record<string, boolean>;
  try {
    statuses = await client.artifactStatuses([...markers.values()].map((marker) => marker.name));
  } catch (err) {
    // Servers before Spark 3.5 lack ArtifactStatus: without it, upload as if nothing were held.
    if (err instanceof SparkConnectError && err.grpcCode === GRPC_UNIMPLEMENTED) return new Set();
    throw err;
  }
  return new Set([...markers].filter(([, marker]) => statuses[marker.name] === true).map(([name]) => name));
}

const GRPC_UNIMPLEMENTED = 12;

async function toSource(artifact: PendingArtifact): Promise<ArtifactSource> {
  if (artifact.path !== undefined) return { name: artifact.name, path: artifact.path, sha256: artifact.sha256 };
  if (artifact.read !== undefined) return { name: artifact.name, data: await artifact.read() };
  throw new TypeError(`Pending artifact ${artifact.name} has neither a path nor a read(); give it the file's path.`);
}

async function send(client: ArtifactTransport, sources: ArtifactSource[], sizes: number[], artifactCount: number, counters: UploadCounters, options: UploadOptions): Promise<void> {
  counters.uploads++;
  await addArtifacts(client, sources, options);
  counters.artifacts += artifactCount;
  counters.bytes += sizes.reduce((n, s) => n + s, 0);
}

/**
 * The server refused a name it already holds. Spark 4.x says so with an error class (and only for
 * different bytes: an identical re-add is accepted). Spark 3.5 refuses even identical re-adds, and the
 * client sees only gRPC UNKNOWN carrying no error details at all (measured on 3.5.7; its other errors
 * name their exception class), so that is taken for "already held". Names are content-addressed, so a
 * held name holds these very bytes.
 */
function isAlreadyExists(err: unknown): boolean {
  if (!(err instanceof SparkConnectError)) return false;
  if (err.errorClass === "ARTIFACT_ALREADY_EXISTS") return true;
  return err.errorClass === undefined && err.grpcCode === GrpcCode.UNKNOWN && err.exceptionClasses.length === 0;
}
