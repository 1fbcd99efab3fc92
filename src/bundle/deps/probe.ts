// What the workers are, asked with one tiny job: their platform and installed distributions.
// The UDF is builtins.eval applied to a literal expression, so nothing needs uploading first.
import { create } from "@bufbuild/protobuf";
import { tableFromIPC } from "apache-arrow";
import type { Plan } from "../../gen/spark/connect/base_pb.js";
import { PlanSchema } from "../../gen/spark/connect/base_pb.js";
import { pickle, PyCall, PyGlobal, PyTuple } from "../worker/pickle.js";
import { SparkConnectError } from "../../connect/errors.js";
import type { SparkSession } from "../../connect/session.js";
import { SQL_BATCHED_UDF } from "../../connect/python/udf.js";

export interface WorkerFacts {
  /** sysconfig.get_platform(), e.g. "linux-x86_64". */
  platform: string;
  /** Names of the distributions importable on the workers. */
  dists: string[];
  /** platform.libc_ver(), e.g. ["glibc", "2.36"]; absent from older probes. */
  libc?: string[];
}

const EXPRESSION =
  "__import__('json').dumps({'platform': __import__('sysconfig').get_platform(), 'libc': list(__import__('platform').libc_ver()), " +
  "'dists': sorted({d.metadata['Name'] or '' for d in __import__('importlib.metadata').metadata.distributions()})})";

export async function probeWorkers(session: SparkSession, pythonVer: string): Promise<WorkerFacts> {
  const command = pickle(new PyTuple([new PyGlobal("builtins", "eval"), new PyCall("pyspark.sql.types", "_parse_datatype_json_string", ['"string"'])]));
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
                    functionName: "sab_worker_facts",
                    deterministic: true,
                    arguments: [{ exprType: { case: "literal", value: { literalType: { case: "string", value: EXPRESSION } } } }],
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
    if (table.numRows > 0) return JSON.parse(String(table.getChildAt(0)!.get(0))) as WorkerFacts;
  }
  throw new SparkConnectError("The workers' platform probe returned no rows.", {
    fix: "Set dependencies.platforms and dependencies.serverHas explicitly.",
  });
}
