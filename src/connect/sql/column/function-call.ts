import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ExpressionSchema, type Expression } from "../../../gen/spark/connect/expressions_pb.js";
import { toJSON as dataTypeJson } from "../../types/datatypes-json.js";
import { Types } from "../../types/datatypes.js";
import { describeJsValue, isPlainObject, toLiteral } from "../../types/literal.js";
import { call, Column, col, expression } from "./column.js";

/**
 * The runtime half of the generated function library (src/gen/functions.ts): each generated wrapper
 * hands its arguments and its spec, recorded from pyspark 4.1 itself (scripts/extract-functions.py),
 * to `invokeSpec`, which builds the same unresolved-function tree pyspark's Connect client sends.
 *
 * A parameter's kind says how a JS value becomes an expression, following pyspark's annotations:
 * ColumnOrName strings are column names; int/str/bool/Any parameters are literals; a float parameter
 * is always a double literal.
 */
export type ParamKind =
  | "col" // ColumnOrName: a string is a column name
  | "column" // Column (a string is still taken as a column name, as pyspark's _to_col does)
  | "col_or_int" // ColumnOrName or int: a number is a literal
  | "col_or_float" // ColumnOrName or float: a number is a double literal
  | "int"
  | "number" // int or float: the JS value decides
  | "float"
  | "str"
  | "bool"
  | "any"
  | "schema" // DDL string, a type object (sent as its JSON, as pyspark does) or a Column
  | "options" // Mapping[str, str]: sent as map(k1, v1, ...) of strings
  | "float_or_list"; // a float or a list of floats (percentile's percentage)

/** [name, kind, flags]: "?" optional, "?n" optional with default None (null means absent too), "*" variadic. */
export type ParamSpec = readonly [name: string, kind: ParamKind, flags?: "?" | "?n" | "*"];
/** A parameter by name, a fixed literal (protobuf JSON), a fixed column, or a nested call. */
export type ArgTemplate = string | { readonly lit: JsonValue } | { readonly col: string } | CallTemplate;
export interface CallTemplate {
  readonly fn: string;
  readonly args: readonly ArgTemplate[];
  readonly distinct?: true;
}
export interface FunctionSpec {
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** One call per set of optional parameters given: pyspark may send another function (log(x) is ln(x)). */
  readonly variants: readonly (readonly [given: readonly string[], call: CallTemplate])[];
}

export function invokeSpec(spec: FunctionSpec, values: readonly unknown[]): Column {
  const bound = new Map<string, Expression[]>();
  const given: string[] = [];
  spec.params.forEach(([name, kind, flags], i) => {
    let value = values[i];
    if (flags === "*") {
      let rest = (value ?? []) as unknown[];
      // array(a, b) and array([a, b]) alike, as pyspark's *cols accept one list.
      if (kind === "col" && rest.length === 1 && Array.isArray(rest[0])) rest = rest[0] as unknown[];
      bound.set(name, rest.map((v) => toArgument(spec.name, name, kind, v)));
      return;
    }
    const absent = value === undefined || (flags === "?n" && value === null);
    if (flags === undefined && value === undefined) {
      throw new TypeError(`${spec.name}(): missing argument ${name}.`);
    }
    if (absent) return;
    if (flags !== undefined) given.push(name);
    value = toArgument(spec.name, name, kind, value);
    bound.set(name, [value as Expression]);
  });
  const variant = spec.variants.find(([names]) => names.length === given.length && names.every((n) => given.includes(n)));
  if (variant === undefined) {
    const accepted = spec.variants.map(([names]) => (names.length ? names.join(" + ") : "none")).join("; ");
    throw new TypeError(`${spec.name}(): pyspark takes these optional arguments only together: ${accepted}; got ${given.join(" + ") || "none"}.`);
  }
  return new Column(build(variant[1], bound));
}

function build(template: CallTemplate, bound: Map<string, Expression[]>): Expression {
  const args = template.args.flatMap((arg): Expression[] => {
    if (typeof arg === "string") return bound.get(arg) ?? [];
    if ("lit" in arg) return [fromJson(ExpressionSchema, { literal: arg.lit })];
    if ("col" in arg) return [col(arg.col).expr];
    return [build(arg, bound)];
  });
  return call(template.fn, args, template.distinct === true);
}

function toArgument(fn: string, param: string, kind: ParamKind, value: unknown): Expression {
  if (value instanceof Column) return value.expr;
  const wrong = (expected: string) =>
    new TypeError(`${fn}(): ${param} must be ${expected}, got ${describeJsValue(value)}.`);
  switch (kind) {
    case "col":
    case "column":
      if (typeof value !== "string") throw wrong("a Column or a column name (wrap a value with lit())");
      return col(value).expr;
    case "col_or_int":
      if (typeof value === "number" || typeof value === "bigint") return literal(value);
      if (typeof value !== "string") throw wrong("a Column, a column name or a number");
      return col(value).expr;
    case "col_or_float":
      if (typeof value === "number") return literal(value, true);
      if (typeof value !== "string") throw wrong("a Column, a column name or a number");
      return col(value).expr;
    case "float":
      if (typeof value !== "number") throw wrong("a number or a Column");
      return literal(value, true);
    case "float_or_list":
      if (typeof value === "number") return literal(value, true);
      if (!Array.isArray(value) || value.some((v) => typeof v !== "number")) throw wrong("a number, an array of numbers or a Column");
      // pyspark sends lit([...]) as array(lit(x), ...)
      return call("array", value.map((v: number) => literal(v, true)));
    case "schema":
      if (typeof value === "string") return literal(value);
      if (isPlainObject(value) && typeof value.type === "string") return literal(dataTypeJson(value as never));
      throw wrong('a DDL string ("a INT, b STRING"), a type object (Types.struct(...)) or a Column');
    case "options": {
      if (!isPlainObject(value)) throw wrong("an object of option names to values");
      // pyspark's _options_to_col: map(lit(str(k)), lit(str(v)), ...); str(True) is "True".
      const pairs = Object.entries(value).flatMap(([k, v]) => [literal(k), literal(typeof v === "boolean" ? (v ? "True" : "False") : String(v))]);
      return call("map", pairs);
    }
    default:
      return literal(value);
  }
}

function literal(value: unknown, double = false): Expression {
  return expression({ case: "literal", value: double ? toLiteral(value, Types.double) : toLiteral(value) });
}

