import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Expression_SortOrder, ExpressionSchema } from "../../../gen/spark/connect/expressions_pb.js";
import { Column, toColumn, toExpr, type ColumnOrName } from "../column/column.js";
import type { DataFrame } from "./dataframe.js";
import { DataFrameStatNa } from "./dataframe-stat-na.js";
import { randomSplitRelations, sampleRelation } from "./sampling.js";
import { requireInt32 } from "./show.js";
import { checkpoint, persist, StorageLevel, storageLevelOf, unpersist } from "./storage.js";
import { describeJsValue } from "../../types/literal.js";
import { requireServerVersion } from "../plans.js";

export type ColumnArgs = (ColumnOrName | readonly ColumnOrName[])[];

/** select("a", col("b")) and select(["a", "b"]) both work, as in pyspark. */
export function flatColumns(cols: ColumnArgs): Column[] {
  return cols.flat().map((c) => toColumn(c as ColumnOrName));
}

/** Sort orders as pyspark's _sort_col makes them: a plain column sorts ascending (nulls first). */
export function sortOrders(cols: ColumnArgs): Expression_SortOrder[] {
  return flatColumns(cols).map((c) => {
    const sorted = c.expr.exprType.case === "sortOrder" ? c : c.asc();
    if (sorted.expr.exprType.case !== "sortOrder") throw new Error("internal: asc() did not produce a sort order");
    return sorted.expr.exprType.value;
  });
}

/**
 * How a DataFrame's rows are partitioned, sampled and cached. A base class only to keep dataframe.ts
 * readable; DataFrame is the one subclass.
 */
export abstract class DataFramePhysical extends DataFrameStatNa {
  // ---- Caching: AnalyzePlan calls, as pyspark makes them; each resolves to this DataFrame ----

  /** persist() at pyspark's default level, MEMORY_AND_DISK_DESER. */
  cache(): Promise<DataFrame> {
    return this.persist();
  }

  /** Marks the plan for caching; the next job that runs it fills the cache. */
  async persist(storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_DESER): Promise<DataFrame> {
    await persist(this.core, this.relation, storageLevel);
    return this as unknown as DataFrame;
  }

  async unpersist(blocking = false): Promise<DataFrame> {
    await unpersist(this.core, this.relation, blocking);
    return this as unknown as DataFrame;
  }

  /** A method here (a property in pyspark), since asking the server is async. NONE when not cached. */
  storageLevel(): Promise<StorageLevel> {
    return storageLevelOf(this.core, this.relation);
  }

  /**
   * Saves the data in the checkpoint directory (spark.checkpoint.dir) and returns a DataFrame reading it,
   * with the lineage cut (Spark 4.0+).
   */
  async checkpoint(eager = true): Promise<DataFrame> {
    const relationId = await checkpoint(this.core, this.relation, false, eager);
    return this.derive({ case: "cachedRemoteRelation", value: { relationId } });
  }

  /** Like checkpoint(), kept in the executors' storage (faster, lost with an executor; Spark 4.0+). */
  async localCheckpoint(eager = true, storageLevel?: StorageLevel): Promise<DataFrame> {
    const relationId = await checkpoint(this.core, this.relation, true, eager, storageLevel);
    return this.derive({ case: "cachedRemoteRelation", value: { relationId } });
  }

  // ---- Sampling ----

  /**
   * `sample(fraction, seed?)` or `sample(withReplacement, fraction, seed?)`, pyspark's plan: the same seed
   * and partitioning give the same rows. Without a seed one is drawn now and kept in the plan.
   */
  sample(fraction: number, seed?: number | bigint): DataFrame;
  sample(withReplacement: boolean, fraction: number, seed?: number | bigint): DataFrame;
  sample(...args: (boolean | number | bigint | undefined)[]): DataFrame {
    return this.derive(sampleRelation(this.relation, args));
  }

  /** Splits the rows by `weights` (normalized), e.g. `randomSplit([0.8, 0.2], 42)`; parts are disjoint. */
  randomSplit(weights: readonly number[], seed?: number | bigint): DataFrame[] {
    return randomSplitRelations(this.relation, weights, seed).map((r) => this.derive(r));
  }

  // ---- Partitioning ----

