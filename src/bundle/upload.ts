import { addArtifacts, type Artifact } from "../connect/artifacts.js";
import type { SparkConnectClient } from "../connect/client.js";
import { SparkConnectError } from "../connect/errors.js";

/** Bytes and RPCs spent on uploads; tests assert on these, never on time. */
export interface UploadCounters {
  uploads: number;
  bytes: number;
  artifacts: number;
}

export interface PendingArtifact {
  /** Content-addressed name, e.g. "pyfiles/mylib-0123456789ab.zip". */
  name: string;
  read(): Promise<Uint8Array>;
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
): Promise<string[]> {
  const missing = artifacts.filter((a) => !held.has(a.name));
  if (missing.length === 0) return [];
  const loaded: Artifact[] = await Promise.all(missing.map(async (a) => ({ name: a.name, data: await a.read() })));
  try {
    await send(client, loaded, counters);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // One existing name fails the whole stream: send one by one to learn which.
    for (const artifact of loaded) {
      try {
        await send(client, [artifact], counters);
      } catch (inner) {
        if (!isAlreadyExists(inner)) throw inner;
      }
    }
  }
  for (const a of missing) held.add(a.name);
  return missing.map((a) => a.name);
}

async function send(client: SparkConnectClient, artifacts: Artifact[], counters: UploadCounters): Promise<void> {
  counters.uploads++;
  await addArtifacts(client, artifacts);
  counters.artifacts += artifacts.length;
  counters.bytes += artifacts.reduce((n, a) => n + a.data.byteLength, 0);
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof SparkConnectError && err.errorClass === "ARTIFACT_ALREADY_EXISTS";
}
