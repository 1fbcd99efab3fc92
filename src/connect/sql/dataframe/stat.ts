import type { Relation } from "../../../gen/spark/connect/relations_pb.js";
import { toColumn, type ColumnOrName, Column } from "../column/column.js";
import type { DataFrame } from "./dataframe.js";
import { executeToArrow, type ActionOptions } from "./dataframe-actions.js";
import { newRelation } from "../plans.js";
import { describeJsValue, isPlainObject, toLiteral } from "../../types/literal.js";
import { randomSeed, requireSeed } from "./sampling.js";

/** A stratum value of sampleBy: pyspark's int, float or str (and bool, which Spark also compares). */
export type Stratum = number | string | boolean;

/**
 * `df.stat` (pyspark's DataFrameStatFunctions). The numeric answers (approxQuantile, corr, cov) run a job and
 * return Promises; crosstab, freqItems and sampleBy build DataFrames. Each uses the Stat* relation pyspark's
 * Connect client sends, so the server computes them with Spark's own StatFunctions.
 */
export class DataFrameStatFunctions {
  /** @internal Use df.stat. */
  constructor(private readonly df: DataFrame) {}

  /**
   * Approximate quantiles (Greenwald-Khanna) of a numeric column, or of several: a string gives one array,
   * an array of names one array per column. `relativeError` 0 computes exact quantiles (costly).
   */
  approxQuantile(col: string, probabilities: readonly number[], relativeError: number, options?: ActionOptions): Promise<number[]>;
  approxQuantile(cols: readonly string[], probabilities: readonly number[], relativeError: number, options?: ActionOptions): Promise<number[][]>;
  async approxQuantile(col: string | readonly string[], probabilities: readonly number[], relativeError: number, options?: ActionOptions): Promise<number[] | number[][]> {
    const cols = typeof col === "string" ? [col] : col;
    if (!Array.isArray(cols) || cols.length === 0 || cols.some((c) => typeof c !== "string")) {
      throw new TypeError("approxQuantile(col): pass a column name or a non-empty array of names.");
    }
    if (!Array.isArray(probabilities) || probabilities.some((p) => typeof p !== "number" || !(p >= 0 && p <= 1))) {
      throw new TypeError(`approxQuantile(probabilities): pass an array of numbers in [0, 1], got ${describeJsValue(probabilities)}.`);
    }
    if (typeof relativeError !== "number" || !(relativeError >= 0)) throw new TypeError(`approxQuantile(relativeError) must be a number ≥ 0, got ${String(relativeError)}.`);
    const relation = this.stat({ case: "approxQuantile", value: { input: this.df.relation, cols: [...cols], probabilities: [...probabilities], relativeError } });
    const cell = await firstCell(this.df, relation, "approxQuantile", options);
    const perColumn = (cell as unknown[]).map((qs) => [...(qs as Iterable<number>)].map(Number));
    return typeof col === "string" ? perColumn[0]! : perColumn;
  }

  /** The Pearson correlation of two numeric columns (the only method Spark has). */
  async corr(col1: string, col2: string, method = "pearson", options?: ActionOptions): Promise<number> {
    requireNames("corr", col1, col2);
    if (method !== "pearson") throw new TypeError(`corr(method): only "pearson" is supported, got ${JSON.stringify(method)}.`);
    const relation = this.stat({ case: "corr", value: { input: this.df.relation, col1, col2, method } });
    return Number(await firstCell(this.df, relation, "corr", options));
  }

  /** The sample covariance of two numeric columns. */
  async cov(col1: string, col2: string, options?: ActionOptions): Promise<number> {
    requireNames("cov", col1, col2);
    return Number(await firstCell(this.df, this.stat({ case: "cov", value: { input: this.df.relation, col1, col2 } }), "cov", options));
  }

  /** The contingency table of two columns: one row per value of col1, one column per value of col2. */
  crosstab(col1: string, col2: string): DataFrame {
    requireNames("crosstab", col1, col2);
    return this.df.derive({ case: "crosstab", value: { input: this.df.relation, col1, col2 } });
  }

  /** Frequent items per column (may include false positives); `support` defaults to 0.01, as in pyspark. */
  freqItems(cols: readonly string[], support?: number): DataFrame {
    if (!Array.isArray(cols) || cols.some((c) => typeof c !== "string")) throw new TypeError("freqItems(cols): pass an array of column names.");
    if (support !== undefined && (typeof support !== "number" || !(support > 0))) throw new TypeError(`freqItems(support) must be a positive number, got ${String(support)}.`);
    return this.df.derive({ case: "freqItems", value: { input: this.df.relation, cols: [...cols], support: support || 0.01 } });
  }

  /**
   * A stratified sample without replacement: `fractions` maps each stratum value to its sampling fraction
   * (strata left out are not sampled). Without a seed a random one is fixed now, as pyspark does, so the
   * returned DataFrame gives the same rows each time it runs.
   */
  sampleBy(col: ColumnOrName, fractions: Record<string, number> | ReadonlyMap<Stratum, number>, seed?: number | bigint): DataFrame {
    if (typeof col !== "string" && !(col instanceof Column)) throw new TypeError(`sampleBy(col): pass a column name or a Column, got ${describeJsValue(col)}.`);
    const entries: [unknown, unknown][] = fractions instanceof Map ? [...fractions] : isPlainObject(fractions) ? Object.entries(fractions) : [];
    if (entries.length === 0 && !(fractions instanceof Map) && !isPlainObject(fractions)) {
      throw new TypeError("sampleBy(fractions): pass an object or a Map of stratum → fraction.");
    }
    const list = entries.map(([stratum, fraction]) => {
      if (!["number", "string", "boolean"].includes(typeof stratum)) throw new TypeError(`sampleBy(fractions): a stratum must be a number, string or boolean, got ${describeJsValue(stratum)}.`);
      if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) throw new TypeError(`sampleBy(fractions): the fraction for ${String(stratum)} must be in [0, 1], got ${String(fraction)}.`);
      return { stratum: toLiteral(stratum), fraction };
    });
    const s = seed === undefined ? randomSeed() : requireSeed("sampleBy(seed)", seed);
    return this.df.derive({ case: "sampleBy", value: { input: this.df.relation, col: toColumn(col).expr, fractions: list, seed: s } });
  }

  private stat(relType: Parameters<typeof newRelation>[1]): Relation {
    return newRelation(this.df.core, relType);
  }
}

function requireNames(what: string, col1: unknown, col2: unknown): void {
  if (typeof col1 !== "string" || typeof col2 !== "string") throw new TypeError(`${what}(col1, col2): pass two column names (strings).`);
}

async function firstCell(df: DataFrame, relation: Relation, what: string, options?: ActionOptions): Promise<unknown> {
  const table = await executeToArrow(df.core, relation, options);
  const cell = table.getChildAt(0)?.get(0) as unknown;
  if (cell === undefined) throw new Error(`The server's ${what} result had no value.`);
  // Arrow list cells are Vectors; make them plain arrays of arrays.
  return typeof cell === "object" && cell !== null && Symbol.iterator in cell ? [...(cell as Iterable<unknown>)] : cell;
}
