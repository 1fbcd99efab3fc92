import { create } from "@bufbuild/protobuf";
import type { Plan } from "../../gen/spark/connect/base_pb.js";
import { runCommand, serverPredates } from "../sql/plans.js";
import {
  CommonInlineUserDefinedFunctionSchema,
  PythonUDFSchema,
  type CommonInlineUserDefinedFunction,
  type Expression,
  type PythonUDF,
} from "../../gen/spark/connect/expressions_pb.js";
import { call, Column, expression, toColumn, type ColumnOrName } from "../sql/column/column.js";
import type { DataType } from "../../gen/spark/connect/types_pb.js";
import { fromProto, toProto, type DataTypeInput, type SparkDataType } from "../types/datatypes.js";
import { toJSON } from "../types/datatypes-json.js";
import { SparkConnectError } from "../errors.js";
import type { SessionCore } from "../core.js";
import { parseTypeString } from "../types/typestring.js";

/** pyspark's PythonEvalType.SQL_BATCHED_UDF: a row-at-a-time scalar UDF. */
export const SQL_BATCHED_UDF = 100;
/** pyspark's PythonEvalType.SQL_ARROW_BATCHED_UDF: a row-at-a-time UDF fed through Arrow (udf(..., { useArrow: true })). */
export const SQL_ARROW_BATCHED_UDF = 101;
/** pyspark's PythonEvalType.SQL_SCALAR_PANDAS_UDF: pandas.Series in, pandas.Series out, per Arrow batch. */
export const SQL_SCALAR_PANDAS_UDF = 200;

/** A function of the workers' python/foreach.py that the project's function is handed to (foreach, foreachPartition). */
export type PythonWrapper = "foreach_row" | "foreach_partition";

/** What a Python UDF placeholder refers to; the bundle hook turns it into a command per job. */
export interface PythonFunctionRef {
  /** "pkg.module:function" as written by the user. */
  ref: string;
  module: string;
  /** May be dotted: "Class.method". */
  qualname: string;
  returnType: SparkDataType;
  /**
   * Spark's JSON form, what pyspark's _parse_datatype_json_string reads; the command is then
   * (func, return_type). Absent for UDTFs, whose command is the class alone.
   */
  returnTypeJson?: string;
  /** Hand the function to this worker-side wrapper instead of calling it directly. */
  wrapper?: PythonWrapper;
}

/** A message whose command (and python_ver) the bundle hook fills: PythonUDF, PythonUDTF or PythonDataSource. */
export interface PythonPlaceholder {
  command: Uint8Array;
  pythonVer: string;
  /** PythonUDF's and PythonUDTF's; a data source's has none. */
  evalType?: number;
}

const PLACEHOLDER_TYPES = new Set(["spark.connect.PythonUDF", "spark.connect.PythonUDTF", "spark.connect.PythonDataSource"]);

// The command bytes and python_ver depend on the bundle and server current when a
// job runs, not when the UDF was defined, so they are filled in just before sending.
const placeholders = new WeakMap<PythonPlaceholder, PythonFunctionRef>();

/** Marks `message` as a placeholder for `ref`, to be filled per job. */
export function markPlaceholder<T extends PythonPlaceholder>(message: T, ref: PythonFunctionRef): T {
  placeholders.set(message, ref);
  return message;
}

/** Every Python placeholder (UDF or UDTF) in a plan, with what it refers to. */
export function pythonUdfPlaceholders(root: Plan | object): Array<{ udf: PythonPlaceholder; ref: PythonFunctionRef }> {
  const found: Array<{ udf: PythonPlaceholder; ref: PythonFunctionRef }> = [];
  const seen = new Set<object>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== "object" || seen.has(node) || node instanceof Uint8Array) return;
    seen.add(node);
    if (PLACEHOLDER_TYPES.has((node as { $typeName?: string }).$typeName ?? "")) {
      const ref = placeholders.get(node as PythonPlaceholder);
      if (ref) found.push({ udf: node as PythonPlaceholder, ref });
      return;
    }
    for (const value of Array.isArray(node) ? node : Object.values(node)) walk(value);
  };
  walk(root);
  return found;
}

// Eval types Spark 4.1 introduced (arrow_udf's three kinds, arrow_udtf). Spark 4.0 doesn't refuse them: it
// fails planning with "[INTERNAL_ERROR] Cannot generate code for expression" (measured on 4.0.5).
const SINCE_SPARK_41 = new Set([250, 251, 252, 302]);

/** Refuses, before anything is sent, a placeholder whose kind the server's Spark predates. Unknown versions pass. */
export function requireEvalTypesSupported(placeholders: ReturnType<typeof pythonUdfPlaceholders>, version: string | undefined): void {
  if (!serverPredates(version, "4.1")) return;
  const found = placeholders.find(({ udf }) => SINCE_SPARK_41.has(udf.evalType ?? 0));
  if (!found) return;
  const feature = found.udf.evalType === 302 ? "arrow_udtf" : "arrow_udf";
  throw new SparkConnectError(`${feature}("${found.ref.ref}") needs Spark 4.1+; this server runs Spark ${version}.`, {
    errorClass: "UNSUPPORTED_BY_SERVER_VERSION",
    messageParameters: { feature, serverVersion: String(version), minimumVersion: "4.1" },
    fix: feature === "arrow_udf" ? "Use a Spark 4.1+ server, or pandas_udf with the same function on pandas objects." : "Use a Spark 4.1+ server, or udtf(ref, { useArrow: true }).",
  });
}

