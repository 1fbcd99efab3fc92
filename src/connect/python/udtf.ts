import type { CommonInlineUserDefinedTableFunction } from "../../gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../core.js";
import { DataFrame } from "../sql/dataframe/dataframe.js";
import type { DataTypeInput } from "../types/datatypes.js";
import { SparkConnectError } from "../errors.js";
import { newRelation } from "../sql/plans.js";
import { pythonTarget, requireShipping } from "./udf.js";
import {
  addLiveHost,
  makeUdtf,
  removeLiveHost,
  SQL_ARROW_TABLE_UDF,
  SQL_TABLE_UDF,
  tableFunction,
  type TableFunctionHost,
  type UserDefinedTableFunction,
} from "./udtf-function.js";

export { SQL_ARROW_TABLE_UDF, SQL_ARROW_UDTF, SQL_TABLE_UDF, UserDefinedTableFunction } from "./udtf-function.js";

/** spark.udtf: Python table functions (handler classes with eval()) by reference. */
export class UDTFRegistration implements TableFunctionHost {
  constructor(private readonly core: SessionCore) {
    addLiveHost(this);
  }

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
    const evalType = options.useArrow ? SQL_ARROW_TABLE_UDF : SQL_TABLE_UDF;
    const toFunction = tableFunction(target, outputType, evalType, options.deterministic ?? true);
    const udtfName = target.qualname.slice(target.qualname.lastIndexOf(".") + 1);
    return makeUdtf(udtfName, evalType, ref, toFunction, (fn) => this.tableFunctionDataFrame(fn, ref));
  }

  /** @internal A UDTF call as a DataFrame of this session (session-less udtf() objects run here). */
  tableFunctionDataFrame(fn: CommonInlineUserDefinedTableFunction, ref: string): DataFrame {
    requireShipping(this.core.udf?.pythonEnabled ?? false, `The UDTF "${ref}"`);
    return new DataFrame(this.core, newRelation(this.core, { case: "commonInlineUserDefinedTableFunction", value: fn }));
  }

  /** @internal The session stopped: session-less UDTFs no longer run here. */
  close(): void {
    removeLiveHost(this);
  }
}
