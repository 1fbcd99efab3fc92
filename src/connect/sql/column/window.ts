import { create } from "@bufbuild/protobuf";
import {
  Expression_Window_WindowFrame_FrameBoundarySchema as FrameBoundarySchema,
  Expression_Window_WindowFrame_FrameType as FrameType,
  type Expression,
  type Expression_SortOrder,
  type Expression_Window_WindowFrame_FrameBoundary as FrameBoundary,
} from "../../../gen/spark/connect/expressions_pb.js";
import { Column, expression, toColumn, type ColumnOrName } from "./column.js";
import { describeJsValue } from "../../types/literal.js";

// pyspark's Window constants are the JVM's Long.MIN_VALUE / MAX_VALUE; as JS numbers both round to
// ±2^63, which still compare as pyspark's do (anything at or past them is unbounded).
const UNBOUNDED_PRECEDING = -(2 ** 63);
const UNBOUNDED_FOLLOWING = 2 ** 63;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

type Frame = { readonly rows: boolean; readonly start: number; readonly end: number };
type ColumnsArg = ColumnOrName[] | [readonly ColumnOrName[]];

/**
 * An immutable window specification (pyspark's WindowSpec): each method returns a new one. Start from
 * `Window.partitionBy(...)` / `Window.orderBy(...)` and apply it with `Column.over(spec)`.
 */
export class WindowSpec {
  /** @internal Use Window.partitionBy / orderBy / rowsBetween / rangeBetween. */
  constructor(
    private readonly partitions: readonly Expression[] = [],
    private readonly orders: readonly Expression_SortOrder[] = [],
    private readonly frame?: Frame,
  ) {}

  partitionBy(...cols: ColumnsArg): WindowSpec {
    return new WindowSpec(columns(cols).map((c) => c.expr), this.orders, this.frame);
  }

  /** Strings and Columns sort ascending unless they already carry an order (`col("x").desc()`). */
  orderBy(...cols: ColumnsArg): WindowSpec {
    return new WindowSpec(this.partitions, columns(cols).map(sortOrder), this.frame);
  }

  /** A frame of rows relative to the current one: `rowsBetween(Window.unboundedPreceding, Window.currentRow)`. */
  rowsBetween(start: number, end: number): WindowSpec {
    return new WindowSpec(this.partitions, this.orders, frame(true, start, end));
  }

  /** A frame of ordering-value offsets from the current row's value. */
  rangeBetween(start: number, end: number): WindowSpec {
    return new WindowSpec(this.partitions, this.orders, frame(false, start, end));
  }

  /** @internal The Window expression of `fn OVER (this)`, as pyspark's WindowExpression builds it. */
  over(fn: Expression): Expression {
    const f = this.frame;
    const frameSpec = f && {
      frameType: f.rows ? FrameType.ROW : FrameType.RANGE,
      lower: boundary(f.start, UNBOUNDED_PRECEDING, f.rows),
      upper: boundary(f.end, UNBOUNDED_FOLLOWING, f.rows),
    };
    return expression({
      case: "window",
      value: { windowFunction: fn, partitionSpec: [...this.partitions], orderSpec: [...this.orders], frameSpec },
    });
  }

  toString(): string {
    const f = this.frame;
    return `WindowSpec(partitions=${this.partitions.length}, orders=${this.orders.length}${f ? `, ${f.rows ? "rows" : "range"} ${f.start}..${f.end}` : ""})`;
  }
}

/** Entry points for window specs, as pyspark's `Window`. */
export const Window = Object.freeze({
  unboundedPreceding: UNBOUNDED_PRECEDING,
  unboundedFollowing: UNBOUNDED_FOLLOWING,
  currentRow: 0,
  partitionBy: (...cols: ColumnsArg): WindowSpec => new WindowSpec().partitionBy(...cols),
  orderBy: (...cols: ColumnsArg): WindowSpec => new WindowSpec().orderBy(...cols),
  rowsBetween: (start: number, end: number): WindowSpec => new WindowSpec().rowsBetween(start, end),
  rangeBetween: (start: number, end: number): WindowSpec => new WindowSpec().rangeBetween(start, end),
});

function columns(cols: ColumnsArg): Column[] {
  const list = cols.length === 1 && Array.isArray(cols[0]) ? (cols[0] as readonly ColumnOrName[]) : (cols as ColumnOrName[]);
  return list.map((c) => toColumn(c));
}

function sortOrder(c: Column): Expression_SortOrder {
  const e = c.expr.exprType;
  if (e.case === "sortOrder") return e.value;
  const asc = c.asc().expr.exprType;
  if (asc.case !== "sortOrder") throw new Error("asc() did not build a sort order");
  return asc.value;
}

function frame(rows: boolean, start: number, end: number): Frame {
  for (const [name, v] of [["start", start], ["end", end]] as const) {
    if (typeof v !== "number" || Number.isNaN(v) || (Number.isFinite(v) && !Number.isInteger(v))) {
      throw new TypeError(`${rows ? "rowsBetween" : "rangeBetween"}(start, end): ${name} must be an integer or a Window constant, got ${describeJsValue(v)}.`);
    }
  }
  return { rows, start, end };
}

// pyspark: 0 is CURRENT ROW, at or past the JVM's Long bounds is UNBOUNDED, anything else an offset
// literal (int for rows frames, which must fit in 32 bits; long for range frames).
function boundary(v: number, unbounded: number, rows: boolean): FrameBoundary {
  if (v === 0) return create(FrameBoundarySchema, { boundary: { case: "currentRow", value: true } });
  if (unbounded < 0 ? v <= unbounded : v >= unbounded) return create(FrameBoundarySchema, { boundary: { case: "unbounded", value: true } });
  if (rows && (v < INT32_MIN || v > INT32_MAX)) {
    throw new RangeError(`rowsBetween: a row offset must be between ${INT32_MIN} and ${INT32_MAX} (or a Window constant), got ${v}.`);
  }
  const literal = rows ? { case: "integer" as const, value: v } : { case: "long" as const, value: BigInt(v) };
  return create(FrameBoundarySchema, { boundary: { case: "value", value: expression({ case: "literal", value: { literalType: literal } }) } });
}
