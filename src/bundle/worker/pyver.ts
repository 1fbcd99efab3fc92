import { create } from "@bufbuild/protobuf";
import { tableFromIPC } from "apache-arrow";
import type { Plan } from "../../gen/spark/connect/base_pb.js";
import { PlanSchema } from "../../gen/spark/connect/base_pb.js";
import { pickle, PyCall, PyGlobal, PyTuple } from "./pickle.js";
import { SparkConnectError } from "../../connect/errors.js";
import type { SparkSession } from "../../connect/session.js";
import { SQL_BATCHED_UDF } from "../../connect/python/udf.js";

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
export async function discoverPythonVersion(session: SparkSession, override?: string): Promise<string> {
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

async function probe(session: SparkSession, pythonVer: string): Promise<string> {
  const command = pickle(new PyTuple([new PyGlobal("platform", "python_version"), new PyCall("pyspark.sql.types", "_parse_datatype_json_string", ['"string"'])]));
  const plan: Plan = create(PlanSchema, {
    opType: {
      case: "root",
      value: {
        relType: {
          case: "project",
          value: {
            input: { relType: { case: "range", value: { start: 0n, end: 1n, step: 1n, numPartitions: 1 } } },
            expressions: [
              {
                exprType: {
                  case: "commonInlineUserDefinedFunction",
                  value: {
                    functionName: "python_version",
                    deterministic: true,
                    function: { case: "pythonUdf", value: { outputType: { kind: { case: "string", value: {} } }, evalType: SQL_BATCHED_UDF, command, pythonVer } },
                  },
                },
              },
            ],
          },
        },
      },
    },
  });
  // Straight to the client: the bundle hook must not run (it is what asked).
  for await (const response of session.executeWithoutHooks(plan)) {
    if (response.responseType.case !== "arrowBatch") continue;
    const table = tableFromIPC(response.responseType.value.data);
    if (table.numRows > 0) return String(table.getChildAt(0)!.get(0));
  }
  throw new SparkConnectError("The Python version probe returned no rows.");
}
