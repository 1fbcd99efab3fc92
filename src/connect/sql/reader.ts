import type { SessionCore } from "../core.js";
import { DataFrame } from "./dataframe/dataframe.js";
import { toJSON } from "../types/datatypes-json.js";
import type { DataTypeInput } from "../types/datatypes.js";
import { newRelation, tableRelation } from "./plans.js";
import { OptionsBuilder } from "./writer.js";

/**
 * What spark.read and spark.readStream share: a source format, options, and a schema sent as given (a
 * DDL string) or as Spark JSON (an object), which the server parses.
 */
export abstract class SourceReader extends OptionsBuilder {
  protected source?: string;

  /** `schemaText`: what is sent when no schema is given; `schemaMethod`: how errors name schema(). */
  constructor(
    protected schemaText: string | undefined,
    private readonly schemaMethod: string,
  ) {
    super();
  }

  /** The source: "json", "parquet", "jdbc", a table format... */
  format(source: string): this {
    this.source = source;
    return this;
  }
  /** "name string, n int", or a struct type object. */
  schema(schema: DataTypeInput): this {
    this.schemaText = schemaText(schema, this.schemaMethod);
    return this;
  }
}

/** `spark.read`: a DataSource read, built like pyspark's Connect reader. */
export class DataFrameReader extends SourceReader {
  constructor(private readonly core: SessionCore) {
    super(undefined, "schema()");
  }

  /** Reads `path` (or several paths); without a path the source reads from its options. */
  load(path?: string | readonly string[]): DataFrame {
    const paths = path === undefined ? [] : typeof path === "string" ? [path] : [...path];
    const relation = newRelation(this.core, {
      case: "read",
      value: {
        readType: {
          case: "dataSource",
          value: { format: this.source, schema: this.schemaText, options: { ...this.options_ }, paths },
        },
      },
    });
    return new DataFrame(this.core, relation);
  }
  json(path: string | readonly string[]): DataFrame {
    return this.format("json").load(path);
  }
  csv(path: string | readonly string[]): DataFrame {
    return this.format("csv").load(path);
  }
  parquet(...paths: string[]): DataFrame {
    return this.format("parquet").load(paths);
  }
  orc(path: string | readonly string[]): DataFrame {
    return this.format("orc").load(path);
  }
  text(path: string | readonly string[]): DataFrame {
    return this.format("text").load(path);
  }
  /** A catalog table, with this reader's options. */
  table(name: string): DataFrame {
    return new DataFrame(this.core, tableRelation(this.core, name, { ...this.options_ }));
  }
}

/** A reader's schema as the server takes it: the DDL string as given, or a struct type as Spark JSON. */
export function schemaText(schema: DataTypeInput, method: string): string {
  if (typeof schema === "string") return schema;
  if (schema?.type === "struct") return toJSON(schema);
  throw new TypeError(`${method}: pass a DDL string like "a int, b string" or a struct type object.`);
}
