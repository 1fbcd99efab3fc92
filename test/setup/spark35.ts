import type { TestProject } from "vitest/node";
import { ensureLocalServer, stopLocalServer } from "../../src/server/index.js";
import { serverVersion } from "./spark.js";

/**
 * The "spark35" project's server: the embedded Spark 3.5 line (pyspark 3.5.7 with the Connect jar from
 * Maven Central), provisioned by the project's own code like the 4.1 one. Stopped afterwards if this run started it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await ensureLocalServer({ spark: "3.5" });
  project.provide("sparkRemote", server.url);
  project.provide("sparkPython", server.pythonExecutable);
  project.provide("sparkPythonVersion", server.pythonVersion);
  project.provide("sparkVersion", await serverVersion(server.url));
  return async () => {
    if (!server.reused && process.env.SPARK_AUTOBUNDLE_KEEP_SERVER !== "1") await stopLocalServer({ spark: "3.5", pid: server.pid });
  };
}
