import type { Table } from "apache-arrow";
import { Aggregate_GroupType, Join_JoinType, SetOperation_SetOpType, type Relation } from "../../../gen/spark/connect/relations_pb.js";
import { col, Column, type ColumnOrName } from "../column/column.js";
import type { SessionCore } from "../../core.js";
import {
  collectRows,
  countAll,
  countReturnedRows,
  createView,
  executeToArrow,
  localIterator,
  type ActionOptions,
  type CollectOptions,
} from "./dataframe-actions.js";
import { flatColumns, sortOrders, type ColumnArgs } from "./dataframe-physical.js";
import { DataFramePython } from "./dataframe-python.js";
import { Observation, registerObservation } from "./observation.js";
import { expr } from "../column/functions.js";
import { GroupedData } from "../grouped.js";
import { describeJsValue } from "../../types/literal.js";
import { newRelation, requireServerVersion, type RelTypeInit } from "../plans.js";
import { requireInt32, showString } from "./show.js";
import { DataFrameWriter, DataFrameWriterV2 } from "../writer.js";

/** pyspark's join type names (after lower-casing and dropping "_") → the protocol's join types. */
const JOIN_TYPES: Record<string, Join_JoinType> = {
  inner: Join_JoinType.INNER,
  outer: Join_JoinType.FULL_OUTER,
  full: Join_JoinType.FULL_OUTER,
  fullouter: Join_JoinType.FULL_OUTER,
  left: Join_JoinType.LEFT_OUTER,
  leftouter: Join_JoinType.LEFT_OUTER,
  right: Join_JoinType.RIGHT_OUTER,
  rightouter: Join_JoinType.RIGHT_OUTER,
  semi: Join_JoinType.LEFT_SEMI,
  leftsemi: Join_JoinType.LEFT_SEMI,
  anti: Join_JoinType.LEFT_ANTI,
  leftanti: Join_JoinType.LEFT_ANTI,
  cross: Join_JoinType.CROSS,
};
const JOIN_TYPE_NAMES =
  "inner, outer, full, fullouter, full_outer, left, leftouter, left_outer, right, rightouter, right_outer, " +
  "semi, leftsemi, left_semi, anti, leftanti, left_anti, cross";

/**
 * A lazy Spark DataFrame: a Relation plan plus the session that runs it. Transformations return new
 * DataFrames without contacting the server; actions (collect, count, show, write...) execute the plan.
 * Built as pyspark's Connect client builds its plans (see its dataframe.py / plan.py).
 */
export class DataFrame extends DataFramePython {
  constructor(
    readonly core: SessionCore,
    readonly relation: Relation,
  ) {
    super();
  }

  /** The session this DataFrame belongs to. */
  get sparkSession(): SessionCore {
    return this.core;
  }

  /** This plan's id; columns from `df.col()` carry it so self-joins resolve to the right side. */
  get planId(): bigint | undefined {
    return this.relation.common?.planId;
  }

  /** @internal A DataFrame for a new relation of this session. */
  derive(relType: RelTypeInit): DataFrame {
    return new DataFrame(this.core, newRelation(this.core, relType));
  }

  /** A column of this DataFrame (pyspark's `df["name"]`); "*" selects all of its columns. */
  col(name: string): Column {
    return col(name, this.planId);
  }

  select(...cols: ColumnArgs): DataFrame {
    return this.derive({ case: "project", value: { input: this.relation, expressions: flatColumns(cols).map((c) => c.expr) } });
  }

  selectExpr(...exprs: (string | readonly string[])[]): DataFrame {
    return this.select(...exprs.flat().map((e) => expr(e)));
  }

  /** Keeps rows matching a Column condition or a SQL expression string. */
  filter(condition: Column | string): DataFrame {
    const c = typeof condition === "string" ? expr(condition) : condition;
    if (!(c instanceof Column)) throw new TypeError(`filter(condition): pass a Column or a SQL string, got ${describeJsValue(condition)}.`);
    return this.derive({ case: "filter", value: { input: this.relation, condition: c.expr } });
  }
  where(condition: Column | string): DataFrame {
    return this.filter(condition);
  }

