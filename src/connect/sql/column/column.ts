import { create, isMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { RelationSchema, type Relation } from "../../../gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../../core.js";
import { requireServerVersion } from "../plans.js";
import { subqueryExpression } from "./subquery-ref.js";
import {
  Expression_Cast_EvalMode,
  SubqueryExpression_SubqueryType,
  Expression_SortOrder_NullOrdering as NullOrdering,
  Expression_SortOrder_SortDirection as SortDirection,
  ExpressionSchema,
  type Expression,
} from "../../../gen/spark/connect/expressions_pb.js";
import { toProto as toProtoDataType, type SparkDataType } from "../../types/datatypes.js";
import { expressionToString } from "./expression-string.js";
import type { WindowSpec } from "./window.js";
import { describeJsValue, toLiteral } from "../../types/literal.js";

/** A column name, or a Column. Strings are column references (never literals), as in pyspark. */
export type ColumnOrName = Column | string;

/**
 * A column expression: wraps a Spark Connect `Expression`. Operators become unresolved functions with
 * the names pyspark's Connect client uses ("==", "<", "+", "and", "not", "in", ...), so the server
 * resolves them exactly as for pyspark. Non-Column operands become literals (see literal.ts).
 */
export class Column {
  constructor(readonly expr: Expression) {}

  alias(...names: string[]): Column {
    if (names.length === 0) throw new TypeError("alias() needs at least one name.");
    return new Column(expression({ case: "alias", value: { expr: this.expr, name: names } }));
  }
  as(...names: string[]): Column {
    return this.alias(...names);
  }
  name(...names: string[]): Column {
    return this.alias(...names);
  }

  /** A DDL type string ("int", "decimal(10,2)") is sent for the server to parse; an object is sent typed. */
  cast(type: string | SparkDataType): Column {
    const castTo = typeof type === "string" ? { case: "typeStr" as const, value: type } : { case: "type" as const, value: toProtoType(type) };
    return new Column(expression({ case: "cast", value: { expr: this.expr, castToType: castTo } }));
  }
  astype(type: string | SparkDataType): Column {
    return this.cast(type);
  }
  /** Like cast, but null where the value does not convert (Spark 4.x; 3.5 ignores the mode and casts). */
  try_cast(type: string | SparkDataType): Column {
    const cast = this.cast(type).expr.exprType;
    if (cast.case !== "cast") throw new Error("cast() did not build a Cast");
    return new Column(expression({ case: "cast", value: { ...cast.value, evalMode: Expression_Cast_EvalMode.TRY } }));
  }

  /** This function or aggregate over a window: `sum("x").over(Window.partitionBy("k"))`. */
  over(window: WindowSpec): Column {
    if (typeof (window as { over?: unknown } | undefined)?.over !== "function") {
      throw new TypeError(`over(window): pass a WindowSpec from Window.partitionBy/orderBy/rowsBetween/rangeBetween, got ${describeJsValue(window)}.`);
    }
    return new Column(window.over(this.expr));
  }

  /** A struct with `fieldName` set to `col` (added or replaced). */
  withField(fieldName: string, col: Column): Column {
    if (typeof fieldName !== "string") throw new TypeError(`withField(fieldName, col): fieldName must be a string, got ${describeJsValue(fieldName)}.`);
    if (!(col instanceof Column)) throw new TypeError(`withField(fieldName, col): col must be a Column (use lit() for a value), got ${describeJsValue(col)}.`);
    return new Column(expression({ case: "updateFields", value: { structExpression: this.expr, fieldName, valueExpression: col.expr } }));
  }
  /** A struct without the named fields; pyspark nests one UpdateFields per name. */
  dropFields(...fieldNames: string[]): Column {
    if (fieldNames.length === 0) throw new TypeError("dropFields() needs at least one field name.");
    let expr = this.expr;
    for (const fieldName of fieldNames) {
      if (typeof fieldName !== "string") throw new TypeError(`dropFields(...fieldNames): names must be strings, got ${describeJsValue(fieldName)}.`);
      expr = expression({ case: "updateFields", value: { structExpression: expr, fieldName } });
    }
    return new Column(expr);
  }

  eq(other: unknown): Column {
    return binary("==", this, other);
  }
  /** pyspark sends `!=` as not(==). */
  ne(other: unknown): Column {
    return new Column(call("not", [binary("==", this, other).expr]));
  }
  neq(other: unknown): Column {
    return this.ne(other);
  }
  lt(other: unknown): Column {
    return binary("<", this, other);
  }
  le(other: unknown): Column {
    return binary("<=", this, other);
  }
  leq(other: unknown): Column {
    return this.le(other);
  }
  gt(other: unknown): Column {
    return binary(">", this, other);
  }
  ge(other: unknown): Column {
    return binary(">=", this, other);
  }
  geq(other: unknown): Column {
    return this.ge(other);
  }
  eqNullSafe(other: unknown): Column {
    return binary("<=>", this, other);
  }

  plus(other: unknown): Column {
    return binary("+", this, other);
  }
  minus(other: unknown): Column {
    return binary("-", this, other);
  }
  multiply(other: unknown): Column {
    return binary("*", this, other);
  }
  divide(other: unknown): Column {
    return binary("/", this, other);
  }
  mod(other: unknown): Column {
    return binary("%", this, other);
  }
  pow(other: unknown): Column {
    return binary("power", this, other);
  }
  negate(): Column {
    return unary("negative", this);
  }

  and(other: unknown): Column {
    return binary("and", this, other);
  }
  or(other: unknown): Column {
    return binary("or", this, other);
  }
  not(): Column {
    return unary("not", this);
  }
  bitwiseAND(other: unknown): Column {
    return binary("&", this, other);
  }
  bitwiseOR(other: unknown): Column {
    return binary("|", this, other);
  }
  bitwiseXOR(other: unknown): Column {
    return binary("^", this, other);
  }

  isNull(): Column {
    return unary("isNull", this);
  }
  isNotNull(): Column {
    return unary("isNotNull", this);
  }
  isNaN(): Column {
    return unary("isNaN", this);
  }
  /**
   * `isin(1, 2, 3)` or `isin([1, 2, 3])`, as pyspark accepts both; `isin(df)` is an IN subquery over df's one
   * column (a `struct(a, b)` on the left compares with df's columns; Spark 4.0+).
   */
  isin(...values: unknown[]): Column {
    if (values.length === 1 && isDataFrame(values[0])) return this.inSubquery(values[0]);
    const list = values.length === 1 && Array.isArray(values[0]) ? (values[0] as unknown[]) : values;
    return new Column(call("in", [this.expr, ...list.map(toExpr)]));
  }
  between(lower: unknown, upper: unknown): Column {
    return this.ge(lower).and(this.le(upper));
  }

  like(pattern: string): Column {
    return binary("like", this, pattern);
  }
  ilike(pattern: string): Column {
    return binary("ilike", this, pattern);
  }
  rlike(pattern: string): Column {
    return binary("rlike", this, pattern);
  }
  contains(other: unknown): Column {
    return binary("contains", this, other);
  }
  startswith(other: unknown): Column {
    return binary("startsWith", this, other);
  }
  endswith(other: unknown): Column {
    return binary("endsWith", this, other);
  }
  /** Alias of startswith (JS spelling). */
  startsWith(other: unknown): Column {
    return this.startswith(other);
  }
  /** Alias of endswith (JS spelling). */
  endsWith(other: unknown): Column {
    return this.endswith(other);
  }
  /** 1-based start, like SQL substr. Both arguments must be numbers, or both Columns (as pyspark requires). */
  substr(start: number | Column, length: number | Column): Column {
    if (typeof start !== typeof length) {
      throw new TypeError("substr(start, length): pass two numbers or two Columns, not a mix.");
    }
    return new Column(call("substr", [this.expr, toExpr(start), toExpr(length)]));
  }

  /** Array element by index, or map value by key. */
  getItem(key: unknown): Column {
    return new Column(expression({ case: "unresolvedExtractValue", value: { child: this.expr, extraction: toExpr(key) } }));
  }
  /** Struct field by name. */
  getField(name: string): Column {
    return this.getItem(name);
  }

  asc(): Column {
    return this.sortOrder(SortDirection.ASCENDING, NullOrdering.SORT_NULLS_FIRST);
  }
  asc_nulls_first(): Column {
    return this.asc();
  }
  asc_nulls_last(): Column {
    return this.sortOrder(SortDirection.ASCENDING, NullOrdering.SORT_NULLS_LAST);
  }
  desc(): Column {
    return this.sortOrder(SortDirection.DESCENDING, NullOrdering.SORT_NULLS_LAST);
  }
  desc_nulls_first(): Column {
    return this.sortOrder(SortDirection.DESCENDING, NullOrdering.SORT_NULLS_FIRST);
  }
  desc_nulls_last(): Column {
    return this.desc();
  }
  // camelCase spellings kept from before pyspark's names were added.
  ascNullsFirst(): Column {
    return this.asc_nulls_first();
  }
  ascNullsLast(): Column {
    return this.asc_nulls_last();
  }
  descNullsFirst(): Column {
    return this.desc_nulls_first();
  }
  descNullsLast(): Column {
    return this.desc_nulls_last();
  }
  /** pyspark's Column.transform: `f(this)`. */
  transform(f: (c: Column) => Column): Column {
    const out = f(this);
    if (!(out instanceof Column)) throw new TypeError(`transform(f): f must return a Column, got ${describeJsValue(out)}.`);
    return out;
  }
  /** Marks a correlated outer reference in pyspark 4; here, as there, the same expression. */
  outer(): Column {
    return new Column(this.expr);
  }

  /** Adds a branch to a CASE WHEN built by functions.when(); pyspark sends it as function "when". */
  when(condition: Column, value: unknown): Column {
    const args = this.openCaseWhenArgs("when");
    if (!(condition instanceof Column)) throw new TypeError(`when(condition, value): condition must be a Column, got ${describeJsValue(condition)}.`);
    return new Column(call("when", [...args, condition.expr, toExpr(value)]));
  }
  otherwise(value: unknown): Column {
    return new Column(call("when", [...this.openCaseWhenArgs("otherwise"), toExpr(value)]));
  }

  /** Readable SQL-like text, e.g. `(a > 1)`; for error messages and debugging. */
  toString(): string {
    return `Column<'${expressionToString(this.expr)}'>`;
  }

  private sortOrder(direction: SortDirection, nullOrdering: NullOrdering): Column {
    const child = this.expr.exprType.case === "sortOrder" ? this.expr.exprType.value.child : this.expr;
    return new Column(expression({ case: "sortOrder", value: { child, direction, nullOrdering } }));
  }

  private inSubquery(df: { core: SessionCore; relation: Relation }): Column {
    requireServerVersion(df.core, "4.0", "isin(DataFrame)");
    // pyspark sends a struct's fields as the values, so (a, b) IN (SELECT x, y ...) compares field by field.
    const e = this.expr.exprType;
    const inSubqueryValues = e.case === "unresolvedFunction" && e.value.functionName === "struct" ? e.value.arguments : [this.expr];
    return new Column(subqueryExpression(df.relation, { subqueryType: SubqueryExpression_SubqueryType.IN, inSubqueryValues }));
  }

  // A CASE WHEN still open for branches is "when" with (condition, value) pairs: an even argument count.
  private openCaseWhenArgs(method: string): Expression[] {
    const e = this.expr.exprType;
    if (e.case !== "unresolvedFunction" || e.value.functionName !== "when" || e.value.arguments.length % 2 !== 0) {
      throw new TypeError(`${method}() applies only to a Column made by when(), before otherwise(); start with functions.when(cond, value).`);
    }
    return e.value.arguments;
  }
}

type ExprTypeInit = NonNullable<Exclude<MessageInitShape<typeof ExpressionSchema>, Expression>["exprType"]>;

/** Builds an Expression from its oneof, e.g. `{ case: "alias", value: {...} }`. */
export function expression(exprType: ExprTypeInit): Expression {
  return create(ExpressionSchema, { exprType });
}

/** An unresolved function call, the form pyspark's Connect client sends for built-ins and operators. */
export function call(functionName: string, args: Expression[], isDistinct = false): Expression {
  return expression({ case: "unresolvedFunction", value: { functionName, arguments: args, isDistinct } });
}

/** A Column's expression, or a literal for any other value. */
export function toExpr(value: unknown): Expression {
  if (value instanceof Column) return value.expr;
  return expression({ case: "literal", value: toLiteral(value) });
}

/** A column reference by name: "*" and "t.*" are stars, anything else an unresolved attribute. */
export function col(name: string, planId?: bigint): Column {
  if (typeof name !== "string") throw new TypeError(`col(name): name must be a string, got ${describeJsValue(name)}.`);
  if (name === "*" || name.endsWith(".*")) {
    return new Column(expression({ case: "unresolvedStar", value: { unparsedTarget: name === "*" ? undefined : name, planId } }));
  }
  return new Column(expression({ case: "unresolvedAttribute", value: { unparsedIdentifier: name, planId } }));
}

/** Strings are column names; Columns pass through. */
export function toColumn(c: ColumnOrName): Column {
  if (c instanceof Column) return c;
  if (typeof c === "string") return col(c);
  throw new TypeError(`Expected a Column or a column name, got ${describeJsValue(c)}; wrap values with lit().`);
}

/** A DataFrame, recognized by shape: column.ts can't import dataframe.ts (it imports this file). */
function isDataFrame(v: unknown): v is { core: SessionCore; relation: Relation } {
  return typeof v === "object" && v !== null && "core" in v && isMessage((v as { relation?: unknown }).relation, RelationSchema);
}

function binary(op: string, left: Column, right: unknown): Column {
  return new Column(call(op, [left.expr, toExpr(right)]));
}

function unary(op: string, c: Column): Column {
  return new Column(call(op, [c.expr]));
}

function toProtoType(type: SparkDataType) {
  if (typeof type !== "object" || type === null || typeof type.type !== "string") {
    throw new TypeError(`cast(type): pass a type string like "int" or a type object like Types.integer, got ${describeJsValue(type)}.`);
  }
  return toProtoDataType(type);
}
