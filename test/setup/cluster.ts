import type { TestProject } from "vitest/node";
import { ensureLocalCluster, stopLocalCluster } from "../../src/server/index.js";
import { serverVersion } from "./spark.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Every pid of the cluster the "cluster" project runs on (Connect server, master, workers). */
    clusterPids: number[];
  }
}

/**
 * The "cluster" project's server: a real standalone master + 2 worker JVMs on loopback, and a
 * Connect server using them, from the provisioned pyspark. Stopped afterwards if this run started it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await ensureLocalCluster({ workers: 2 });
  project.provide("sparkRemote", cluster.url);
  project.provide("sparkPython", cluster.pythonExecutable);
  project.provide("sparkPythonVersion", cluster.pythonVersion);
  project.provide("clusterPids", cluster.pids);
  project.provide("sparkVersion", await serverVersion(cluster.url));
  return async () => {
    if (!cluster.reused && process.env.SPARK_AUTOBUNDLE_KEEP_SERVER !== "1") await stopLocalCluster({});
  };
}