  withColumn(name: string, column: Column): DataFrame {
    return this.withColumns({ [name]: column });
  }

  withColumns(columns: Record<string, Column> | ReadonlyMap<string, Column>): DataFrame {
    const entries = columns instanceof Map ? [...columns] : Object.entries(columns);
    if (entries.length === 0) throw new TypeError("withColumns() needs at least one column.");
    const aliases = entries.map(([name, c]) => {
      if (!(c instanceof Column)) throw new TypeError(`withColumn("${name}", ...): the value must be a Column (use lit() for constants), got ${describeJsValue(c)}.`);
      return { expr: c.expr, name: [name] };
    });
    return this.derive({ case: "withColumns", value: { input: this.relation, aliases } });
  }

  withColumnRenamed(existing: string, newName: string): DataFrame {
    return this.withColumnsRenamed({ [existing]: newName });
  }

  /** Uses `rename_columns_map`, the form both Spark 3.5 and 4.x read. */
  withColumnsRenamed(renames: Record<string, string>): DataFrame {
    return this.derive({ case: "withColumnsRenamed", value: { input: this.relation, renameColumnsMap: { ...renames } } });
  }

  drop(...cols: ColumnOrName[]): DataFrame {
    const columns = cols.filter((c): c is Column => c instanceof Column).map((c) => c.expr);
    const columnNames = cols.filter((c): c is string => typeof c === "string");
    if (columns.length + columnNames.length !== cols.length) throw new TypeError("drop(): pass column names or Columns.");
    return this.derive({ case: "drop", value: { input: this.relation, columns, columnNames } });
  }

  limit(n: number): DataFrame {
    requireInt32("limit(n)", n);
    return this.derive({ case: "limit", value: { input: this.relation, limit: n } });
  }

  offset(n: number): DataFrame {
    requireInt32("offset(n)", n);
    return this.derive({ case: "offset", value: { input: this.relation, offset: n } });
  }

  /** A global sort; plain columns sort ascending with nulls first, as in Spark. */
  orderBy(...cols: ColumnArgs): DataFrame {
    const order = sortOrders(cols);
    if (order.length === 0) throw new TypeError("orderBy() needs at least one column.");
    return this.derive({ case: "sort", value: { input: this.relation, order, isGlobal: true } });
  }
  sort(...cols: ColumnArgs): DataFrame {
    return this.orderBy(...cols);
  }

  groupBy(...cols: ColumnArgs): GroupedData {
    return new GroupedData(
      this,
      flatColumns(cols).map((c) => c.expr),
    );
  }
  /** Groups by every combination of the columns (subtotals for all subsets), nulls marking "all". */
  cube(...cols: ColumnArgs): GroupedData {
    return new GroupedData(this, flatColumns(cols).map((c) => c.expr), { type: Aggregate_GroupType.CUBE });
  }
  /** Hierarchical subtotals: (a, b), (a), (). */
  rollup(...cols: ColumnArgs): GroupedData {
    return new GroupedData(this, flatColumns(cols).map((c) => c.expr), { type: Aggregate_GroupType.ROLLUP });
  }
  /** Groups by each listed set, e.g. `groupingSets([["a", "b"], ["a"], []], "a", "b")` (Spark 4.0+). */
  groupingSets(groupingSets: readonly (readonly ColumnOrName[])[], ...cols: ColumnOrName[]): GroupedData {
    if (!Array.isArray(groupingSets) || groupingSets.some((set) => !Array.isArray(set))) throw new TypeError("groupingSets(groupingSets, ...cols): pass an array of column arrays first.");
    requireServerVersion(this.core, "4.0", "groupingSets()");
    const sets = groupingSets.map((set) => ({ groupingSet: flatColumns([set]).map((c) => c.expr) }));
    return new GroupedData(this, flatColumns(cols).map((c) => c.expr), { type: Aggregate_GroupType.GROUPING_SETS, groupingSets: sets });
  }

