import {
  WriteOperation_SaveMode as SaveMode,
  WriteOperation_SaveTable_TableSaveMethod as TableSaveMethod,
  WriteOperationV2_Mode as V2Mode,
} from "../../gen/spark/connect/commands_pb.js";
import type { Relation } from "../../gen/spark/connect/relations_pb.js";
import { toColumn, type Column, type ColumnOrName } from "./column/column.js";
import type { SessionCore } from "../core.js";
import { runCommand } from "./plans.js";
import type { ExecutionInfoSink } from "./dataframe/observation.js";

/** An option value as pyspark accepts it: booleans become "true"/"false", numbers their decimal text. */
export type OptionValue = string | number | boolean | null | undefined;

const SAVE_MODES: Record<string, SaveMode> = {
  append: SaveMode.APPEND,
  overwrite: SaveMode.OVERWRITE,
  error: SaveMode.ERROR_IF_EXISTS,
  errorifexists: SaveMode.ERROR_IF_EXISTS,
  default: SaveMode.ERROR_IF_EXISTS,
  ignore: SaveMode.IGNORE,
};

/** Sets or (for null/undefined) removes an option, as pyspark's writer does. */
export function setOption(options: Record<string, string>, key: string, value: OptionValue): void {
  if (value === null || value === undefined) delete options[key];
  else options[key] = typeof value === "string" ? value : String(value);
}

/** `df.write`: saves by path (`save`, `parquet`, ...) or as a table (`saveAsTable`, `insertInto`). */
/** The option()/options() setters shared by readers and writers. */
export abstract class OptionsBuilder {
  protected readonly options_: Record<string, string> = {};
  option(key: string, value: OptionValue): this {
    setOption(this.options_, key, value);
    return this;
  }
  options(options: Record<string, OptionValue>): this {
    for (const [k, v] of Object.entries(options)) setOption(this.options_, k, v);
    return this;
  }
}

export class DataFrameWriter extends OptionsBuilder {
  private source?: string;
  private saveMode = SaveMode.UNSPECIFIED;
  private partitioningColumns: string[] = [];

  /** @internal Use df.write. */
  constructor(
    private readonly core: SessionCore,
    private readonly input: Relation,
    private readonly onExecutionInfo?: ExecutionInfoSink,
  ) {
    super();
  }

  /** "append", "overwrite", "error"/"errorifexists"/"default" (the default: fail if data exists), or "ignore". */
  mode(saveMode: string): this {
    const mode = SAVE_MODES[String(saveMode).toLowerCase()];
    if (mode === undefined) throw new TypeError(`mode(): unknown save mode "${saveMode}"; use append, overwrite, error, errorifexists or ignore.`);
    this.saveMode = mode;
    return this;
  }
  format(source: string): this {
    this.source = source;
    return this;
  }
  partitionBy(...cols: (string | readonly string[])[]): this {
    this.partitioningColumns = cols.flat();
    return this;
  }

  /** Writes to `path` (or to the "path" option when omitted). */
  save(path?: string): Promise<void> {
    return this.run(path === undefined ? { case: undefined } : { case: "path", value: path });
  }
  saveAsTable(table: string): Promise<void> {
    return this.run({ case: "table", value: { tableName: table, saveMethod: TableSaveMethod.SAVE_AS_TABLE } });
  }
  /** Inserts by column position into an existing table; `overwrite` sets the mode as pyspark does. */
  insertInto(table: string, overwrite?: boolean): Promise<void> {
    if (overwrite !== undefined) this.mode(overwrite ? "overwrite" : "append");
    return this.run({ case: "table", value: { tableName: table, saveMethod: TableSaveMethod.INSERT_INTO } });
  }
  parquet(path: string): Promise<void> {
    return this.format("parquet").save(path);
  }
  json(path: string): Promise<void> {
    return this.format("json").save(path);
  }
  csv(path: string): Promise<void> {
    return this.format("csv").save(path);
  }
  orc(path: string): Promise<void> {
    return this.format("orc").save(path);
  }
  text(path: string): Promise<void> {
    return this.format("text").save(path);
  }

  private run(saveType: { case: undefined } | { case: "path"; value: string } | { case: "table"; value: { tableName: string; saveMethod: TableSaveMethod } }): Promise<void> {
    return runCommand(this.core, {
      case: "writeOperation",
      value: {
        input: this.input,
        source: this.source,
        saveType,
        mode: this.saveMode,
        partitioningColumns: this.partitioningColumns,
        options: { ...this.options_ },
      },
    }, undefined, this.onExecutionInfo);
  }
}

/** `df.writeTo(table)`: DataSource V2 table writes. */
export class DataFrameWriterV2 extends OptionsBuilder {
  private provider?: string;
  private readonly properties: Record<string, string> = {};
  private partitioning: Column[] = [];

  /** @internal Use df.writeTo(table). */
  constructor(
    private readonly core: SessionCore,
    private readonly input: Relation,
    private readonly table: string,
    private readonly onExecutionInfo?: ExecutionInfoSink,
  ) {
    super();
  }

  using(provider: string): this {
    this.provider = provider;
    return this;
  }
  tableProperty(key: string, value: string): this {
    this.properties[key] = value;
    return this;
  }
  /** Partition columns or transforms (e.g. `fn("years", col("ts"))`). */
  partitionedBy(...cols: ColumnOrName[]): this {
    this.partitioning = cols.map(toColumn);
    return this;
  }

  create(): Promise<void> {
    return this.run(V2Mode.CREATE);
  }
  replace(): Promise<void> {
    return this.run(V2Mode.REPLACE);
  }
  createOrReplace(): Promise<void> {
    return this.run(V2Mode.CREATE_OR_REPLACE);
  }
  append(): Promise<void> {
    return this.run(V2Mode.APPEND);
  }
  /** Replaces the rows matching `condition` with this DataFrame's rows. */
  overwrite(condition: Column): Promise<void> {
    return this.run(V2Mode.OVERWRITE, condition);
  }
  overwritePartitions(): Promise<void> {
    return this.run(V2Mode.OVERWRITE_PARTITIONS);
  }

  private run(mode: V2Mode, overwriteCondition?: Column): Promise<void> {
    return runCommand(this.core, {
      case: "writeOperationV2",
      value: {
        input: this.input,
        tableName: this.table,
        provider: this.provider,
        partitioningColumns: this.partitioning.map((c) => c.expr),
        options: { ...this.options_ },
        tableProperties: { ...this.properties },
        mode,
        overwriteCondition: overwriteCondition?.expr,
      },
    }, undefined, this.onExecutionInfo);
  }
}
