// The connection string's channel settings, against the real server.
import { describe, expect, inject, it } from "vitest";
import { SparkConnectError, SparkSession } from "../../../src/index.js";

const withParam = (url: string, param: string) => `${url.replace(/;+$/, "")}${url.includes("/;") ? ";" : "/;"}${param}`;

describe("grpc_max_message_size on a real server", () => {
  it("refuses a result message larger than the limit with RESOURCE_EXHAUSTED, and takes smaller ones", async () => {
    const spark = await SparkSession.builder().remote(withParam(inject("sparkRemote"), "grpc_max_message_size=65536")).create();
    try {
      // A small answer fits.
      expect(await (await spark.sql("SELECT 1 AS one")).collect()).toEqual([{ one: 1 }]);
      // One Arrow batch holding a 1 MB string cannot.
      const err = await (await spark.sql("SELECT repeat('x', 1000000) AS big")).collect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SparkConnectError);
      expect((err as SparkConnectError).grpcCode).toBe(8); // RESOURCE_EXHAUSTED
      expect((err as Error).message).toMatch(/^The server sent a message of \d+ bytes, over this client's limit of 65536 bytes\./);
      expect((err as SparkConnectError).fix).toContain(";grpc_max_message_size=");
    } finally {
      await spark.stop();
    }
  });
});