  groupby(...cols: ColumnArgs): GroupedData {
    return this.groupBy(...cols);
  }
  /** Aggregates the whole DataFrame: `df.agg(max("a"))` is `df.groupBy().agg(max("a"))`. */
  agg(...exprs: Column[] | [Record<string, string>]): DataFrame {
    return this.groupBy().agg(...exprs);
  }

  distinct(): DataFrame {
    return this.derive({ case: "deduplicate", value: { input: this.relation, allColumnsAsKeys: true } });
  }

  drop_duplicates(subset?: readonly string[]): DataFrame {
    return this.dropDuplicates(subset);
  }
  dropDuplicates(subset?: readonly string[]): DataFrame {
    if (subset === undefined) return this.distinct();
    if (!Array.isArray(subset) || subset.some((s) => typeof s !== "string")) throw new TypeError("dropDuplicates(subset): pass an array of column names.");
    return this.derive({ case: "deduplicate", value: { input: this.relation, columnNames: [...subset] } });
  }

  /** Spark's union: by position, keeping duplicates (UNION ALL). */
  union(other: DataFrame): DataFrame {
    return this.setOp(other, SetOperation_SetOpType.UNION, { isAll: true });
  }
  unionAll(other: DataFrame): DataFrame {
    return this.union(other);
  }
  unionByName(other: DataFrame, allowMissingColumns = false): DataFrame {
    return this.setOp(other, SetOperation_SetOpType.UNION, { isAll: true, byName: true, allowMissingColumns });
  }
  intersect(other: DataFrame): DataFrame {
    return this.setOp(other, SetOperation_SetOpType.INTERSECT, { isAll: false });
  }
  intersectAll(other: DataFrame): DataFrame {
    return this.setOp(other, SetOperation_SetOpType.INTERSECT, { isAll: true });
  }
  exceptAll(other: DataFrame): DataFrame {
    return this.setOp(other, SetOperation_SetOpType.EXCEPT, { isAll: true });
  }
  /** Rows not in `other`, without duplicates (SQL EXCEPT DISTINCT). */
  subtract(other: DataFrame): DataFrame {
    return this.setOp(other, SetOperation_SetOpType.EXCEPT, { isAll: false });
  }

  /**
   * `on`: a column name or names (a USING join) or a Column condition (several are ANDed).
   * `how`: inner (default), left, right, full/outer, left_semi, left_anti, cross, and pyspark's spellings.
   */
  join(other: DataFrame, on?: string | readonly string[] | Column | readonly Column[], how = "inner"): DataFrame {
    this.requireSameSession(other, "join");
    const joinType = JOIN_TYPES[String(how).toLowerCase().replaceAll("_", "")];
    if (joinType === undefined) throw new TypeError(`join(): unsupported join type "${how}"; use one of ${JOIN_TYPE_NAMES}.`);
    const ons = on === undefined ? [] : Array.isArray(on) ? (on as readonly (string | Column)[]) : [on as string | Column];
    const usingColumns = ons.filter((o): o is string => typeof o === "string");
    const conditions = ons.filter((o): o is Column => o instanceof Column);
    if (usingColumns.length + conditions.length !== ons.length || (usingColumns.length > 0 && conditions.length > 0)) {
      throw new TypeError("join(on): pass column names (string or string[]) or Column conditions, not a mix.");
    }
    const joinCondition = conditions.length === 0 ? undefined : conditions.reduce((a, b) => a.and(b)).expr;
    return this.derive({
      case: "join",
      value: { left: this.relation, right: other.relation, joinType, usingColumns, joinCondition },
    });
  }

  crossJoin(other: DataFrame): DataFrame {
    return this.join(other, undefined, "cross");
  }

  /** Names this DataFrame for qualified column references, e.g. `df.alias("a")` then `col("a.id")`. */
  alias(name: string): DataFrame {
    return this.derive({ case: "subqueryAlias", value: { input: this.relation, alias: name } });
  }

