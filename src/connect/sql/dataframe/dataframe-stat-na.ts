import type { ColumnOrName } from "../column/column.js";
import type { ActionOptions } from "./dataframe-actions.js";
import type { DataFrame } from "./dataframe.js";
import { DataFrameNaFunctions, type DropNaOptions, type NaValue, type SubsetOptions } from "./na.js";
import { DataFrameAnalysis } from "./dataframe-analysis.js";
import { DataFrameStatFunctions, type Stratum } from "./stat.js";

/**
 * The null-handling and statistics part of DataFrame (pyspark keeps them on DataFrame too, as shortcuts of
 * `df.na` and `df.stat`). A base class only to keep dataframe.ts readable; DataFrame is the one subclass.
 */
export abstract class DataFrameStatNa extends DataFrameAnalysis {
  private get self(): DataFrame {
    return this as unknown as DataFrame;
  }

  /** Null handling: `df.na.fill(0)`, `df.na.drop()`, `df.na.replace(...)`. */
  get na(): DataFrameNaFunctions {
    return new DataFrameNaFunctions(this.self);
  }

  /** Statistics: `await df.stat.corr("a", "b")`, `df.stat.crosstab("a", "b")`... */
  get stat(): DataFrameStatFunctions {
    return new DataFrameStatFunctions(this.self);
  }

  /** `df.na.fill`. */
  fillna(value: NaValue | Record<string, NaValue>, options?: SubsetOptions): DataFrame {
    return this.na.fill(value, options);
  }

  /** `df.na.drop`. */
  dropna(options?: DropNaOptions): DataFrame {
    return this.na.drop(options);
  }

  /** `df.na.replace`. */
  replace(toReplace: Record<string, NaValue | null>, options?: SubsetOptions): DataFrame;
  replace(toReplace: NaValue | readonly NaValue[], value: NaValue | null | readonly (NaValue | null)[], options?: SubsetOptions): DataFrame;
  replace(toReplace: unknown, value?: unknown, options?: SubsetOptions): DataFrame {
    const na = this.na as { replace(...args: unknown[]): DataFrame };
    return na.replace(toReplace, value, options);
  }

  /** count, mean, stddev, min and max of the named columns (all numeric and string columns when none). */
  describe(...cols: (string | readonly string[])[]): DataFrame {
    const names = cols.flat();
    if (names.some((c) => typeof c !== "string")) throw new TypeError("describe(...cols): pass column names.");
    return this.derive({ case: "describe", value: { input: this.relation, cols: names } });
  }

  /**
   * The named statistics ("count", "mean", "stddev", "min", "max", "25%" or any percentile, "count_distinct",
   * "approx_count_distinct"); none gives count, mean, stddev, min, 25%, 50%, 75%, max.
   */
  summary(...statistics: string[]): DataFrame {
    if (statistics.some((s) => typeof s !== "string")) throw new TypeError('summary(...statistics): pass statistic names such as "count" or "75%".');
    return this.derive({ case: "summary", value: { input: this.relation, statistics } });
  }

  /** `df.stat.approxQuantile`. */
  approxQuantile(col: string, probabilities: readonly number[], relativeError: number, options?: ActionOptions): Promise<number[]>;
  approxQuantile(cols: readonly string[], probabilities: readonly number[], relativeError: number, options?: ActionOptions): Promise<number[][]>;
  approxQuantile(col: never, probabilities: readonly number[], relativeError: number, options?: ActionOptions): Promise<number[] | number[][]> {
    return this.stat.approxQuantile(col, probabilities, relativeError, options);
  }

  /** `df.stat.corr`. */
  corr(col1: string, col2: string, method?: "pearson", options?: ActionOptions): Promise<number> {
    return this.stat.corr(col1, col2, method, options);
  }

  /** `df.stat.cov`. */
  cov(col1: string, col2: string, options?: ActionOptions): Promise<number> {
    return this.stat.cov(col1, col2, options);
  }

  /** `df.stat.crosstab`. */
  crosstab(col1: string, col2: string): DataFrame {
    return this.stat.crosstab(col1, col2);
  }

  /** `df.stat.freqItems`. */
  freqItems(cols: readonly string[], support?: number): DataFrame {
    return this.stat.freqItems(cols, support);
  }

  /** `df.stat.sampleBy`. */
  sampleBy(col: ColumnOrName, fractions: Record<string, number> | ReadonlyMap<Stratum, number>, seed?: number | bigint): DataFrame {
    return this.stat.sampleBy(col, fractions, seed);
  }
}
