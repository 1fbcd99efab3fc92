import type { Expression } from "../../gen/spark/connect/expressions_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Aggregate_GroupType, type Aggregate_GroupingSetsSchema, type Aggregate_PivotSchema } from "../../gen/spark/connect/relations_pb.js";
import { call, col, Column, toExpr } from "./column/column.js";
import type { DataFrame } from "./dataframe/dataframe.js";
import type { DataTypeInput } from "../types/datatypes.js";
import { SQL_GROUPED_MAP_ARROW_UDF, SQL_GROUPED_MAP_PANDAS_UDF, vectorizedFunction } from "../python/vectorized.js";
import { requireServerVersion } from "./plans.js";
import { PandasCogroupedOps } from "./cogrouped.js";
import type { UserDefinedFunction } from "../python/udf.js";
import { SparkConnectError } from "../errors.js";
import { describeJsValue, isPlainObject, toLiteral } from "../types/literal.js";

/** How the groups were formed (pyspark's group_type), plus pivot and grouping sets when used. */
export interface Grouping {
  type: Aggregate_GroupType;
  pivot?: MessageInitShape<typeof Aggregate_PivotSchema>;
  groupingSets?: MessageInitShape<typeof Aggregate_GroupingSetsSchema>[];
}

/**
 * The result of `df.groupBy(...)` (or cube, rollup, groupingSets): aggregate it with `agg(...)` or a shortcut.
 * Built like pyspark's Connect GroupedData: an Aggregate relation with the group type, pivot and sets.
 */
export class GroupedData {
  /** @internal Use DataFrame.groupBy(), cube(), rollup() or groupingSets(). */
  constructor(
    private readonly df: DataFrame,
    private readonly grouping: readonly Expression[],
    private readonly how: Grouping = { type: Aggregate_GroupType.GROUPBY },
  ) {}

  /**
   * One output column per value of `pivotCol` (per value and aggregate when there are several aggregates).
   * Without `values` the server first runs a job to find the distinct values; listing them saves that job
   * and fixes the column order. Only after groupBy(), as in pyspark.
   */
  pivot(pivotCol: string, values?: readonly (number | string | boolean)[]): GroupedData {
    if (this.how.type !== Aggregate_GroupType.GROUPBY) throw new TypeError("pivot() works only after groupBy(), not after cube(), rollup(), groupingSets() or another pivot().");
    if (typeof pivotCol !== "string") throw new TypeError(`pivot(pivotCol): pass a column name, got ${describeJsValue(pivotCol)}.`);
    if (values !== undefined && (!Array.isArray(values) || values.some((v) => !["number", "string", "boolean"].includes(typeof v)))) {
      throw new TypeError(`pivot(pivotCol, values): values must be an array of numbers, strings or booleans, got ${describeJsValue(values)}.`);
    }
    const pivot = { col: this.df.col(pivotCol).expr, values: (values ?? []).map((v) => toLiteral(v)) };
    return new GroupedData(this.df, this.grouping, { type: Aggregate_GroupType.PIVOT, pivot });
  }

  /**
   * `agg(sum("a"), max("b").alias("top"))`, or pyspark's dict form `agg({ a: "sum", b: "max" })`
   * (column → function name).
   */
  agg(...exprs: Column[] | [Record<string, string>]): DataFrame {
    if (exprs.length === 0) throw new TypeError("agg() needs at least one aggregate expression, e.g. agg(count(\"*\")).");
    const first = exprs[0];
    const measures =
      exprs.length === 1 && isPlainObject(first)
        ? Object.entries(first as Record<string, string>).map(([column, fn]) => new Column(call(fn, [col(column).expr])))
        : (exprs as unknown[]).map((e, i) => {
            if (!(e instanceof Column)) throw new TypeError(`agg(): argument ${i} is ${describeJsValue(e)}; pass Columns like sum("a"), or one { column: "function" } object.`);
            return e;
          });
    return this.aggregate(measures.map((m) => m.expr));
  }

  /** Rows per group, in a column named "count". */
  count(): DataFrame {
    return this.aggregate([new Column(call("count", [toExpr(1)])).alias("count").expr]);
  }