  /** `df.transform(f, ...args)` is `f(df, ...args)`, for chaining your own steps. */
  transform<A extends unknown[]>(func: (df: DataFrame, ...args: A) => DataFrame, ...args: A): DataFrame {
    if (typeof func !== "function") throw new TypeError("transform(func): pass a function from DataFrame to DataFrame.");
    const result = func(this, ...args);
    if (!(result instanceof DataFrame)) throw new TypeError(`transform(func): the function returned ${describeJsValue(result)}, not a DataFrame.`);
    return result;
  }

  /**
   * Named aggregate metrics computed while an action runs: with an Observation, read them from
   * `observation.get` after the action; with a name, they are reported only to listeners on the server.
   * Each expression needs an alias: `observe(obs, count(lit(1)).alias("rows"))`.
   */
  observe(observation: Observation | string, ...exprs: Column[]): DataFrame {
    if (exprs.length === 0) throw new TypeError("observe(observation, ...exprs): pass at least one aggregate expression.");
    exprs.forEach((e, i) => {
      if (!(e instanceof Column)) throw new TypeError(`observe(): expression ${i} is ${describeJsValue(e)}, not a Column.`);
    });
    const isObservation = observation instanceof Observation;
    if (!isObservation && (typeof observation !== "string" || observation === "")) throw new TypeError("observe(observation): pass an Observation or a non-empty name.");
    const name = isObservation ? observation.attach() : observation;
    const df = this.derive({ case: "collectMetrics", value: { input: this.relation, name, metrics: exprs.map((e) => e.expr) } });
    const aliases = exprs.map((e, i) => (e.expr.exprType.case === "alias" ? e.expr.exprType.value.name.join(".") : `metric${i}`));
    if (isObservation) registerObservation(df.relation, observation, aliases);
    return df;
  }

  // ---- Actions ----

  /**
   * All rows: plain objects keyed by column name (type mapping: arrow/decode.ts), or with
   * `{ rowsAs: "array" }` arrays in column order. Where two columns share a name (a self-join's
   * `SELECT *`), an object row keeps the first one's value, as pyspark's `row["name"]` does; arrays keep all.
   */
  collect(options: CollectOptions & { rowsAs: "array" }): Promise<unknown[][]>;
  collect(options?: CollectOptions): Promise<Record<string, unknown>[]>;
  collect(options?: CollectOptions): Promise<Record<string, unknown>[] | unknown[][]> {
    return collectRows(this.core, this.relation, this.tracked(options));
  }
  /**
   * The rows as they arrive, decoded one Arrow batch at a time, so memory stays bounded by a batch:
   * `for await (const row of df.toLocalIterator())`. `prefetchPartitions` is accepted for pyspark's
   * signature; the server streams the result anyway. Leaving the loop early cancels the rest.
   */
  toLocalIterator(prefetchPartitions?: boolean, options?: CollectOptions & { rowsAs?: "object" }): AsyncIterable<Record<string, unknown>>;
  toLocalIterator(prefetchPartitions: boolean, options: CollectOptions & { rowsAs: "array" }): AsyncIterable<unknown[]>;
  toLocalIterator(prefetchPartitions = false, options?: CollectOptions): AsyncIterable<Record<string, unknown> | unknown[]> {
    if (typeof prefetchPartitions !== "boolean") throw new TypeError(`toLocalIterator(prefetchPartitions) must be a boolean, got ${String(prefetchPartitions)}.`);
    return localIterator(this.core, this.relation, this.tracked(options));
  }
  /** The last `num` rows (the server collects them; keep `num` small). */
  tail(num: number, options?: ActionOptions): Promise<Record<string, unknown>[]> {
    requireInt32("tail(num)", num);
    return collectRows(this.core, this.derive({ case: "tail", value: { input: this.relation, limit: num } }).relation, this.tracked(options)) as Promise<Record<string, unknown>[]>;
  }
  toArrow(options?: ActionOptions): Promise<Table> {
    return executeToArrow(this.core, this.relation, this.tracked(options));
  }
  /** The row count as a number; throws if it exceeds Number.MAX_SAFE_INTEGER. */
  count(options?: ActionOptions): Promise<number> {
    return countAll(this.core, this.relation, this.tracked(options));
  }
  take(n: number, options?: ActionOptions): Promise<Record<string, unknown>[]> {
    return collectRows(this.core, this.limit(n).relation, this.tracked(options)) as Promise<Record<string, unknown>[]>;
  }
  head(): Promise<Record<string, unknown> | null>;
  head(n: number, options?: ActionOptions): Promise<Record<string, unknown>[]>;
  async head(n?: number, options?: ActionOptions): Promise<Record<string, unknown>[] | Record<string, unknown> | null> {
    if (n === undefined) return this.first();
    return this.take(n, options);
  }
  /** The first row, or null when there is none. */
  async first(options?: ActionOptions): Promise<Record<string, unknown> | null> {
    return (await this.take(1, options))[0] ?? null;
  }
  async isEmpty(options?: ActionOptions): Promise<boolean> {
    return (await countReturnedRows(this.core, this.select().limit(1).relation, this.tracked(options))) === 0n;
  }
  /** The table `show()` prints, formatted by the server exactly as Spark does. */
  showString(n = 20, truncate: boolean | number = true, vertical = false, options?: ActionOptions): Promise<string> {
    return showString(this.core, this.relation, n, truncate, vertical, options?.signal, this.tracked(options).onExecutionInfo);
  }
  /** Prints the first `n` rows as Spark does and returns the printed text. */
  async show(n = 20, truncate: boolean | number = true, vertical = false, options?: ActionOptions): Promise<string> {
    const text = await this.showString(n, truncate, vertical, options);
    console.log(text);
    return text;
  }

