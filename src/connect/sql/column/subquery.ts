// DataFrames used as expressions: scalar and EXISTS subqueries, and table arguments (TableArg).
// How they travel is subquery-ref.ts.
import { SubqueryExpression_SubqueryType as SubqueryType, type Expression } from "../../../gen/spark/connect/expressions_pb.js";
import type { Relation } from "../../../gen/spark/connect/relations_pb.js";
import { Column, toColumn, type ColumnOrName } from "./column.js";
import { subqueryExpression } from "./subquery-ref.js";

/** A scalar (one row, one column) or EXISTS subquery over `relation`, as a Column. */
export function subqueryColumn(relation: Relation, type: "scalar" | "exists"): Column {
  return new Column(subqueryExpression(relation, { subqueryType: type === "scalar" ? SubqueryType.SCALAR : SubqueryType.EXISTS }));
}

/**
 * A DataFrame passed as a table argument to a table-valued function (pyspark's TableArg), made by
 * `df.asTable()`: `partitionBy(...)` or `withSinglePartition()`, then optionally `orderBy(...)`, say how the
 * function sees its rows. Immutable: each method returns a new TableArg.
 */
export class TableArg {
  /** @internal Use `df.asTable()`. */
  constructor(
    private readonly relation: Relation,
    private readonly options: { partitionSpec: Expression[]; orderSpec: Expression[]; withSinglePartition?: boolean } = { partitionSpec: [], orderSpec: [] },
  ) {}

  /** @internal The SUBQUERY_TYPE_TABLE_ARG expression a function call sends for this argument. */
  get expr(): Expression {
    const { partitionSpec, orderSpec, withSinglePartition } = this.options;
    const orders = orderSpec.map((e) => {
      if (e.exprType.case !== "sortOrder") throw new Error("internal: a TableArg order is not a sort order");
      return e.exprType.value;
    });
    return subqueryExpression(this.relation, {
      subqueryType: SubqueryType.TABLE_ARG,
      tableArgOptions: { partitionSpec, orderSpec: orders, withSinglePartition },
    });
  }

  /** Rows with equal values of the columns go to the same call of the function (PARTITION BY). */
  partitionBy(...cols: (ColumnOrName | readonly ColumnOrName[])[]): TableArg {
    if (this.isPartitioned()) throw new TypeError("Cannot call partitionBy() after partitionBy() or withSinglePartition() has been called.");
    const partitionSpec = [...this.options.partitionSpec, ...flat(cols).map((c) => c.expr)];
    return new TableArg(this.relation, { ...this.options, partitionSpec });
  }

  /** The order of rows within each partition (after partitionBy() or withSinglePartition()). */
  orderBy(...cols: (ColumnOrName | readonly ColumnOrName[])[]): TableArg {
    if (!this.isPartitioned()) throw new TypeError("Please call partitionBy() or withSinglePartition() before orderBy().");
    const orders = flat(cols).map((c) => (c.expr.exprType.case === "sortOrder" ? c : c.asc()).expr);
    return new TableArg(this.relation, { ...this.options, orderSpec: [...this.options.orderSpec, ...orders] });
  }

  /** All rows go to one call of the function. */
  withSinglePartition(): TableArg {
    if (this.isPartitioned()) throw new TypeError("Cannot call withSinglePartition() after partitionBy() or withSinglePartition() has been called.");
    return new TableArg(this.relation, { ...this.options, withSinglePartition: true });
  }

  private isPartitioned(): boolean {
    return this.options.partitionSpec.length > 0 || this.options.withSinglePartition === true;
  }
}

/** A function argument: a Column, a column name, or a TableArg (df.asTable()). */
export function argumentExpr(arg: ColumnOrName | TableArg): Expression {
  return arg instanceof TableArg ? arg.expr : toColumn(arg).expr;
}

function flat(cols: (ColumnOrName | readonly ColumnOrName[])[]): Column[] {
  return cols.flat().map((c) => toColumn(c as ColumnOrName));
}
