import type { Expression_Literal } from "../../../gen/spark/connect/expressions_pb.js";
import type { DataFrame } from "./dataframe.js";
import { Types } from "../../types/datatypes.js";
import { describeJsValue, isPlainObject, toLiteral } from "../../types/literal.js";

/** A value na.fill and na.replace take: pyspark's bool, int, float or str. */
export type NaValue = number | string | boolean;
export interface SubsetOptions {
  /** The columns to consider (default: all type-compatible columns). */
  subset?: string | readonly string[];
}
export interface DropNaOptions extends SubsetOptions {
  /** "any" (default) drops a row with any null or NaN; "all" only a row whose every value is. */
  how?: "any" | "all";
  /** Keep rows with at least this many non-null, non-NaN values; overrides `how`. */
  thresh?: number;
}

/**
 * `df.na`: fill, drop and replace nulls (pyspark's DataFrameNaFunctions). Each builds the NAFill, NADrop
 * or NAReplace relation pyspark's Connect client builds, so the server applies Spark's own rules.
 */
export class DataFrameNaFunctions {
  /** @internal Use df.na. */
  constructor(private readonly df: DataFrame) {}

  /**
   * `fill(0)`, `fill("n/a", { subset: ["name"] })`, or per column `fill({ age: 0, name: "?" })`.
   * A number fills numeric columns, a string string columns, a boolean boolean columns.
   */
  fill(value: NaValue | Record<string, NaValue>, options: SubsetOptions = {}): DataFrame {
    let cols = subsetOf("fill", options);
    let values: NaValue[];
    if (isPlainObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0) throw new TypeError("na.fill(value): the object of column → value must not be empty.");
      cols = entries.map(([c]) => c);
      values = entries.map(([c, v]) => requireNaValue(`na.fill({ ${c}: ... })`, v));
    } else {
      values = [requireNaValue("na.fill(value)", value)];
    }
    return this.df.derive({ case: "fillNa", value: { input: this.df.relation, cols, values: values.map(fillLiteral) } });
  }

  /** Drops rows with nulls (or NaN): `drop()`, `drop({ how: "all" })`, `drop({ thresh: 2, subset: ["a", "b"] })`. */
  drop(options: DropNaOptions = {}): DataFrame {
    const { how = "any", thresh } = options;
    if (how !== "any" && how !== "all") throw new TypeError(`na.drop({ how }): use "any" or "all", got ${JSON.stringify(how)}.`);
    if (thresh !== undefined && !Number.isInteger(thresh)) throw new TypeError(`na.drop({ thresh }) must be an integer, got ${String(thresh)}.`);
    // thresh overrides how; "all" is "at least one non-null"; "any" leaves it unset (all must be non-null).
    const minNonNulls = thresh ?? (how === "all" ? 1 : undefined);
    return this.df.derive({ case: "dropNa", value: { input: this.df.relation, cols: subsetOf("drop", options), minNonNulls } });
  }

  /**
   * `replace({ "Alice": "A", "Bob": null })`, `replace(10, 20)`, `replace(["a", "b"], ["x", "y"])`,
   * `replace([1, 2], null, { subset: ["n"] })`. Keys and values must be of one kind (numbers, strings or
   * booleans; null allowed as a new value), as pyspark requires.
   */
  replace(toReplace: Record<string, NaValue | null>, options?: SubsetOptions): DataFrame;
  replace(toReplace: NaValue | readonly NaValue[], value: NaValue | null | readonly (NaValue | null)[], options?: SubsetOptions): DataFrame;
  replace(toReplace: unknown, valueOrOptions?: unknown, maybeOptions?: SubsetOptions): DataFrame {
    let pairs: [unknown, unknown][];
    let options: SubsetOptions;
    if (isPlainObject(toReplace)) {
      pairs = Object.entries(toReplace);
      options = (valueOrOptions as SubsetOptions | undefined) ?? {};
    } else {
      if (valueOrOptions === undefined) throw new TypeError("replace(toReplace, value): pass the new value (or null), or give toReplace as an object of old → new.");
      const olds = Array.isArray(toReplace) ? (toReplace as unknown[]) : [toReplace];
      const news = Array.isArray(valueOrOptions) ? (valueOrOptions as unknown[]) : olds.map(() => valueOrOptions);
      if (news.length !== olds.length) throw new TypeError(`replace(): toReplace has ${olds.length} values but value has ${news.length}; give one value or as many.`);
      pairs = olds.map((o, i) => [o, news[i]]);
      options = maybeOptions ?? {};
    }
    if (pairs.length === 0) throw new TypeError("replace(): nothing to replace.");
    for (const [o, n] of pairs) {
      requireNaValue("replace(): an old value", o);
      if (n !== null) requireNaValue("replace(): a new value", n);
    }
    const kinds = new Set(pairs.flatMap(([o, n]) => [o, n]).filter((v) => v !== null).map((v) => typeof v));
    if (kinds.size > 1) throw new TypeError(`replace(): mixed types (${[...kinds].join(", ")}); old and new values must all be numbers, all strings or all booleans.`);
    const cols = subsetOf("replace", options);
    // pyspark sends every number as a double, so 1 matches 1.0 in any numeric column.
    const replacements = pairs.map(([o, n]) => ({ oldValue: replaceLiteral(o), newValue: replaceLiteral(n) }));
    return this.df.derive({ case: "replace", value: { input: this.df.relation, cols, replacements } });
  }
}

function subsetOf(what: string, options: SubsetOptions): string[] {
  if (!isPlainObject(options)) throw new TypeError(`na.${what}(): options must be an object like { subset: ["a"] }, got ${describeJsValue(options)}.`);
  const { subset } = options;
  if (subset === undefined) return [];
  const cols = typeof subset === "string" ? [subset] : subset;
  if (!Array.isArray(cols) || cols.some((c) => typeof c !== "string")) throw new TypeError(`na.${what}({ subset }): pass a column name or an array of names.`);
  return [...cols];
}

function requireNaValue(what: string, v: unknown): NaValue {
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  throw new TypeError(`${what} must be a number, string or boolean, got ${describeJsValue(v)}.`);
}

/** pyspark's NAFill sends an int as a long and a float as a double; a JS integer is pyspark's int. */
function fillLiteral(v: NaValue): Expression_Literal {
  if (typeof v === "number") return Number.isSafeInteger(v) ? toLiteral(BigInt(v)) : toLiteral(v, Types.double);
  return toLiteral(v);
}

function replaceLiteral(v: unknown): Expression_Literal {
  return typeof v === "number" ? toLiteral(v, Types.double) : toLiteral(v);
}
