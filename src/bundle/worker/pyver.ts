import { SparkConnectError } from "../../connect/errors.js";
import type { SparkSession } from "../../connect/session.js";
import { PyGlobal } from "./pickle.js";
import { runProbe, type ProbeSession } from "./probe.js";

/** Candidates in order of how common they are on clusters today. */
const CANDIDATES = ["3.12", "3.11", "3.10", "3.13", "3.9", "3.14"];

export const PYTHON_VERSION_ENV = "SPARK_AUTOBUNDLE_PYTHON_VERSION";

/**
 * The "major.minor" of the cluster's Python workers, which every Python UDF must
 * state exactly (pyspark's worker refuses any other). In order:
 *  1. an explicit override (option, or SPARK_AUTOBUNDLE_PYTHON_VERSION);
 *  2. the embedded server's virtualenv, which we created;
 *  3. a probe: a one-row job whose UDF returns platform.python_version(),
 *     tried with each candidate version until the worker accepts one.
 *     A mismatching candidate fails fast inside the worker before any user code.
 */
export async function discoverPythonVersion(session: Pick<SparkSession, "serverFacts" | "executeWithoutHooks">, override?: string): Promise<string> {
  const given = override ?? process.env[PYTHON_VERSION_ENV];
  if (given) {
    if (!/^\d+\.\d+$/.test(given)) {
      throw new SparkConnectError(`Python version "${given}" is not of the form major.minor.`, {
        fix: `Set pythonVersion / ${PYTHON_VERSION_ENV} to the workers' version, e.g. "3.11".`,
      });
    }
    return given;
  }
  if (session.serverFacts?.pythonVersion) return session.serverFacts.pythonVersion;
  const order = CANDIDATES;
  let lastError: unknown;
  for (const candidate of order) {
    try {
      const reported = await probe(session, candidate);
      return reported.split(".").slice(0, 2).join(".");
    } catch (err) {
      lastError = err;
    }
  }
  throw new SparkConnectError(`Could not find the Python version of the cluster's workers (tried ${order.join(", ")}).`, {
    errorClass: "PYTHON_VERSION_UNKNOWN",
    fix: `Set it explicitly: withAutoBundle(spark, { pythonVersion: "3.11" }) or ${PYTHON_VERSION_ENV}=3.11. The last probe failed with the cause below.`,
    cause: lastError,
  });
}

/** The worker's full Python version, if it runs `pythonVer` (a worker of another version refuses the UDF). */
function probe(session: ProbeSession, pythonVer: string): Promise<string> {
  return runProbe(session, {
    functionName: "python_version",
    func: new PyGlobal("platform", "python_version"),
    pythonVer,
    noRows: () => new SparkConnectError("The Python version probe returned no rows."),
  });
}
