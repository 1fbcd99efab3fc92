// Integration: reattach after a real network fault. A loopback TCP proxy sits
// between the client and the real server and cuts the first connection once
// part of a large result has passed; the client must reattach on a new
// connection and still return every row exactly once.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { col, parseConnectionString, SparkSession } from "../../../src/index.js";

let proxy: net.Server;
let proxyPort: number;
let cutAfterBytes = Infinity;
let connections = 0;

beforeAll(async () => {
  const upstream = parseConnectionString(inject("sparkRemote"));
  proxy = net.createServer((client) => {
    const index = connections++;
    const server = net.connect(upstream.port, upstream.host);
    let downstream = 0;
    server.on("data", (chunk) => {
      downstream += chunk.length;
      if (index === 0 && downstream > cutAfterBytes) {
        client.destroy();
        server.destroy();
      }
    });
    client.pipe(server);
    server.pipe(client);
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyPort = (proxy.address() as net.AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

describe("reattachable execution against a real server", () => {
  it("reattaches after the connection breaks mid-result and returns every row once", async () => {
    const token = parseConnectionString(inject("sparkRemote")).token;
    const spark = await SparkSession.builder()
      .remote(`sc://127.0.0.1:${proxyPort}/${token ? `;token=${token}` : ""}`)
      .create();
    try {
      cutAfterBytes = 400_000; // only the first connection is cut
      const rows = await spark.range(0, 300_000, 1, 6).select(col("id").multiply(3).alias("x")).collect();
      expect(rows).toHaveLength(300_000);
      const xs = rows.map((r) => r.x as bigint);
      expect(new Set(xs).size).toBe(300_000);
      expect(xs.reduce((a, b) => a + b, 0n)).toBe(3n * ((299_999n * 300_000n) / 2n));
      expect(connections).toBeGreaterThan(1);
      expect(spark.client.executionStats.reattaches).toBeGreaterThan(0);
      expect(spark.client.executionStats.executes).toBe(1);
    } finally {
      await spark.stop();
    }
  });
});
