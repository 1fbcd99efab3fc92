import { create } from "@bufbuild/protobuf";
import { CommonInlineUserDefinedTableFunctionSchema, PythonUDTFSchema, type CommonInlineUserDefinedTableFunction } from "../../gen/spark/connect/relations_pb.js";
import { toColumn, type ColumnOrName } from "../sql/column/column.js";
import type { SessionCore } from "../core.js";
import { DataFrame } from "../sql/dataframe/dataframe.js";
import type { DataTypeInput } from "../types/datatypes.js";
import { SparkConnectError } from "../errors.js";
import { newRelation } from "../sql/plans.js";
import { markPlaceholder, pythonTarget } from "./udf.js";

/** pyspark's PythonEvalType for UDTFs: rows in and out, or Arrow batches (useArrow). */
export const SQL_TABLE_UDF = 300;
export const SQL_ARROW_TABLE_UDF = 301;

/** A table function: call it with argument columns (usually lit(...)) to get its rows as a DataFrame. */
export interface UserDefinedTableFunction {
  (...args: ColumnOrName[]): DataFrame;
  readonly udtfName: string;
}

/** spark.udtf: Python table functions (handler classes with eval()) by reference. */
export class UDTFRegistration {
  constructor(private readonly core: SessionCore) {}

  /**
   * A UDTF class from the project, by reference: `python("mylib.gen:Ranges", "n int, sq int")`.
   * `schema` is the struct of each output row; `useArrow` picks the Arrow-optimized eval type.
   */
  python(ref: string, schema: DataTypeInput, options: { useArrow?: boolean; deterministic?: boolean } = {}): UserDefinedTableFunction {
    const { target, outputType } = pythonTarget(this.core.udf?.pythonEnabled ?? false, "spark.udtf.python", ref, schema);
    if (target.returnType.type !== "struct") {
      throw new SparkConnectError(`spark.udtf.python("${ref}", ...): the schema must be a struct of the output columns, not ${target.returnType.type}.`, {
        errorClass: "INVALID_RESULT_SCHEMA",
        fix: 'Pass the output columns, e.g. "n int, square int".',
      });
    }
    // The worker reads the handler class alone (pyspark worker.read_udtf), so no type in the command.
    const commandRef = { ...target, returnTypeJson: undefined };
    const evalType = options.useArrow ? SQL_ARROW_TABLE_UDF : SQL_TABLE_UDF;
    const udtfName = target.qualname.slice(target.qualname.lastIndexOf(".") + 1);
    const toFunction = (name: string, args: ColumnOrName[]): CommonInlineUserDefinedTableFunction =>
      create(CommonInlineUserDefinedTableFunctionSchema, {
        functionName: name,
        deterministic: options.deterministic ?? true,
        arguments: args.map((a) => toColumn(a).expr),
        function: {
          case: "pythonUdtf",
          value: markPlaceholder(create(PythonUDTFSchema, { returnType: outputType, evalType, command: new Uint8Array(0), pythonVer: "" }), commandRef),
        },
      });
    const apply = (...args: ColumnOrName[]) =>
      new DataFrame(this.core, newRelation(this.core, { case: "commonInlineUserDefinedTableFunction", value: toFunction(udtfName, args) }));
    return Object.assign(apply, { udtfName });
  }
}
