// vitest globalSetup: one server and one bundle build for the whole run, handed to the test
// files through project.provide. The sparkAutobundle() plugin lists this file in test.globalSetup.
import type { TestProject } from "vitest/node";
import { buildBundle, type BundleResult } from "../bundle/archive/build.js";
import type { BundleEvent } from "../bundle/events.js";
import { CONTEXT_KEY, OPTIONS_KEY, validateVitestOptions, type SparkAutobundleContext } from "./options.js";
import { resolveVitestProject, type VitestProject } from "./project.js";
import { acquireServer, runPythonVersion } from "./server.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const options = validateVitestOptions(project.getProvidedContext()[OPTIONS_KEY]);
  const projectOf = () => resolveVitestProject(project.config.root, options.bundle);

  // Bundling first: a bad setting fails in a second, before any server is started.
  let current = projectOf();
  const bundle = await buildFor(current);
  const server = await acquireServer(options);
  try {
    const pythonVersion = await runPythonVersion(options, server);
    const provide = (at: VitestProject, built: BundleResult) => project.provide(CONTEXT_KEY, contextOf(server.remote, pythonVersion, at, built));
    provide(current, bundle);
    // Watch mode: each re-run gets the bundle of the code as it is now.
    project.onTestsRerun(async () => {
      current = projectOf();
      provide(current, await buildFor(current));
    });
  } catch (error) {
    await server.release();
    throw error;
  }
  return () => server.release();
}

function contextOf(remote: string, pythonVersion: string, at: VitestProject, built: BundleResult): SparkAutobundleContext {
  return {
    remote,
    root: at.root,
    bundleOptions: at.bundleOptions,
    pythonVersion,
    bundle: {
      hash: built.hash,
      hash12: built.hash12,
      projectName: built.projectName,
      files: built.files,
      bytes: built.bytes,
      zipPath: built.zipPath,
    },
  };
}

/** Builds (or finds cached) the project's bundle; its warnings are printed once per run, not once per file. */
function buildFor(at: VitestProject): Promise<BundleResult> {
  const onEvent = (event: BundleEvent) => {
    if (event.type === "warning") process.stderr.write(`spark-autobundle: ${event.message}\n`);
  };
  return buildBundle({ ...at.bundleOptions, root: at.root, onEvent });
}
