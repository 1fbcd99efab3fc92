import type { DataFrame } from "./dataframe.js";
import type { ActionOptions } from "./dataframe-actions.js";
import { DataFrameReshape } from "./dataframe-reshape.js";
import type { DataTypeInput } from "../../types/datatypes.js";
import { SQL_MAP_ARROW_ITER_UDF, SQL_MAP_PANDAS_ITER_UDF, vectorizedFunction } from "../../python/vectorized.js";
import { foreachPartition, foreachRow } from "../../python/foreach.js";

/**
 * The project's Python over the DataFrame's partitions and rows, by reference ("module:function"):
 * mapInPandas, mapInArrow, foreach, foreachPartition (the bundle hook ships the code they call).
 * A base class only to keep dataframe.ts readable; DataFrame is the one subclass.
 */
export abstract class DataFramePython extends DataFrameReshape {
  /**
   * A project function over each partition, by reference: it takes an iterator of pandas.DataFrame
   * batches and yields pandas.DataFrames of `schema` ("id long, label string").
   */
  mapInPandas(ref: string, schema: DataTypeInput, options: { barrier?: boolean } = {}): DataFrame {
    return this.mapPartitions("mapInPandas", ref, schema, SQL_MAP_PANDAS_ITER_UDF, options.barrier);
  }

  /** Like mapInPandas, with an iterator of pyarrow.RecordBatch in and out. */
  mapInArrow(ref: string, schema: DataTypeInput, options: { barrier?: boolean } = {}): DataFrame {
    return this.mapPartitions("mapInArrow", ref, schema, SQL_MAP_ARROW_ITER_UDF, options.barrier);
  }

  /** Runs the project's function `ref` on each row (a pyspark Row) on the workers, for its side effects. */
  foreach(ref: string, options: ActionOptions = {}): Promise<void> {
    return foreachRow(this as unknown as DataFrame, ref, options);
  }

  /** Runs the project's function `ref` once per partition, with an iterator of the partition's rows. */
  foreachPartition(ref: string, options: ActionOptions = {}): Promise<void> {
    return foreachPartition(this as unknown as DataFrame, ref, options);
  }

  private mapPartitions(api: string, ref: string, schema: DataTypeInput, evalType: number, isBarrier?: boolean): DataFrame {
    const func = vectorizedFunction(this.core, api, ref, schema, evalType);
    return this.derive({ case: "mapPartitions", value: { input: this.relation, func, isBarrier } });
  }
}
