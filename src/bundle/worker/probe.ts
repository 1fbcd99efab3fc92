// Probe jobs: one row, one Python UDF that takes no arguments and returns a string, read back.
// The bundle hook asks the workers what they are this way (their Python version, platform and installed
// distributions) before anything is uploaded, so a probe's UDF is built only from what every worker
// already has: the standard library, and source code carried inside the pickled command itself.
import { create } from "@bufbuild/protobuf";
import { withDecoder } from "../../connect/arrow/lazy.js";
import type { Plan } from "../../gen/spark/connect/base_pb.js";
import { PlanSchema } from "../../gen/spark/connect/base_pb.js";
import { SQL_BATCHED_UDF } from "../../connect/python/udf.js";
import type { SparkSession } from "../../connect/session.js";
import { pickle, PyCall, PyShared, PyTuple, type PickleValue } from "./pickle.js";

export interface ProbeJob {
  /** The UDF's name in the plan (and the Spark UI). */
  functionName: string;
  /** What the worker unpickles and calls with no arguments; it returns a string. */
  func: PickleValue;
  /** The workers' Python "major.minor" the UDF states; a worker of another version refuses it. */
  pythonVer: string;
  /** The error when the job answers without a row. */
  noRows: () => Error;
}

/** What a probe needs of a session. */
export type ProbeSession = Pick<SparkSession, "executeWithoutHooks">;

/** Runs `SELECT func()` over one row, straight to the client, and returns the value. */
export async function runProbe(session: ProbeSession, job: ProbeJob): Promise<string> {
  const returnType = new PyCall("pyspark.sql.types", "_parse_datatype_json_string", ['"string"']);
  const command = pickle(new PyTuple([job.func, returnType]));
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
                    functionName: job.functionName,
                    deterministic: true,
                    function: {
                      case: "pythonUdf",
                      value: { outputType: { kind: { case: "string", value: {} } }, evalType: SQL_BATCHED_UDF, command, pythonVer: job.pythonVer },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
  });
  // Not session.execute: the bundle hook must not run (it is what asked).
  const { decode, responses } = await withDecoder(session.executeWithoutHooks(plan));
  for await (const response of responses) {
    if (response.responseType.case !== "arrowBatch") continue;
    const table = decode.tableFromIPC(response.responseType.value.data);
    if (table.numRows > 0) return String(table.getChildAt(0)!.get(0));
  }
  throw job.noRows();
}

/**
 * The function `name` that Python `source` defines, made while the worker unpickles the command, so
 * a real source file (embedded by `npm run gen:embedded`) runs as a probe with nothing uploaded first.
 * In Python: `ns = {"__name__": "sab_probe"}; (exec(source, ns), ns)[1][name]`; the namespace is one
 * object (PyShared), and `__name__` is not "__main__", so a script's main block doesn't run.
 */
export function definedIn(source: string, name: string, filename?: string): PickleValue {
  const namespace = new PyShared({ __name__: "sab_probe" });
  // A filename names the code in tracebacks (else "<string>"): compile(source, filename, "exec").
  const code = filename === undefined ? source : new PyCall("builtins", "compile", [source, filename, "exec"]);
  const executed = new PyTuple([new PyCall("builtins", "exec", [code, namespace]), namespace]);
  return new PyCall("operator", "getitem", [new PyCall("operator", "getitem", [executed, 1]), name]);
}
