import type * as Arrow from "apache-arrow";
import { simpleString, type SparkDataType, type StructType } from "../types/datatypes.js";

/** The apache-arrow module a mapping builds with: results are decoded with the ESM one, rows encoded with the CJS one. */
export type ArrowModule = typeof Arrow;

/**
 * Spark type → the Arrow type Spark itself uses for it (ArrowUtils.toArrowType), so the server reads our
 * local relations back as exactly that Spark type: timestamps are microseconds with a time zone (TIMESTAMP)
 * or without one (TIMESTAMP_NTZ), dates are day counts, decimals 128-bit. Built over one apache-arrow module
 * instance: classes of two instances must not meet (instanceof checks inside apache-arrow).
 */
export function arrowTypeMapping(arrow: ArrowModule): { toArrowType: (t: SparkDataType) => Arrow.DataType; toArrowSchema: (schema: StructType) => Arrow.Schema } {
  const { Binary, Bool, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, Int8, List, Map_, Null, Schema, Struct, TimestampMicrosecond, Utf8 } = arrow;
  function toArrowType(t: SparkDataType): Arrow.DataType {
    switch (t.type) {
      case "null":
        return new Null();
      case "boolean":
        return new Bool();
      case "byte":
        return new Int8();
      case "short":
        return new Int16();
      case "integer":
        return new Int32();
      case "long":
        return new Int64();
      case "float":
        return new Float32();
      case "double":
        return new Float64();
      case "decimal":
        return new Decimal(t.scale, t.precision, 128);
      case "string":
      case "char":
      case "varchar":
        return new Utf8();
      case "binary":
        return new Binary();
      case "date":
        return new DateDay();
      case "timestamp":
        return new TimestampMicrosecond("UTC");
      case "timestamp_ntz":
        return new TimestampMicrosecond(null);
      case "array":
        return new List(new Field("element", toArrowType(t.elementType), t.containsNull));
      case "map": {
        const entries = new Struct([new Field("key", toArrowType(t.keyType), false), new Field("value", toArrowType(t.valueType), t.valueContainsNull)]);
        return new Map_(new Field("entries", entries, false));
      }
      case "struct":
        return new Struct(t.fields.map((f) => new Field(f.name, toArrowType(f.dataType), f.nullable)));
      case "udt":
        return toArrowType(t.sqlType);
      default:
        throw new TypeError(`Spark type ${simpleString(t)} has no Arrow form in this client; cast the column to a supported type first.`);
    }
  }

  function toArrowSchema(schema: StructType): Arrow.Schema {
    return new Schema(schema.fields.map((f) => new Field(f.name, toArrowType(f.dataType), f.nullable)));
  }
  return { toArrowType, toArrowSchema };
}
