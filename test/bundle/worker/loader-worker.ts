// A reused Spark Python worker, simulated in one real Python process: tests prepend WORKER_PRELUDE
// to a script that calls task() with a session's includes like pyspark.worker_util does on every
// task, then load()s UDF commands with the worker's own serializer.
import { pythonUdfCommand } from "../../../src/bundle/worker/command.js";
import { runPython } from "../../helpers/python.js";

export const WORKER_PRELUDE = `
import importlib, json, os, sys
from pyspark.serializers import CPickleSerializer  # what pyspark.worker_util reads commands with
from pyspark.sql.types import ArrayType, DataType, IntegerType, StringType
cfg = json.load(sys.stdin)
out = {}
worker_serializer = CPickleSerializer()
def add_path(p):  # pyspark.worker_util.add_path, run for every include on every task
    if p not in sys.path:
        sys.path.insert(1, p)
def task(*includes):  # pyspark.worker_util.setup_spark_files
    for p in includes:
        add_path(p)
    importlib.invalidate_caches()
def load(name):
    return worker_serializer.loads(bytes.fromhex(cfg["commands"][name]))
def attempt(fn):
    try:
        return {"ok": fn()}
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, e), "cause": type(e.__cause__).__name__}
def origin(name):
    return getattr(sys.modules.get(name), "__file__", None)
def zips():
    return [os.path.basename(p) for p in sys.path if p.endswith(".zip") and "kit-" in p]
`;

/** Hex of the pickled UDF command that calls `loaderModule`.resolve(modulePath, functionName). */
export function udfCommand(loaderModule: string, modulePath: string, functionName: string, returnTypeJson = '"string"'): string {
  return Buffer.from(pythonUdfCommand({ loaderModule, modulePath, functionName, returnTypeJson })).toString("hex");
}

/** Runs WORKER_PRELUDE + script with cfg on stdin; the script must print json.dumps(out). */
export function runWorker(script: string, cfg: { commands: Record<string, string> } & Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(runPython(`${WORKER_PRELUDE}\n${script}`, JSON.stringify(cfg))) as Record<string, unknown>;
}

export type Attempt = { ok?: unknown; error?: string; cause?: string };
