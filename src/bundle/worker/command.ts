import { FOREACH_PY } from "../../gen/embedded.js";
import type { PythonWrapper } from "../../connect/python/udf.js";
import { pickle, PyCall, PyTuple } from "./pickle.js";
import { definedIn } from "./probe.js";

export interface PythonUdfCommandArgs {
  /** Module at the bundle's root whose `resolve(module_path, function_name)` imports the UDF on the worker. */
  loaderModule: string;
  /** Dotted module path of the UDF, e.g. "mylib.text". */
  modulePath: string;
  /** Function inside that module; dotted for nested attributes, e.g. "Tokenizer.split". */
  functionName: string;
  /**
   * Spark's JSON form of the UDF's return type, e.g. '{"type":"array","elementType":"integer","containsNull":true}'.
   * Absent: the command is the resolved object alone (UDTF handler classes; the JVM sends their type).
   */
  returnTypeJson?: string;
  /**
   * Names of artifacts in the session's working directory (zips, unpacked archive directories) the
   * worker imports the UDF's dependencies from, passed as resolve's third argument; absent: none passed.
   */
  importFrom?: readonly string[];
  /**
   * A function of python/foreach.py the project's function is handed to, as
   * `functools.partial(wrapper, func)` (foreach and foreachPartition); absent: the function itself.
   */
  wrapper?: PythonWrapper;
}

const WRAPPERS: ReadonlySet<string> = new Set<PythonWrapper>(["foreach_row", "foreach_partition"]);

const DOTTED_NAME = /^[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

/**
 * The `PythonUDF.command` bytes: a pickle the worker loads (pyspark worker.read_command) into
 * `(func, return_type)`, built as
 * `(<loaderModule>.resolve(modulePath, functionName), pyspark.sql.types._parse_datatype_json_string(returnTypeJson))`
 * so both halves are computed on the worker. `_parse_datatype_json_string` exists in pyspark 3.x and 4.x.
 */
export function pythonUdfCommand(args: PythonUdfCommandArgs): Uint8Array {
  const { loaderModule, modulePath, functionName, returnTypeJson, importFrom, wrapper } = args;
  requireDottedName(loaderModule, "loaderModule", "_sab_loader_0123456789ab");
  requireDottedName(modulePath, "modulePath", "mylib.text");
  requireDottedName(functionName, "functionName", "tokenize");
  for (const name of importFrom ?? []) requireEntryName(name);
  const resolvedFn = new PyCall(loaderModule, "resolve", importFrom ? [modulePath, functionName, new PyTuple(importFrom)] : [modulePath, functionName]);
  if (wrapper !== undefined && !WRAPPERS.has(wrapper)) throw new TypeError(`pythonUdfCommand: wrapper ${JSON.stringify(wrapper)} is not one of ${[...WRAPPERS].join(", ")}`);
  // The wrapper's source travels in the pickle, so the bundle (and its cached archive) stays as it is.
  const resolved = wrapper === undefined ? resolvedFn : new PyCall("functools", "partial", [definedIn(FOREACH_PY, wrapper, "<spark-autobundle foreach.py>"), resolvedFn]);
  if (returnTypeJson === undefined) return pickle(resolved);
  requireJson(returnTypeJson);
  return pickle(
    new PyTuple([
      resolved,
      new PyCall("pyspark.sql.types", "_parse_datatype_json_string", [returnTypeJson]),
    ]),
  );
}

function requireDottedName(value: string, field: string, example: string): void {
  if (typeof value !== "string" || !DOTTED_NAME.test(value)) {
    throw new TypeError(
      `pythonUdfCommand: ${field} ${JSON.stringify(value)} is not a dotted Python name; pass something like "${example}"`,
    );
  }
}

function requireEntryName(name: string): void {
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new TypeError(`pythonUdfCommand: importFrom entry ${JSON.stringify(name)} must be a plain file or directory name, e.g. "deps-0123456789ab.zip"`);
  }
}

function requireJson(returnTypeJson: string): void {
  if (typeof returnTypeJson !== "string") {
    throw new TypeError("pythonUdfCommand: returnTypeJson must be a string of Spark's JSON type, e.g. '\"string\"'");
  }
  try {
    JSON.parse(returnTypeJson);
  } catch (error) {
    throw new TypeError(
      `pythonUdfCommand: returnTypeJson is not JSON (${(error as Error).message}); pass Spark's JSON type ` +
        `(DataType.json()), e.g. '"string"' or '{"type":"array","elementType":"integer","containsNull":true}'`,
      { cause: error },
    );
  }
}
