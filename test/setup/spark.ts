import type { TestProject } from "vitest/node";
import {
  detectPython,
  ensureLocalServer,
  registerServerUser,
  resolveHome,
  stopLocalServer,
} from "../../src/server/index.js";

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
 * Starts (or reuses) the machine's shared local Spark Connect server for the test run.
 * With SPARK_REMOTE set, that server is used instead and nothing is started.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.SPARK_REMOTE;
  if (external) {
    const python = process.env.SPARK_AUTOBUNDLE_TEST_PYTHON ?? "";
    project.provide("sparkRemote", external);
    project.provide("sparkPython", python);
    project.provide("sparkPythonVersion", python ? await pythonMajorMinor(python) : "");
    return undefined;
  }

  // Registered before starting, so a concurrent run that started the server won't stop it under us.
  const home = resolveHome();
  const unregister = registerServerUser(home);
  let server;
  try {
    server = await ensureLocalServer({ home });
  } catch (error) {
    unregister();
    throw error;
  }
  project.provide("sparkRemote", server.url);
  project.provide("sparkPython", server.pythonExecutable);
  project.provide("sparkPythonVersion", server.pythonVersion);

  const { pid, reused } = server;
  return async () => {
    unregister();
    // Only the run that started the server stops it, and only when no other run still uses it.
    if (reused || process.env.SPARK_AUTOBUNDLE_KEEP_SERVER === "1") return;
    const result = await stopLocalServer({ home, pid, ifUnused: true });
    if (!result.stopped) process.stderr.write(`spark-autobundle: left the Spark Connect server running: ${result.reason}\n`);
  };
}

async function pythonMajorMinor(executable: string): Promise<string> {
  const python = await detectPython({ ...process.env, SPARK_AUTOBUNDLE_PYTHON: executable });
  return `${python.version.major}.${python.version.minor}`;
}
