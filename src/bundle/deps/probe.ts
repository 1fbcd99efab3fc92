// What the workers are: their platform and installed distributions, from python/worker_facts.py run
// one of two ways (the same file, so they can't drift): a local server's python runs it as a script;
// any other server runs its facts() as the UDF of one probe job, defined on the worker while it
// unpickles the command (worker/probe.ts definedIn), so nothing needs uploading first.
import { execFile } from "node:child_process";
import { WORKER_FACTS_PY } from "../../gen/embedded.js";
import { SparkConnectError } from "../../connect/errors.js";
import type { MarkerEnv } from "./markers.js";
import { definedIn, runProbe, type ProbeSession } from "../worker/probe.js";

export interface WorkerFacts {
  /** sysconfig.get_platform(), e.g. "linux-x86_64". */
  platform: string;
  /** Names of the distributions importable on the workers. */
  dists: string[];
  /** platform.libc_ver(), e.g. ["glibc", "2.36"]; absent from older probes. */
  libc?: string[];
  /** PEP 508 marker variables of the workers' Python; absent from older probes. */
  env?: MarkerEnv;
}

/** The facts of a remote server's workers, with one tiny job. */
export async function probeWorkers(session: ProbeSession, pythonVer: string): Promise<WorkerFacts> {
  const json = await runProbe(session, {
    functionName: "sab_worker_facts",
    func: definedIn(WORKER_FACTS_PY, "facts"),
    pythonVer,
    noRows: () =>
      new SparkConnectError("The workers' platform probe returned no rows.", {
        fix: "Set dependencies.platforms and dependencies.serverHas explicitly.",
      }),
  });
  return JSON.parse(json) as WorkerFacts;
}

/** The facts of `python` on this machine: a local server's workers run it (the embedded server's venv). */
export async function localFacts(python: string): Promise<WorkerFacts> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(python, ["-c", WORKER_FACTS_PY], (err, out, stderr) => (err ? reject(new Error(`${python} probe failed: ${err.message}\n${stderr}`)) : resolve(out))),
  );
  return JSON.parse(stdout) as WorkerFacts;
}