  createTempView(name: string): Promise<void> {
    return createView(this.core, this.relation, name, { isGlobal: false, replace: false }, this.tracked({}));
  }
  createOrReplaceTempView(name: string): Promise<void> {
    return createView(this.core, this.relation, name, { isGlobal: false, replace: true }, this.tracked({}));
  }
  /** Deprecated in pyspark since 2.0: createOrReplaceTempView. */
  registerTempTable(name: string): Promise<void> {
    return this.createOrReplaceTempView(name);
  }
  createGlobalTempView(name: string): Promise<void> {
    return createView(this.core, this.relation, name, { isGlobal: true, replace: false }, this.tracked({}));
  }
  createOrReplaceGlobalTempView(name: string): Promise<void> {
    return createView(this.core, this.relation, name, { isGlobal: true, replace: true }, this.tracked({}));
  }

  /** Batch writes by path or table (DataFrameWriter); each access starts a fresh writer. */
  get write(): DataFrameWriter {
    return new DataFrameWriter(this.core, this.relation, this.tracked({}).onExecutionInfo);
  }
  /** V2 table writes: `df.writeTo("t").using("parquet").create()`. */
  writeTo(table: string): DataFrameWriterV2 {
    return new DataFrameWriterV2(this.core, this.relation, table, this.tracked({}).onExecutionInfo);
  }

  private setOp(other: DataFrame, setOpType: SetOperation_SetOpType, flags: { isAll: boolean; byName?: boolean; allowMissingColumns?: boolean }): DataFrame {
    this.requireSameSession(other, "set operation");
    return this.derive({
      case: "setOp",
      value: {
        leftInput: this.relation,
        rightInput: other.relation,
        setOpType,
        isAll: flags.isAll,
        byName: flags.byName ?? false,
        allowMissingColumns: flags.allowMissingColumns ?? false,
      },
    });
  }

  private requireSameSession(other: DataFrame, what: string): void {
    if (!(other instanceof DataFrame)) throw new TypeError(`${what}: the other side must be a DataFrame, got ${describeJsValue(other)}.`);
    if (other.core !== this.core) throw new Error(`${what}: both DataFrames must come from the same SparkSession.`);
  }
}
