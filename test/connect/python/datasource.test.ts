import { describe, expect, it } from "vitest";
import { DataSourceRegistration, type DataSourceHost } from "../../../src/connect/python/datasource.js";
import { SparkConnectError } from "../../../src/connect/errors.js";

/** A host that fails the test if anything is sent: the version check must come first. */
function host(version: string): DataSourceHost {
  const fail = () => {
    throw new Error("nothing may be sent");
  };
  return { version, udf: { pythonEnabled: true }, execute: fail, analyze: fail, nextPlanId: () => 1n, range: fail } as unknown as DataSourceHost;
}

describe("spark.dataSource.register on servers without Python data sources", () => {
  it("names the feature, the server's version and the minimum before sending anything", async () => {
    const err = await new DataSourceRegistration(host("3.5.9")).register("mylib.src:Source").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as SparkConnectError).errorClass).toBe("UNSUPPORTED_BY_SERVER_VERSION");
    expect((err as SparkConnectError).messageParameters).toEqual({ feature: "Python data sources", serverVersion: "3.5.9", minimumVersion: "4.0" });
    expect((err as Error).message).toContain("need Spark 4.0+; this server runs Spark 3.5.9");
  });
});
