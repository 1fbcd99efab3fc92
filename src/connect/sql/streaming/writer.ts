// df.writeStream, built as pyspark's Connect DataStreamWriter (its connect/streaming/readwriter.py) builds
// a WriteStreamOperationStart; start()/toTable() send it and return the StreamingQuery the server started.
// foreach/foreachBatch are not built: they need a pickled Python writer or function in the command.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { WriteStreamOperationStartSchema } from "../../../gen/spark/connect/commands_pb.js";
import type { Relation } from "../../../gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../../core.js";
import { commandResponses, requireServerVersion } from "../plans.js";
import { OptionsBuilder, setOption, type OptionValue } from "../writer.js";
import { findResult, missingResult, StreamingQuery } from "./query.js";

type Trigger = NonNullable<Exclude<MessageInitShape<typeof WriteStreamOperationStartSchema>, { $typeName: string }>["trigger"]>;

/** One of pyspark's trigger keywords: `{ processingTime: "5 seconds" }`, `{ once: true }`, `{ availableNow: true }`, `{ continuous: "1 second" }`. */
export type TriggerOptions = { processingTime: string } | { once: true } | { availableNow: true } | { continuous: string };

/** pyspark's start()/toTable() keywords; any other key is a source option, as pyspark's `**options`. */
export type StartOptions = {
  format?: string;
  outputMode?: string;
  partitionBy?: string | readonly string[];
  queryName?: string;
} & Record<string, OptionValue | readonly string[]>;

const TRIGGER_KEYS = ["processingTime", "once", "continuous", "availableNow"] as const;

export class DataStreamWriter extends OptionsBuilder {
  private source = "";
  private mode = "";
  private name = "";
  private partitioning: string[] = [];
  private clustering: string[] = [];
  private triggerValue: Trigger = { case: undefined };

  /** @internal Use df.writeStream. */
  constructor(
    private readonly core: SessionCore,
    private readonly input: Relation,
  ) {
    super();
  }

  /** "append" (the default), "complete" or "update": which rows each trigger writes to the sink. */
  outputMode(outputMode: string): this {
    this.mode = requireText("outputMode", outputMode);
    return this;
  }
  /** The sink: "parquet", "json", "console", "memory", "kafka", a table format... */
  format(source: string): this {
    this.source = requireText("format", source);
    return this;
  }
  partitionBy(...cols: (string | readonly string[])[]): this {
    this.partitioning = cols.flat();
    return this;
  }
  /** Clustering columns for a table sink that supports them (Spark 4.0+). */
  clusterBy(...cols: (string | readonly string[])[]): this {
    requireServerVersion(this.core, "4.0", "writeStream.clusterBy()");
    this.clustering = cols.flat();
    return this;
  }
  /** A name unique among the session's active queries; the memory sink's table is called by it. */
  queryName(queryName: string): this {
    this.name = requireText("queryName", queryName);
    return this;
  }
  /** When triggers run: exactly one of processingTime, once, availableNow or continuous, as in pyspark. */
  trigger(trigger: TriggerOptions): this {
    const given = TRIGGER_KEYS.filter((k) => (trigger as Record<string, unknown> | undefined)?.[k] !== undefined);
    if (given.length !== 1) {
      throw new TypeError(`trigger(): pass exactly one of ${TRIGGER_KEYS.join(", ")} (e.g. { processingTime: "5 seconds" }), got ${given.length ? given.join(" and ") : "none"}.`);
    }
    const t = trigger as Record<string, unknown>;
    if (t.processingTime !== undefined) this.triggerValue = { case: "processingTimeInterval", value: requireText("trigger processingTime", t.processingTime).trim() };
    else if (t.continuous !== undefined) this.triggerValue = { case: "continuousCheckpointInterval", value: requireText("trigger continuous", t.continuous).trim() };
    else {
      const key = t.once !== undefined ? "once" : "availableNow";
      if (t[key] !== true) throw new TypeError(`trigger({ ${key} }): ${key} can only be true, got ${String(t[key])}.`);
      this.triggerValue = { case: key, value: true };
    }
    return this;
  }

  /** Starts the query, writing to `path` (or where the sink's options say); resolves once it runs. */
  start(path?: string, options: StartOptions = {}): Promise<StreamingQuery> {
    if (path !== undefined && typeof path !== "string") throw new TypeError(`start(path): pass a path string, got ${String(path)}.`);
    return this.startWith(path ? { case: "path", value: path } : { case: undefined }, options);
  }
  /** Starts the query, appending to the table `tableName` (created when missing). */
  toTable(tableName: string, options: StartOptions = {}): Promise<StreamingQuery> {
    return this.startWith({ case: "tableName", value: requireText("toTable(tableName)", tableName) }, options);
  }

  private async startWith(sink: { case: "path" | "tableName"; value: string } | { case: undefined }, options: StartOptions): Promise<StreamingQuery> {
    const { format, outputMode, partitionBy, queryName, ...sourceOptions } = options;
    for (const [key, value] of Object.entries(sourceOptions)) setOption(this.options_, key, value as OptionValue);
    if (outputMode !== undefined) this.outputMode(outputMode);
    if (partitionBy !== undefined) this.partitionBy(partitionBy);
    if (format !== undefined) this.format(format);
    if (queryName !== undefined) this.queryName(queryName);
    const responses = await commandResponses(this.core, {
      case: "writeStreamOperationStart",
      value: {
        input: this.input,
        format: this.source,
        options: { ...this.options_ },
        partitioningColumnNames: this.partitioning,
        trigger: this.triggerValue,
        outputMode: this.mode,
        queryName: this.name,
        sinkDestination: sink,
        clusteringColumnNames: this.clustering,
      },
    });
    const started = findResult(responses, "writeStreamOperationStartResult");
    if (started?.queryId === undefined) throw missingResult("the started query's id", undefined);
    return new StreamingQuery(this.core, started.queryId.id, started.queryId.runId, started.name === "" ? null : started.name);
  }
}

function requireText(what: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw new TypeError(`${what}: pass a non-empty string, got ${JSON.stringify(value) ?? String(value)}.`);
  return value;
}
