import { col, Column, expression, type ColumnOrName } from "../column/column.js";
import type { DataFrame } from "./dataframe.js";
import { flatColumns } from "./dataframe-physical.js";
import { DataFrameRelational } from "./dataframe-relational.js";
import { requireServerVersion } from "../plans.js";
import { toProto, type StructType } from "../../types/datatypes.js";
import { describeJsValue } from "../../types/literal.js";
import { parseTypeString } from "../../types/typestring.js";

/**
 * Reshaping transformations (unpivot, transpose, to(schema), metadata), the streaming ones (watermarks),
 * and columns picked by pattern or from the source's metadata (colRegex, metadataColumn).
 * A base class only to keep dataframe.ts readable; DataFrame is the one subclass.
 */
export abstract class DataFrameReshape extends DataFrameRelational {
  /** A hidden metadata column of this DataFrame's source (e.g. `_metadata` of a file scan), by name. */
  metadataColumn(colName: string): Column {
    if (typeof colName !== "string") throw new TypeError(`metadataColumn(colName): colName must be a string, got ${typeof colName}.`);
    return new Column(expression({ case: "unresolvedAttribute", value: { unparsedIdentifier: colName, planId: this.relation.common?.planId, isMetadataColumn: true } }));
  }

  /** The columns whose names match a Java regex, given as a quoted identifier: df.colRegex("`(id|n)_.*`"). */
  colRegex(colName: string): Column {
    if (typeof colName !== "string") throw new TypeError(`colRegex(colName): colName must be a string, got ${typeof colName}.`);
    return new Column(expression({ case: "unresolvedRegex", value: { colName, planId: this.relation.common?.planId } }));
  }

  /** Streaming: drops duplicates of the subset (all columns by default) within the watermark's delay. */
  dropDuplicatesWithinWatermark(subset?: readonly string[]): DataFrame {
    if (subset !== undefined && (!Array.isArray(subset) || subset.some((c) => typeof c !== "string"))) throw new TypeError("dropDuplicatesWithinWatermark(subset): pass an array of column names.");
    const keys = subset === undefined ? { allColumnsAsKeys: true } : { columnNames: [...subset] };
    return this.derive({ case: "deduplicate", value: { input: this.relation, ...keys, withinWatermark: true } });
  }

  /** Streaming: the event-time column and how late data may arrive ("10 minutes"), for windows and dedup. */
  withWatermark(eventTime: string, delayThreshold: string): DataFrame {
    if (typeof eventTime !== "string" || eventTime === "" || typeof delayThreshold !== "string" || delayThreshold === "") {
      throw new TypeError('withWatermark(eventTime, delayThreshold): pass a column name and an interval such as "10 minutes".');
    }
    return this.derive({ case: "withWatermark", value: { input: this.relation, eventTime, delayThreshold } });
  }

  /** Matches `schema` by column name: reorders, casts (erroring where Spark can't) and drops nothing silently. */
  to(schema: StructType | string): DataFrame {
    const type = typeof schema === "string" ? parseTypeString(schema) : toProto(schema);
    if (type.kind.case !== "struct") throw new TypeError('to(schema): pass a struct type or DDL such as "id BIGINT, name STRING".');
    return this.derive({ case: "toSchema", value: { input: this.relation, schema: type } });
  }

  /** Rows become columns, named by the index column's values (the first column by default; Spark 4.0+). */
  transpose(indexColumn?: ColumnOrName): DataFrame {
    requireServerVersion(this.core, "4.0", "transpose()");
    const indexColumns = indexColumn === undefined ? [] : flatColumns([indexColumn]).map((c) => c.expr);
    return this.derive({ case: "transpose", value: { input: this.relation, indexColumns } });
  }

  /**
   * Wide to long: one row per id and value column, `variableColumnName` holding the column's name and
   * `valueColumnName` its value. `values` null unpivots every non-id column.
   */
  unpivot(ids: ColumnOrName | readonly ColumnOrName[], values: ColumnOrName | readonly ColumnOrName[] | null, variableColumnName: string, valueColumnName: string): DataFrame {
    if (typeof variableColumnName !== "string" || typeof valueColumnName !== "string") throw new TypeError("unpivot(ids, values, variableColumnName, valueColumnName): the two names must be strings.");
    const exprs = (c: ColumnOrName | readonly ColumnOrName[]) => flatColumns([c]).map((x) => x.expr);
    const valueExprs = values === null || values === undefined ? [] : exprs(values);
    return this.derive({
      case: "unpivot",
      value: { input: this.relation, ids: exprs(ids), values: valueExprs.length ? { values: valueExprs } : undefined, variableColumnName, valueColumnName },
    });
  }
  melt(ids: ColumnOrName | readonly ColumnOrName[], values: ColumnOrName | readonly ColumnOrName[] | null, variableColumnName: string, valueColumnName: string): DataFrame {
    return this.unpivot(ids, values, variableColumnName, valueColumnName);
  }

  /** Sets a column's metadata (a JSON-able object), kept in the schema. */
  withMetadata(columnName: string, metadata: Record<string, unknown>): DataFrame {
    if (typeof columnName !== "string") throw new TypeError("withMetadata(columnName, metadata): columnName must be a string.");
    if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) throw new TypeError(`withMetadata(): metadata must be an object, got ${describeJsValue(metadata)}.`);
    const alias = { expr: col(columnName, this.relation.common?.planId).expr, name: [columnName], metadata: JSON.stringify(metadata) };
    return this.derive({ case: "withColumns", value: { input: this.relation, aliases: [alias] } });
  }

  /** Renames all columns by position. */
  toDF(...names: string[]): DataFrame {
    if (names.some((n) => typeof n !== "string")) throw new TypeError("toDF(...names): every name must be a string.");
    return this.derive({ case: "toDf", value: { input: this.relation, columnNames: names } });
  }
}