  /**
   * Shortcuts take the columns to aggregate. Unlike pyspark they do not default to "every numeric column",
   * which would need a schema round trip; name the columns.
   */
  sum(...cols: string[]): DataFrame {
    return this.numeric("sum", cols);
  }
  avg(...cols: string[]): DataFrame {
    return this.numeric("avg", cols);
  }
  mean(...cols: string[]): DataFrame {
    return this.numeric("avg", cols);
  }
  min(...cols: string[]): DataFrame {
    return this.numeric("min", cols);
  }
  max(...cols: string[]): DataFrame {
    return this.numeric("max", cols);
  }

  /**
   * A project function per group, by reference: it takes the group's rows as one pandas.DataFrame
   * (optionally preceded by the key tuple) and returns a pandas.DataFrame of `schema`.
   * Async: like pyspark, the function's arguments are the input's columns, which takes a schema call.
   */
  applyInPandas(ref: string, schema: DataTypeInput): Promise<DataFrame> {
    return this.groupMap("applyInPandas", ref, schema, SQL_GROUPED_MAP_PANDAS_UDF);
  }

  /**
   * A function per group, by reference, on Arrow: it takes the group's rows as one pyarrow.Table
   * (optionally preceded by the key tuple) and returns a pyarrow.Table of `schema`. Spark 4.0+.
   */
  async applyInArrow(ref: string, schema: DataTypeInput): Promise<DataFrame> {
    requireServerVersion(this.df.core, "4.0", "groupBy(...).applyInArrow");
    return this.groupMap("applyInArrow", ref, schema, SQL_GROUPED_MAP_ARROW_UDF);
  }

  /**
   * Deprecated in pyspark (use applyInPandas): applies a GROUPED_MAP pandas UDF,
   * `pandas_udf(ref, schema, PandasUDFType.GROUPED_MAP)`, per group.
   */
  apply(udf: UserDefinedFunction): Promise<DataFrame> {
    if (typeof udf !== "function" || udf.evalType !== SQL_GROUPED_MAP_PANDAS_UDF || udf.ref === undefined) {
      throw new SparkConnectError("groupBy(...).apply() takes a GROUPED_MAP pandas UDF.", {
        errorClass: "INVALID_UDF_EVAL_TYPE",
        messageParameters: { eval_type: "SQL_GROUPED_MAP_PANDAS_UDF" },
        fix: 'Make it with pandas_udf(ref, schema, PandasUDFType.GROUPED_MAP), or call applyInPandas(ref, schema).',
      });
    }
    return this.applyInPandas(udf.ref, udf.returnType);
  }

  /** Pairs these groups with another DataFrame's, grouped by the same key, for a function over both (applyInPandas, applyInArrow). */
  cogroup(other: GroupedData): PandasCogroupedOps {
    if (!(other instanceof GroupedData)) throw new TypeError(`cogroup(other): pass another DataFrame's groupBy(...), got ${describeJsValue(other)}.`);
    if (other.df.core !== this.df.core) throw new SparkConnectError("cogroup(other): both DataFrames must belong to the same SparkSession.", { errorClass: "SESSION_NOT_SAME" });
    return new PandasCogroupedOps({ df: this.df, grouping: this.grouping }, { df: other.df, grouping: other.grouping });
  }

  /** A GroupMap over the function by reference, called with every input column, as pyspark does. */
  private async groupMap(method: string, ref: string, schema: DataTypeInput, evalType: number): Promise<DataFrame> {
    vectorizedFunction(this.df.core, method, ref, schema, evalType); // bad input fails before the schema call
    const args = (await this.df.columns()).map((name) => col(`\`${name.replaceAll("`", "``")}\``).expr);
    const func = vectorizedFunction(this.df.core, method, ref, schema, evalType, args);
    return this.df.derive({ case: "groupMap", value: { input: this.df.relation, groupingExpressions: [...this.grouping], func } });
  }

  private numeric(fn: string, cols: string[]): DataFrame {
    if (cols.length === 0) throw new TypeError(`groupBy(...).${fn}() needs the columns to aggregate, e.g. ${fn}("amount").`);
    return this.aggregate(cols.map((c) => call(fn, [col(c).expr])));
  }

  private aggregate(aggregateExpressions: Expression[]): DataFrame {
    return this.df.derive({
      case: "aggregate",
      value: {
        input: this.df.relation,
        groupType: this.how.type,
        groupingExpressions: [...this.grouping],
        aggregateExpressions,
        pivot: this.how.pivot,
        groupingSets: this.how.groupingSets ?? [],
      },
    });
  }
}
