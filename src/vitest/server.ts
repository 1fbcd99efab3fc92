// The Spark Connect server a test run uses: the one named by option or SPARK_REMOTE, else the
// embedded local server, started once for the whole run and stopped only if this run started it.
import { resolveRemote } from "../connect/rpc/connection.js";
import { SparkSession } from "../connect/session.js";
import { discoverPythonVersion, PYTHON_VERSION_ENV } from "../bundle/worker/pyver.js";
import { ensureLocalServer, registerServerUser, resolveHome, stopLocalServer } from "../server/index.js";
import type { Cores } from "../server/local-remote.js";
import type { SparkVitestOptions } from "./options.js";

export interface RunServer {
  /** sc:// URL with its token. */
  remote: string;
  /** The workers' Python "major.minor" when the server says so without a job (the embedded one does). */
  pythonVersion?: string;
  /** The workers' Python executable, when the server runs on this machine (the embedded one). */
  pythonExecutable?: string;
  /** What the run holds goes: its user registration, and a server it started once nobody else uses it. */
  release(): Promise<void>;
}

export async function acquireServer(options: SparkVitestOptions, env: NodeJS.ProcessEnv = process.env): Promise<RunServer> {
  const named = options.remote ?? (env.SPARK_REMOTE?.trim() || undefined);
  let cores: Cores | undefined;
  if (named !== undefined) {
    // Validates the URL: a bad one fails here, naming the option or SPARK_REMOTE, not in every test file.
    const resolved = resolveRemote(options.remote, env);
    if (resolved.kind === "remote") return { remote: named, release: async () => {} };
    cores = resolved.cores;
  }

  // Registered before starting, so a concurrent run that started the server won't stop it under us.
  const home = resolveHome({ env });
  const unregister = registerServerUser(home);
  let server;
  try {
    server = await ensureLocalServer({ home, cores, env });
  } catch (error) {
    unregister();
    throw error;
  }
  const keep = options.keepServer === true || env.SPARK_AUTOBUNDLE_KEEP_SERVER === "1";
  const { pid, reused } = server;
  return {
    remote: server.url,
    pythonVersion: server.pythonVersion,
    pythonExecutable: server.pythonExecutable,
    release: async () => {
      unregister();
      if (reused || keep) return;
      const result = await stopLocalServer({ home, pid, ifUnused: true, env });
      if (!result.stopped) process.stderr.write(`spark-autobundle: left the Spark Connect server running: ${result.reason}\n`);
    },
  };
}

/**
 * The workers' Python "major.minor" for every session of the run: the option, else
 * SPARK_AUTOBUNDLE_PYTHON_VERSION, else what the server said, else one probe job now
 * (rather than one per test file).
 */
export async function runPythonVersion(options: SparkVitestOptions, server: RunServer, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const known = options.pythonVersion ?? (env[PYTHON_VERSION_ENV] || undefined) ?? server.pythonVersion;
  if (known !== undefined) return known;
  const session = await SparkSession.builder().remote(server.remote).create();
  try {
    return await discoverPythonVersion(session);
  } finally {
    await session.stop();
  }
}
