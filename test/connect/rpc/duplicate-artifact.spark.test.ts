// What a real server does with an artifact name it already holds, and that uploadMissing copes with it.
// Spark 4.x accepts an identical re-add silently; Spark 3.5 refuses it, and all the client gets is gRPC
// UNKNOWN with no details and no error class. Runs on both lines (local and spark35 projects).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SparkConnectError, SparkSession } from "../../../src/index.js";
import { GrpcCode } from "../../../src/connect/errors.js";
import { addArtifacts } from "../../../src/connect/rpc/artifacts.js";
import { uploadMissing, type UploadCounters } from "../../../src/bundle/upload.js";
import { onSpark35 } from "../../helpers/spark-line.js";

let spark: SparkSession;
beforeAll(async () => {
  spark = await SparkSession.builder().remote(inject("sparkRemote")).create();
});
afterAll(async () => {
  await spark?.stop();
});

describe("an artifact name the session already holds", () => {
  it("is sent again by uploadMissing without its held-marker, and the upload still succeeds, marker included", async () => {
    const name = `pyfiles/dup-${randomBytes(6).toString("hex")}.zip`;
    const data = randomBytes(64);
    // The artifact alone, as a client that doesn't write held-markers would leave it.
    await addArtifacts(spark.client, [{ name, data }]);
    const again = await addArtifacts(spark.client, [{ name, data }]).then(
      () => "accepted",
      (err: unknown) => err,
    );
    if (onSpark35) {
      expect(again).toBeInstanceOf(SparkConnectError);
      expect(again).toMatchObject({ grpcCode: GrpcCode.UNKNOWN, errorClass: undefined });
      // Never grpc-js's bare "2 UNKNOWN: ": the message says what happened and where to look.
      expect((again as Error).message).toMatch(/^The Spark Connect server failed the call without saying why \(gRPC UNKNOWN\)\./);
    } else {
      expect(again).toBe("accepted");
    }

    // A fresh engine (empty `held`) asks for the marker, doesn't find it, and sends artifact + marker.
    const held = new Set<string>();
    const counters: UploadCounters = { uploads: 0, bytes: 0, artifacts: 0 };
    const sent = await uploadMissing(spark.client, held, [{ name, read: async () => data }], counters);
    expect(sent).toEqual([name]);
    expect(held.has(name)).toBe(true);
    // 3.5 refused the whole stream, so it was sent again one artifact at a time: 1 + 2 streams.
    expect(counters.uploads).toBe(onSpark35 ? 3 : 1);

    // The marker did reach the session: another fresh engine finds it and sends nothing.
    const later: UploadCounters = { uploads: 0, bytes: 0, artifacts: 0 };
    expect(await uploadMissing(spark.client, new Set(), [{ name, read: async () => data }], later)).toEqual([]);
    expect(later.uploads).toBe(0);
  });
});
