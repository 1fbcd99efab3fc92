import type { Expression } from "../../gen/spark/connect/expressions_pb.js";
import type { DataFrame } from "./dataframe/dataframe.js";
import type { DataTypeInput } from "../types/datatypes.js";
import { SQL_COGROUPED_MAP_ARROW_UDF, SQL_COGROUPED_MAP_PANDAS_UDF, vectorizedFunction } from "../python/vectorized.js";
import { requireServerVersion } from "./plans.js";

/** One side of a cogroup: a DataFrame and the expressions it was grouped by. */
export interface CogroupSide {
  df: DataFrame;
  grouping: readonly Expression[];
}

/**
 * `df1.groupBy(k).cogroup(df2.groupBy(k))`: both DataFrames grouped by the same key, each key's two
 * groups handed to one project function. Built as pyspark's Connect client builds it: a CoGroupMap
 * relation whose function takes no argument columns (the server hands it both inputs whole).
 */
export class PandasCogroupedOps {
  /** @internal Use GroupedData.cogroup(). */
  constructor(
    private readonly left: CogroupSide,
    private readonly right: CogroupSide,
  ) {}

  /**
   * A project function per key, by reference: it takes the two groups as pandas.DataFrames (optionally
   * preceded by the key tuple) and returns a pandas.DataFrame of `schema`.
   */
  applyInPandas(ref: string, schema: DataTypeInput): DataFrame {
    return this.coGroupMap("applyInPandas", ref, schema, SQL_COGROUPED_MAP_PANDAS_UDF);
  }

  /** Like applyInPandas, with the two groups as pyarrow.Tables and a pyarrow.Table returned. Spark 4.0+. */
  applyInArrow(ref: string, schema: DataTypeInput): DataFrame {
    requireServerVersion(this.left.df.core, "4.0", "cogroup(...).applyInArrow");
    return this.coGroupMap("applyInArrow", ref, schema, SQL_COGROUPED_MAP_ARROW_UDF);
  }

  private coGroupMap(method: string, ref: string, schema: DataTypeInput, evalType: number): DataFrame {
    const { left, right } = this;
    const func = vectorizedFunction(left.df.core, method, ref, schema, evalType);
    return left.df.derive({
      case: "coGroupMap",
      value: { input: left.df.relation, inputGroupingExpressions: [...left.grouping], other: right.df.relation, otherGroupingExpressions: [...right.grouping], func },
    });
  }
}
