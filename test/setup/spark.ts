import type { TestProject } from "vitest/node";
import { SparkSession } from "../../src/index.js";
import { detectPython } from "../../src/server/index.js";
import { acquireServer } from "../../src/vitest/server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** sc:// URL (with token) of the Spark Connect server the tests use. */
    sparkRemote: string;
    /** Python matching the server's workers (the provisioned venv's); "" when unknown. */
    sparkPython: string;
    /** "3.11"; "" when unknown. */
    sparkPythonVersion: string;
    /** "4.1.4": the server's Spark version, for the few tests whose expectations differ on 3.5. */
    sparkVersion: string;
  }
}

/**
 * Starts (or reuses) the machine's shared local Spark Connect server for the test run, the same way
 * the vitest plugin does for users. With SPARK_REMOTE set, that server is used and nothing is started;
 * SPARK_AUTOBUNDLE_TEST_PYTHON then names the Python matching its workers.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await acquireServer({});
  const python = server.pythonExecutable ?? process.env.SPARK_AUTOBUNDLE_TEST_PYTHON ?? "";
  project.provide("sparkRemote", server.remote);
  project.provide("sparkPython", python);
  project.provide("sparkPythonVersion", server.pythonVersion ?? (python ? await pythonMajorMinor(python) : ""));
  project.provide("sparkVersion", await serverVersion(server.remote));
  return () => server.release();
}

export async function serverVersion(remote: string): Promise<string> {
  const spark = await SparkSession.builder().remote(remote).create();
  try {
    return spark.version;
  } finally {
    await spark.stop();
  }
}

async function pythonMajorMinor(executable: string): Promise<string> {
  const python = await detectPython({ ...process.env, SPARK_AUTOBUNDLE_PYTHON: executable });
  return `${python.version.major}.${python.version.minor}`;
}