  /** `repartition(n)` (round robin), `repartition(n, ...cols)` or `repartition(...cols)` (hash of cols). */
  repartition(numPartitions: number | ColumnOrName, ...cols: ColumnOrName[]): DataFrame {
    if (typeof numPartitions !== "number") return this.byExpression("repartition", undefined, flatColumns([numPartitions, ...cols]).map((c) => c.expr));
    requirePositive("repartition(numPartitions)", numPartitions);
    if (cols.length === 0) return this.derive({ case: "repartition", value: { input: this.relation, numPartitions, shuffle: true } });
    return this.byExpression("repartition", numPartitions, flatColumns(cols).map((c) => c.expr));
  }

  /** Range partitioning by the columns' sort order (ascending unless given a sort order). */
  repartitionByRange(numPartitions: number | ColumnOrName, ...cols: ColumnOrName[]): DataFrame {
    const [n, byCols] = typeof numPartitions === "number" ? [numPartitions, cols] : [undefined, [numPartitions, ...cols]];
    if (n !== undefined) requirePositive("repartitionByRange(numPartitions)", n);
    if (byCols.length === 0) throw new TypeError("repartitionByRange() needs at least one column.");
    const exprs = sortOrders(byCols).map((value) => ({ exprType: { case: "sortOrder" as const, value } }));
    return this.byExpression("repartitionByRange", n, exprs);
  }

  /**
   * Sends each row to the partition its `partitionIdCol` names (0 to numPartitions - 1), with no hashing
   * (Spark 4.1+); an id out of range fails the job.
   */
  repartitionById(numPartitions: number, partitionIdCol: ColumnOrName): DataFrame {
    requirePositive("repartitionById(numPartitions)", numPartitions);
    const child = toColumn(partitionIdCol).expr;
    requireServerVersion(this.core, "4.1", "repartitionById()");
    return this.byExpression("repartitionById", numPartitions, [{ exprType: { case: "directShufflePartitionId", value: { child } } }]);
  }

  /** Fewer partitions without a shuffle. */
  coalesce(numPartitions: number): DataFrame {
    requirePositive("coalesce(numPartitions)", numPartitions);
    return this.derive({ case: "repartition", value: { input: this.relation, numPartitions, shuffle: false } });
  }

  /** Sorts each partition, not globally. */
  sortWithinPartitions(...cols: ColumnArgs): DataFrame {
    const order = sortOrders(cols);
    if (order.length === 0) throw new TypeError("sortWithinPartitions() needs at least one column.");
    return this.derive({ case: "sort", value: { input: this.relation, order, isGlobal: false } });
  }

  /**
   * A hint for the planner: `hint("broadcast")`, `hint("repartition", 4)`, `hint("rebalance", col("a"))`.
   * Values are sent as literals, Columns as they are, one array as the parameter list (pyspark's rules).
   */
  hint(name: string, ...parameters: unknown[]): DataFrame {
    if (typeof name !== "string" || name === "") throw new TypeError("hint(name): pass the hint's name, e.g. \"broadcast\".");
    const params = parameters.length === 1 && Array.isArray(parameters[0]) ? (parameters[0] as unknown[]) : parameters;
    for (const p of params) {
      const ok = p instanceof Column || ["string", "number"].includes(typeof p) || (Array.isArray(p) && p.every((e) => ["string", "number"].includes(typeof e)));
      if (!ok) throw new TypeError(`hint("${name}", ...): a parameter must be a string, number, Column or array of strings/numbers, got ${describeJsValue(p)}.`);
    }
    return this.derive({ case: "hint", value: { input: this.relation, name, parameters: params.map(toExpr) } });
  }

  private byExpression(what: string, numPartitions: number | undefined, partitionExprs: MessageInitShape<typeof ExpressionSchema>[]): DataFrame {
    if (partitionExprs.length === 0) throw new TypeError(`${what}() needs a partition count or at least one column.`);
    return this.derive({ case: "repartitionByExpression", value: { input: this.relation, numPartitions, partitionExprs } });
  }
}

function requirePositive(what: string, n: number): void {
  requireInt32(what, n);
  if (n <= 0) throw new RangeError(`${what} must be positive, got ${n}.`);
}