/**
 * Refuses a plan holding a Python placeholder no hook filled: a UDF made without a session (udf(),
 * pandas_udf()) used on a session that does not ship the project's code. Called by the session only
 * when no auto-bundle is installed, so bundled sessions pay no extra walk.
 */
export function requireFilledPlaceholders(root: Plan | object): void {
  const unfilled = pythonUdfPlaceholders(root).find(({ udf }) => udf.command.length === 0);
  if (unfilled) throw notShippingError(`The Python function "${unfilled.ref.ref}"`);
}

/** Refuses a by-reference Python feature on a session that does not ship the project's code. */
export function requireShipping(pythonEnabled: boolean, subject: string): void {
  if (!pythonEnabled) throw notShippingError(subject);
}

function notShippingError(subject: string): SparkConnectError {
  return new SparkConnectError(`${subject} needs the project's code on the cluster, and this session does not ship it.`, {
    errorClass: "AUTOBUNDLE_NOT_ENABLED",
    fix: "Wrap the session first: `const spark = withAutoBundle(await SparkSession.builder().getOrCreate())`.",
  });
}

/** Checks the session ships code and parses `ref` and its type: what every by-reference Python feature starts from. */
export function pythonTarget(
  pythonEnabled: boolean,
  api: string,
  ref: string,
  returnType: DataTypeInput,
): { target: PythonFunctionRef; outputType: DataType } {
  requireShipping(pythonEnabled, `${api}("${ref}")`);
  return parsePythonTarget(ref, returnType);
}

/** pythonTarget without the session check: for what is made before any session (udf(), udtf()); the session checks when it runs. */
export function parsePythonTarget(ref: string, returnType: DataTypeInput): { target: PythonFunctionRef; outputType: DataType } {
  const { module, qualname } = parseFunctionRef(ref);
  const type = typeof returnType === "string" ? fromProto(parseTypeString(returnType)) : returnType;
  return { target: { ref, module, qualname, returnType: type, returnTypeJson: toJSON(type) }, outputType: toProto(type) };
}

/** A PythonUDF whose command the bundle hook fills per job (any eval type: the command is always (func, return_type)). */
export function pythonUdfPlaceholder(target: PythonFunctionRef, outputType: DataType, evalType: number): PythonUDF {
  return markPlaceholder(create(PythonUDFSchema, { outputType, evalType, command: new Uint8Array(0), pythonVer: "" }), target);
}

/** A callable UDF: apply it to columns (or column names) to get a Column. */
export interface UserDefinedFunction {
  (...columns: ColumnOrName[]): Column;
  readonly udfName: string;
  readonly returnType: SparkDataType;
  readonly deterministic: boolean;
  /** pyspark's PythonEvalType (100 row at a time, 200 scalar pandas, 201 grouped map, ...); absent for UDFs called by name. */
  readonly evalType?: number;
  /** The "module:function" reference; absent for UDFs called by name. */
  readonly ref?: string;
  /** @internal The function message, named as given. */
  readonly toFunction: (name: string, args: Expression[]) => CommonInlineUserDefinedFunction;
}

/**
 * The class of every UDF object (pyspark's UserDefinedFunction), for `instanceof`. The objects are
 * functions (call one on columns to get a Column), so they are made by udf(), pandas_udf(),
 * spark.udf.python(), never with `new`.
 */
export const UserDefinedFunction = function UserDefinedFunction(): never {
  throw new TypeError('Make a UDF with udf("module:function", returnType) or spark.udf.python(...), not with new.');
} as unknown as { new (): never; readonly prototype: UserDefinedFunction };
Object.setPrototypeOf(UserDefinedFunction.prototype, Function.prototype);

/**
 * A UDF of the project's function `ref`, needing no session (pyspark's udf() needs none either): the
 * bundle hook of the session it runs on fills the command; a session without one refuses the plan.
 */
export function pythonUdf(
  ref: string,
  returnType: DataTypeInput,
  evalType: number,
  options: { deterministic?: boolean; name?: string } = {},
  parsed = parsePythonTarget(ref, returnType),
): UserDefinedFunction {
  const { target, outputType } = parsed;
  const deterministic = options.deterministic ?? true;
  const toFunction = (name: string, args: Expression[]) =>
    create(CommonInlineUserDefinedFunctionSchema, {
      functionName: name,
      deterministic,
      arguments: args,
      function: { case: "pythonUdf", value: pythonUdfPlaceholder(target, outputType, evalType) },
    });
  const { qualname } = target;
  const udf = makeUdf(options.name ?? qualname.slice(qualname.lastIndexOf(".") + 1), target.returnType, deterministic, toFunction);
  return Object.assign(udf, { evalType, ref });
}

