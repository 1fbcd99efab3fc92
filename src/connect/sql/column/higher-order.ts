import type { Expression } from "../../../gen/spark/connect/expressions_pb.js";
import { describeJsValue } from "../../types/literal.js";
import { call, Column, expression, toColumn, type ColumnOrName } from "./column.js";

/**
 * Higher-order functions with JS lambdas, built as pyspark's Connect client builds its Python lambdas:
 * the function is called once, here, with fresh lambda variables (`x_0`, `y_1`, ...: unique so nested
 * lambdas don't capture each other's names), and the Column it returns becomes the body of a
 * LambdaFunction sent as the function's last arguments.
 *
 * Where pyspark inspects the Python function's arity (transform and filter: with or without the
 * index), the JS function's `length` decides. Elsewhere the lambda gets the arity Spark requires, so
 * `(k) => ...` works where Spark passes (key, value): JS ignores the extra argument.
 */
type Fn1 = (x: Column) => Column;
type Fn2 = (x: Column, y: Column) => Column;
type Fn3 = (x: Column, y: Column, z: Column) => Column;

let nextVariableId = 0;
const NAMES = ["x", "y", "z"];

function lambda(fn: unknown, arity: number, caller: string): Expression {
  if (typeof fn !== "function") throw new TypeError(`${caller}: pass a function from Columns to a Column, got ${describeJsValue(fn)}.`);
  const variables = NAMES.slice(0, arity).map((name) => ({ nameParts: [`${name}_${nextVariableId++}`] }));
  const args = variables.map((v) => new Column(expression({ case: "unresolvedNamedLambdaVariable", value: v })));
  const body: unknown = (fn as (...a: Column[]) => unknown)(...args);
  if (!(body instanceof Column)) {
    throw new TypeError(`${caller}: the function must return a Column (e.g. x.plus(1), lit(true)), got ${describeJsValue(body)}.`);
  }
  return expression({ case: "lambdaFunction", value: { function: body.expr, arguments: variables } });
}

/** pyspark's `len(signature.parameters)`, within what Spark takes: 1 or 2. */
function arityOf(fn: unknown): number {
  return typeof fn === "function" && fn.length >= 2 ? 2 : 1;
}

function higherOrder(name: string, cols: ColumnOrName[], lambdas: Expression[]): Column {
  return new Column(call(name, [...cols.map((c) => toColumn(c).expr), ...lambdas]));
}

/** Applies `f` to each element (`(x) => ...`) or to each element and its index (`(x, i) => ...`). */
export function transform(col: ColumnOrName, f: Fn2): Column {
  return higherOrder("transform", [col], [lambda(f, arityOf(f), "transform(col, f)")]);
}

/** Elements for which `f` holds; `(x, i) => ...` also gets the index. */
export function filter(col: ColumnOrName, f: Fn2): Column {
  return higherOrder("filter", [col], [lambda(f, arityOf(f), "filter(col, f)")]);
}

/** Whether `f` holds for any element. */
export function exists(col: ColumnOrName, f: Fn1): Column {
  return higherOrder("exists", [col], [lambda(f, 1, "exists(col, f)")]);
}

/** Whether `f` holds for every element. */
export function forall(col: ColumnOrName, f: Fn1): Column {
  return higherOrder("forall", [col], [lambda(f, 1, "forall(col, f)")]);
}

/** Folds the array from `initialValue` with `merge(acc, x)`, then applies `finish(acc)` if given. */
export function aggregate(col: ColumnOrName, initialValue: ColumnOrName, merge: Fn2, finish?: Fn1): Column {
  const lambdas = [lambda(merge, 2, "aggregate(col, initialValue, merge)")];
  if (finish !== undefined) lambdas.push(lambda(finish, 1, "aggregate(..., finish)"));
  return higherOrder("aggregate", [col, initialValue], lambdas);
}

/** The same as aggregate, under Spark's other name. */
export function reduce(col: ColumnOrName, initialValue: ColumnOrName, merge: Fn2, finish?: Fn1): Column {
  const lambdas = [lambda(merge, 2, "reduce(col, initialValue, merge)")];
  if (finish !== undefined) lambdas.push(lambda(finish, 1, "reduce(..., finish)"));
  return higherOrder("reduce", [col, initialValue], lambdas);
}

/** Merges two arrays element-wise with `f(x, y)`; the shorter is padded with nulls. */
export function zip_with(left: ColumnOrName, right: ColumnOrName, f: Fn2): Column {
  return higherOrder("zip_with", [left, right], [lambda(f, 2, "zip_with(left, right, f)")]);
}

/** Entries of the map for which `f(key, value)` holds. */
export function map_filter(col: ColumnOrName, f: Fn2): Column {
  return higherOrder("map_filter", [col], [lambda(f, 2, "map_filter(col, f)")]);
}

/** Merges two maps by key with `f(key, value1, value2)`. */
export function map_zip_with(col1: ColumnOrName, col2: ColumnOrName, f: Fn3): Column {
  return higherOrder("map_zip_with", [col1, col2], [lambda(f, 3, "map_zip_with(col1, col2, f)")]);
}

/** A map with each key replaced by `f(key, value)`. */
export function transform_keys(col: ColumnOrName, f: Fn2): Column {
  return higherOrder("transform_keys", [col], [lambda(f, 2, "transform_keys(col, f)")]);
}

/** A map with each value replaced by `f(key, value)`. */
export function transform_values(col: ColumnOrName, f: Fn2): Column {
  return higherOrder("transform_values", [col], [lambda(f, 2, "transform_values(col, f)")]);
}

/**
 * The array sorted ascending (nulls last), or by `comparator(left, right)`: a negative, zero or
 * positive integer Column, as in Java's Comparator.
 */
export function array_sort(col: ColumnOrName, comparator?: Fn2): Column {
  const lambdas = comparator === undefined ? [] : [lambda(comparator, 2, "array_sort(col, comparator)")];
  return higherOrder("array_sort", [col], lambdas);
}
