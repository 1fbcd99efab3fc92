// The embedded Spark 3.5 server, where 3.5 differs from 4.x: it has no auth and no bind address of
// its own (our interceptor adds both), and it reports no server-side session ids (so a restart must be
// detected another way). Real servers: the project's shared 3.5 one, and a private one restarted here.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { autoBundleOf, lit, SparkConnectError, SparkSession, withAutoBundle } from "../../src/index.js";
import { checkHealth, ensureLocalServer, HealthCheckError, stopLocalServer } from "../../src/server/index.js";
import { freePort, privateHome } from "../helpers/private-home.js";

const remotePort = () => Number(new URL(inject("sparkRemote").replace(/^sc:/, "http:")).port);
const lanAddress = () =>
  Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

describe("the embedded Spark 3.5 server's guard", () => {
  it("refuses clients without the token, or with a wrong one", async () => {
    for (const token of [undefined, "0".repeat(64)]) {
      const error = await checkHealth({ host: "127.0.0.1", port: remotePort(), token }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthCheckError);
      expect((error as HealthCheckError).isAuthFailure).toBe(true);
      expect((error as Error).message).toContain("UNAUTHENTICATED");
    }
  });

  // 3.5 binds every interface (it has no binding-address setting), so the guard must refuse other hosts.
  it.runIf(lanAddress() !== undefined)("refuses a client reaching it over a non-loopback address, even with the token", async () => {
    const token = new URL(inject("sparkRemote").replace(/^sc:/, "http:")).pathname.split("token=")[1];
    const error = await checkHealth({ host: lanAddress()!, port: remotePort(), token }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HealthCheckError);
    expect((error as Error).message).toContain("PERMISSION_DENIED");
    expect((error as Error).message).toContain("only accepts clients on this machine");
  });
});

// A private home sharing the provisioned 3.5 venv and Ivy cache, on its own port: the shared server is never touched.
let home = "";
beforeAll(async () => {
  home = await privateHome("3.5");
}, 600_000);

afterAll(async () => {
  await stopLocalServer({ home, spark: "3.5" });
  fs.rmSync(home, { recursive: true, force: true });
}, 60_000);

describe("a Spark 3.5 server restarted between jobs", () => {
  it("is noticed before the next job, which re-uploads the bundle and runs correctly; a lost temp view is named once", async () => {
    const port = await freePort();
    const first = await ensureLocalServer({ home, spark: "3.5", port, cores: 1, onProgress: () => undefined });
    expect(first.sparkVersion).toBe("3.5.7");
    const root = path.resolve(import.meta.dirname, "../../fixtures/srclayout");
    const spark = withAutoBundle(await SparkSession.builder().remote(first.url).create(), {
      root,
      cacheDir: fs.mkdtempSync(path.join(os.tmpdir(), "sab-cache-")),
    });
    try {
      expect(spark.serverSessionId).toBeUndefined(); // why the marker is needed at all
      const normalize = spark.udf.python("textkit.text:normalize", "string");
      const run = async () => (await spark.range(1).select(normalize(lit(" A  B ")).alias("v")).collect())[0]!.v;
      expect(await run()).toBe("a b");
      expect(await run()).toBe("a b");
      expect(autoBundleOf(spark)!.counters.uploads).toBe(1);
      const changes: unknown[] = [];
      spark.onSessionChange((change) => changes.push(change));

      await stopLocalServer({ home, spark: "3.5" });
      const second = await ensureLocalServer({ home, spark: "3.5", port, cores: 1, onProgress: () => undefined });
      expect(second.pid).not.toBe(first.pid);

      // Without the marker check this job would fail on the workers: the new session has no bundle.
      expect(await run()).toBe("a b");
      expect(changes).toHaveLength(1);
      expect(autoBundleOf(spark)!.counters.uploads).toBe(2);
      expect(await run()).toBe("a b");
      expect(autoBundleOf(spark)!.counters.uploads).toBe(2);

      // Runtime config is replayed on 3.5 too; a temp view can't be, so the first job names it.
      await spark.conf.set("spark.sql.shuffle.partitions", 7);
      await spark.range(3).createOrReplaceTempView("people");
      await stopLocalServer({ home, spark: "3.5" });
      await ensureLocalServer({ home, spark: "3.5", port, cores: 1, onProgress: () => undefined });
      const err = await run().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SparkConnectError);
      expect(err).toMatchObject({ errorClass: "INVALID_HANDLE.SESSION_CHANGED" });
      expect((err as Error).message).toContain('the new session lacks state the old one held: temporary view "people"');
      expect(changes).toHaveLength(2);
      expect(await run()).toBe("a b");
      expect(await spark.conf.get("spark.sql.shuffle.partitions")).toBe("7");
      expect(autoBundleOf(spark)!.counters.uploads).toBe(3);
    } finally {
      await spark.stop();
    }
  }, 300_000);
});
