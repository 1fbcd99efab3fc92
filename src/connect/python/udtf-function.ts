// What a Python UDTF is, apart from the session that runs it: the function message, the class of the
// callable objects, and the sessions a session-less udtf() can run on. Kept apart from udtf.ts, which
// makes DataFrames, so sql/column/functions.ts can export udtf() without an import cycle.
import { create } from "@bufbuild/protobuf";
import { CommonInlineUserDefinedTableFunctionSchema, PythonUDTFSchema, type CommonInlineUserDefinedTableFunction } from "../../gen/spark/connect/relations_pb.js";
import type { DataType } from "../../gen/spark/connect/types_pb.js";
import type { ColumnOrName } from "../sql/column/column.js";
import { argumentExpr, type TableArg } from "../sql/column/subquery.js";

/** A UDTF argument: a Column, a column name, or a DataFrame as a table (`df.asTable()`, Spark 4.0+). */
export type UdtfArgument = ColumnOrName | TableArg;
import type { DataFrame } from "../sql/dataframe/dataframe.js";
import { SparkConnectError } from "../errors.js";
import { markPlaceholder, type PythonFunctionRef } from "./udf.js";

/** pyspark's PythonEvalType for UDTFs: rows in and out, Arrow-optimized rows (useArrow), or pyarrow batches (arrow_udtf, Spark 4.1+). */
export const SQL_TABLE_UDF = 300;
export const SQL_ARROW_TABLE_UDF = 301;
export const SQL_ARROW_UDTF = 302;

/** A table function: call it with argument columns (usually lit(...)) to get its rows as a DataFrame. */
export interface UserDefinedTableFunction {
  (...args: UdtfArgument[]): DataFrame;
  readonly udtfName: string;
  /** 300 (rows), 301 (useArrow) or 302 (arrow_udtf). */
  readonly evalType: number;
  /** The "module:Class" reference. */
  readonly ref: string;
  /** @internal The function message, named as given. */
  readonly toFunction: (name: string, args: UdtfArgument[]) => CommonInlineUserDefinedTableFunction;
}

/** The class of every UDTF object (pyspark's UserDefinedTableFunction), for `instanceof`; made by udtf() or spark.udtf.python(). */
export const UserDefinedTableFunction = function UserDefinedTableFunction(): never {
  throw new TypeError('Make a UDTF with udtf("module:Class", { returnType }) or spark.udtf.python(...), not with new.');
} as unknown as { new (): never; readonly prototype: UserDefinedTableFunction };
Object.setPrototypeOf(UserDefinedTableFunction.prototype, Function.prototype);

/**
 * The message of a UDTF call: a PythonUDTF placeholder whose command (the handler class alone, as
 * pyspark's worker.read_udtf reads it) the bundle hook fills. `outputType` unset: the class's analyze() decides.
 */
export function tableFunction(target: PythonFunctionRef, outputType: DataType | undefined, evalType: number, deterministic: boolean) {
  const commandRef = { ...target, returnTypeJson: undefined };
  return (name: string, args: UdtfArgument[]): CommonInlineUserDefinedTableFunction =>
    create(CommonInlineUserDefinedTableFunctionSchema, {
      functionName: name,
      deterministic,
      arguments: args.map(argumentExpr),
      function: {
        case: "pythonUdtf",
        value: markPlaceholder(create(PythonUDTFSchema, { returnType: outputType, evalType, command: new Uint8Array(0), pythonVer: "" }), commandRef),
      },
    });
}

/** Makes the callable UDTF object: `run` turns one call's function message into a DataFrame. */
export function makeUdtf(
  udtfName: string,
  evalType: number,
  ref: string,
  toFunction: (name: string, args: UdtfArgument[]) => CommonInlineUserDefinedTableFunction,
  run: (fn: CommonInlineUserDefinedTableFunction) => DataFrame,
): UserDefinedTableFunction {
  const apply = (...args: UdtfArgument[]) => run(toFunction(udtfName, args));
  return Object.assign(Object.setPrototypeOf(apply, UserDefinedTableFunction.prototype) as typeof apply, { udtfName, evalType, ref, toFunction });
}

/** A session's side of a session-less UDTF call (UDTFRegistration). */
export interface TableFunctionHost {
  /** The DataFrame of the call, on this session (which must ship the project's code). */
  tableFunctionDataFrame(fn: CommonInlineUserDefinedTableFunction, ref: string): DataFrame;
}

// Sessions in the order they were made; stop() takes one out. Like pyspark's SparkSession.active(),
// a UDTF made by udtf() runs on the newest live one.
const live: TableFunctionHost[] = [];

/** @internal A new session's registration. */
export function addLiveHost(host: TableFunctionHost): void {
  live.push(host);
}

/** @internal A stopped session's registration. */
export function removeLiveHost(host: TableFunctionHost): void {
  const i = live.lastIndexOf(host);
  if (i >= 0) live.splice(i, 1);
}

/** The session a session-less UDTF call runs on: the newest one not stopped. */
export function activeHost(ref: string): TableFunctionHost {
  const host = live.at(-1);
  if (host) return host;
  throw new SparkConnectError(`The UDTF "${ref}" was called with no live SparkSession to run on.`, {
    errorClass: "NO_ACTIVE_SESSION",
    fix: "Create the session first (SparkSession.builder().getOrCreate(), wrapped with withAutoBundle); a UDTF made by udtf() runs on the newest live session.",
  });
}
