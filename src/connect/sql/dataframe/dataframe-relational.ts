import { Join_JoinType } from "../../../gen/spark/connect/relations_pb.js";
import { call, Column, col } from "../column/column.js";
import { subqueryColumn, TableArg } from "../column/subquery.js";
import type { DataFrame } from "./dataframe.js";
import type { RunOptions } from "./dataframe-actions.js";
import { DataFramePhysical } from "./dataframe-physical.js";
import type { ExecutionInfo } from "./observation.js";
import { MergeIntoWriter } from "../merge.js";
import { requireServerVersion } from "../plans.js";
import { describeJsValue } from "../../types/literal.js";

const LATERAL_JOIN_TYPES: Record<string, Join_JoinType> = {
  inner: Join_JoinType.INNER,
  left: Join_JoinType.LEFT_OUTER,
  leftouter: Join_JoinType.LEFT_OUTER,
  cross: Join_JoinType.CROSS,
};

/**
 * The DataFrame as part of a bigger query (pyspark 4): subqueries (scalar, exists, asTable), lateral joins,
 * MERGE INTO, toJSON, and what the server reported about the last action (executionInfo).
 * A base class only to keep dataframe.ts readable; DataFrame is the one subclass.
 */
export abstract class DataFrameRelational extends DataFramePhysical {
  private lastExecutionInfo: ExecutionInfo | null = null;

  /**
   * The plan metrics and observed metrics of the last action run on this DataFrame (collect, toArrow,
   * toLocalIterator once drained, count, take/head/first/tail, isEmpty, show, createTempView & co., write,
   * writeTo, mergeInto), or null before any. pyspark 4's property; pyspark fills it only for collect, toArrow,
   * toPandas, views and writes.
   */
  get executionInfo(): ExecutionInfo | null {
    return this.lastExecutionInfo;
  }

  /** @internal The caller's options, plus a sink that keeps the action's ExecutionInfo on this DataFrame. */
  tracked<O extends object>(options: O | undefined): O & RunOptions {
    return { ...(options ?? ({} as O)), onExecutionInfo: (info: ExecutionInfo) => void (this.lastExecutionInfo = info) };
  }

  /**
   * This DataFrame as a scalar subquery: one row, one column, used as a value (Spark 4.0+).
   * `df.select(other.select(max("v")).scalar().alias("top"))`. Refer to the outer query's columns
   * through a qualified name or `outerDf.col(...)` (pyspark's `.outer()` is the same column).
   */
  scalar(): Column {
    requireServerVersion(this.core, "4.0", "scalar()");
    return subqueryColumn(this.relation, "scalar");
  }

  /** An EXISTS subquery over this DataFrame: true where it has rows (Spark 4.0+). */
  exists(): Column {
    requireServerVersion(this.core, "4.0", "exists()");
    return subqueryColumn(this.relation, "exists");
  }

  /** This DataFrame as a table argument of a table-valued function, e.g. a Python UDTF's `TABLE` input (Spark 4.0+). */
  asTable(): TableArg {
    requireServerVersion(this.core, "4.0", "asTable()");
    return new TableArg(this.relation);
  }

  /**
   * A lateral join (Spark 4.0+): `other` is evaluated for each row of this DataFrame and may refer to its
   * columns (by qualified name or `df.col(...)`). `how`: inner (default), left / left_outer, or cross.
   */
  lateralJoin(other: DataFrame, on?: Column, how?: string): DataFrame {
    if (other?.core !== this.core) throw new TypeError(`lateralJoin(other): pass a DataFrame of the same SparkSession, got ${describeJsValue(other)}.`);
    if (on !== undefined && on !== null && !(on instanceof Column)) throw new TypeError(`lateralJoin(other, on): on must be a Column condition, got ${describeJsValue(on)}.`);
    const joinType = how === undefined || how === null ? Join_JoinType.INNER : LATERAL_JOIN_TYPES[String(how).toLowerCase().replaceAll("_", "")];
    if (joinType === undefined) throw new TypeError(`lateralJoin(): unsupported join type "${how}"; use one of 'inner', 'leftouter', 'left', 'left_outer', 'cross'.`);
    requireServerVersion(this.core, "4.0", "lateralJoin()");
    return this.derive({ case: "lateralJoin", value: { left: this.relation, right: other.relation, joinCondition: on?.expr, joinType } });
  }

  /**
   * MERGE INTO `table` with this DataFrame as the source, matching rows where `condition` holds; add clauses
   * with whenMatched()/whenNotMatched()/whenNotMatchedBySource(), then `await merge()` (Spark 4.0+).
   */
  mergeInto(table: string, condition: Column): MergeIntoWriter {
    requireServerVersion(this.core, "4.0", "mergeInto()");
    return new MergeIntoWriter(this.core, this.relation, table, condition, this.tracked({}).onExecutionInfo);
  }

  /**
   * Each row as a JSON string, in one string column `value` (Scala's Dataset.toJSON; `to_json(struct(*))`,
   * so null fields are left out). pyspark's Connect client has no toJSON (it would return an RDD).
   */
  toJSON(): DataFrame {
    const json = call("to_json", [call("struct", [col("*").expr])]);
    return this.derive({ case: "project", value: { input: this.relation, expressions: [new Column(json).alias("value").expr] } });
  }
}