/** Runs a registration command on the session (bypassing nothing: hooks fill placeholders). */
export type CommandRunner = (fn: CommonInlineUserDefinedFunction) => Promise<void>;

/** spark.udf: Python UDFs by reference, SQL registration, and Java UDFs from uploaded jars. */
export class UDFRegistration {
  /** Set by withAutoBundle: Python UDFs need a bundle to resolve against. */
  pythonEnabled = false;
  /** SQL-registered Python UDFs, so a new bundle can re-register them with fresh code. */
  readonly registeredPython = new Map<string, UserDefinedFunction>();

  constructor(private readonly core: SessionCore) {}

  /**
   * A Python function from the project, by reference: `python("mylib.text:normalize", "string")`.
   * `returnType` is a type string ("array<int>", "struct<a:int,b:string>") or a type object.
   */
  python(ref: string, returnType: DataTypeInput, options: { deterministic?: boolean; name?: string } = {}): UserDefinedFunction {
    return this.byReference("python", ref, returnType, SQL_BATCHED_UDF, options);
  }

  /**
   * A scalar pandas UDF from the project, by reference: `pandas("mylib.vec:scaled", "double")`.
   * The function takes and returns pandas.Series (a batch of rows at a time); the server needs pandas and pyarrow.
   */
  pandas(ref: string, returnType: DataTypeInput, options: { deterministic?: boolean; name?: string } = {}): UserDefinedFunction {
    return this.byReference("pandas", ref, returnType, SQL_SCALAR_PANDAS_UDF, options);
  }

  private byReference(
    kind: string,
    ref: string,
    returnType: DataTypeInput,
    evalType: number,
    options: { deterministic?: boolean; name?: string },
  ): UserDefinedFunction {
    return pythonUdf(ref, returnType, evalType, options, pythonTarget(this.pythonEnabled, `spark.udf.${kind}`, ref, returnType));
  }

  /** Makes `udf` callable from SQL as `name`; returns a UDF that calls it by that name. */
  async register(name: string, udf: UserDefinedFunction): Promise<UserDefinedFunction> {
    await this.runRegistration(udf.toFunction(name, []));
    this.registeredPython.set(name, udf);
    return byName(name, udf.returnType, udf.deterministic);
  }

  /** Registers a Java/Scala UDF class (from an uploaded jar) as `name`, callable from SQL and as a function. */
  async java(name: string, className: string, returnType?: DataTypeInput): Promise<UserDefinedFunction> {
    const outputType = returnType === undefined ? undefined : toProto(typeof returnType === "string" ? fromProto(parseTypeString(returnType)) : returnType);
    const fn = create(CommonInlineUserDefinedFunctionSchema, {
      functionName: name,
      deterministic: true,
      function: { case: "javaUdf", value: { className, outputType, aggregate: false } },
    });
    await this.runRegistration(fn);
    return byName(name, outputType ? fromProto(outputType) : { type: "null" }, true);
  }

  /** @internal Registers a function message with Command.register_function. */
  async runRegistration(fn: CommonInlineUserDefinedFunction): Promise<void> {
    await runCommand(this.core, { case: "registerFunction", value: fn });
  }
}

function makeUdf(
  udfName: string,
  returnType: SparkDataType,
  deterministic: boolean,
  toFunction: (name: string, args: Expression[]) => CommonInlineUserDefinedFunction,
): UserDefinedFunction {
  const apply = (...columns: ColumnOrName[]) =>
    new Column(expression({ case: "commonInlineUserDefinedFunction", value: toFunction(udfName, columns.map((c) => toColumn(c).expr)) }));
  return Object.assign(Object.setPrototypeOf(apply, UserDefinedFunction.prototype) as typeof apply, { udfName, returnType, deterministic, toFunction });
}

function byName(name: string, returnType: SparkDataType, deterministic: boolean): UserDefinedFunction {
  const apply = (...columns: ColumnOrName[]) => new Column(call(name, columns.map((c) => toColumn(c).expr)));
  const toFunction = () => {
    throw new SparkConnectError(`UDF "${name}" is already registered by name; register the original UDF object instead.`);
  };
  return Object.assign(Object.setPrototypeOf(apply, UserDefinedFunction.prototype) as typeof apply, { udfName: name, returnType, deterministic, toFunction });
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits "pkg.module:function" (function may be "Class.method"), with a clear error for anything else. */
export function parseFunctionRef(ref: string): { module: string; qualname: string } {
  const colon = ref.indexOf(":");
  const module = colon < 0 ? "" : ref.slice(0, colon);
  const qualname = colon < 0 ? "" : ref.slice(colon + 1);
  const valid = (dotted: string) => dotted.length > 0 && dotted.split(".").every((part) => IDENTIFIER.test(part));
  if (!valid(module) || !valid(qualname)) {
    throw new SparkConnectError(`"${ref}" is not a Python function reference.`, {
      errorClass: "INVALID_FUNCTION_REFERENCE",
      fix: 'Write it as "package.module:function", e.g. "mylib.text:normalize" (the module path as you would import it, a colon, then the function).',
    });
  }
  return { module, qualname };
}
