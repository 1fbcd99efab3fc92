import type { TestProject } from "vitest/node";
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
  return () => server.release();
}

async function pythonMajorMinor(executable: string): Promise<string> {
  const python = await detectPython({ ...process.env, SPARK_AUTOBUNDLE_PYTHON: executable });
  return `${python.version.major}.${python.version.minor}`;
}
