// spark.readStream, built as pyspark's Connect DataStreamReader (its connect/streaming/readwriter.py): a
// Read relation marked is_streaming, over a DataSource or a named table.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Read, ReadSchema } from "../../../gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../../core.js";
import { DataFrame } from "../dataframe/dataframe.js";
import type { DataTypeInput } from "../../types/datatypes.js";
import { newRelation } from "../plans.js";
import type { OptionValue } from "../writer.js";
import { SourceReader } from "../reader.js";

type ReadType = NonNullable<Exclude<MessageInitShape<typeof ReadSchema>, Read>["readType"]>;

/** load()'s keywords as pyspark has them; any other key is a source option (pyspark's `**options`). */
export type StreamLoadOptions = { format?: string; schema?: DataTypeInput } & Record<string, OptionValue | DataTypeInput>;
/** A shorthand's keywords (json's multiLine, csv's header, ...): `schema`, and source options. */
export type StreamFormatOptions = { schema?: DataTypeInput } & Record<string, OptionValue | DataTypeInput>;

/** Sources include "rate", "socket" and "kafka"; file sources need a schema (or spark.sql.streaming.schemaInference). */
export class DataStreamReader extends SourceReader {
  /** @internal Use spark.readStream. */
  constructor(private readonly core: SessionCore) {
    // pyspark sends an empty schema when none is given; so do we, for the same plan.
    super("", "readStream.schema()");
  }

  /** A streaming DataFrame over `path` (a directory for file sources), or over what the options name. */
  load(path?: string, options: StreamLoadOptions = {}): DataFrame {
    const { format, schema, ...rest } = options;
    if (format !== undefined) this.format(format as string);
    if (schema !== undefined) this.schema(schema as DataTypeInput);
    this.options(rest as Record<string, OptionValue>);
    if (path !== undefined && (typeof path !== "string" || path.trim() === "")) {
      throw new TypeError(`readStream.load(path): pass a non-empty path string, or none for sources configured by options; got ${JSON.stringify(path)}.`);
    }
    return this.read({
      case: "dataSource",
      value: { format: this.source, schema: this.schemaText, options: { ...this.options_ }, paths: path ? [path] : [] },
    });
  }
  json(path: string, options?: StreamFormatOptions): DataFrame {
    return this.shorthand("json", path, options);
  }
  csv(path: string, options?: StreamFormatOptions): DataFrame {
    return this.shorthand("csv", path, options);
  }
  parquet(path: string, options?: StreamFormatOptions): DataFrame {
    return this.shorthand("parquet", path, options);
  }
  orc(path: string, options?: StreamFormatOptions): DataFrame {
    return this.shorthand("orc", path, options);
  }
  text(path: string, options?: StreamFormatOptions): DataFrame {
    return this.shorthand("text", path, options);
  }
  xml(path: string, options?: StreamFormatOptions): DataFrame {
    return this.shorthand("xml", path, options);
  }
  /** A table's new rows as a stream (a Delta or other streaming-capable table), with this reader's options. */
  table(tableName: string): DataFrame {
    if (typeof tableName !== "string" || tableName === "") throw new TypeError(`readStream.table(tableName): pass a table name, got ${JSON.stringify(tableName)}.`);
    return this.read({ case: "namedTable", value: { unparsedIdentifier: tableName, options: { ...this.options_ } } });
  }

  private shorthand(format: string, path: string, options: StreamFormatOptions = {}): DataFrame {
    if (typeof path !== "string") throw new TypeError(`readStream.${format}(path): pass one directory path as a string, got ${JSON.stringify(path)}.`);
    return this.load(path, { ...options, format });
  }

  private read(readType: ReadType): DataFrame {
    return new DataFrame(this.core, newRelation(this.core, { case: "read", value: { readType, isStreaming: true } }));
  }
}
