import { create } from "@bufbuild/protobuf";
import {
  AnalyzePlanRequest_InputFilesSchema,
  AnalyzePlanRequest_IsLocalSchema,
  AnalyzePlanRequest_IsStreamingSchema,
  AnalyzePlanRequest_SameSemanticsSchema,
  AnalyzePlanRequest_SemanticHashSchema,
} from "../../../gen/spark/connect/base_pb.js";
import type { Relation } from "../../../gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../../core.js";
import { simpleString, type StructType } from "../../types/datatypes.js";
import { analyzeSchema } from "./dataframe-actions.js";
import type { DataFrame } from "./dataframe.js";
import type { RelTypeInit } from "../plans.js";
import { rootPlan } from "../plans.js";
import { expectResult, explainString, treeString, type ExplainModeName } from "./show.js";
import { DataStreamWriter } from "../streaming/writer.js";

/**
 * What the server can tell about a DataFrame's plan without running it (AnalyzePlan calls): schema,
 * explain, and pyspark's isLocal/isStreaming/inputFiles/sameSemantics/semanticHash. Async here, since each
 * asks the server (pyspark's are blocking calls). A base class only to keep dataframe.ts readable.
 */
export abstract class DataFrameAnalysis {
  abstract readonly core: SessionCore;
  abstract readonly relation: Relation;
  /** @internal A DataFrame for a new relation of this session. */
  abstract derive(relType: RelTypeInit): DataFrame;

  schema(): Promise<StructType> {
    return analyzeSchema(this.core, this.relation);
  }
  async columns(): Promise<string[]> {
    return (await this.schema()).fields.map((f) => f.name);
  }
  /** [name, simpleString type] pairs, e.g. ["id", "bigint"]. */
  async dtypes(): Promise<[string, string][]> {
    return (await this.schema()).fields.map((f) => [f.name, simpleString(f.dataType)]);
  }
  /** Prints Spark's schema tree and returns it. */
  async printSchema(level?: number): Promise<string> {
    const text = await treeString(this.core, this.relation, level);
    console.log(text);
    return text;
  }
  /** Prints the plan (mode "simple" by default; true means "extended") and returns it. */
  async explain(mode: ExplainModeName | boolean = "simple"): Promise<string> {
    const text = await explainString(this.core, this.relation, mode);
    console.log(text);
    return text;
  }

  /** Whether collect() could run without executors (a local relation, a literal range...). */
  async isLocal(): Promise<boolean> {
    const response = await this.core.analyze({ case: "isLocal", value: create(AnalyzePlanRequest_IsLocalSchema, { plan: rootPlan(this.relation) }) });
    return expectResult(response, "isLocal").isLocal;
  }
  /** Whether the plan reads a streaming source. */
  async isStreaming(): Promise<boolean> {
    const response = await this.core.analyze({ case: "isStreaming", value: create(AnalyzePlanRequest_IsStreamingSchema, { plan: rootPlan(this.relation) }) });
    return expectResult(response, "isStreaming").isStreaming;
  }
  /** Structured Streaming's writer for a streaming DataFrame (from spark.readStream); each access starts a fresh one. */
  get writeStream(): DataStreamWriter {
    return new DataStreamWriter(this.core, this.relation);
  }
  /** The files the plan reads (best effort, as Spark's inputFiles). */
  async inputFiles(): Promise<string[]> {
    const response = await this.core.analyze({ case: "inputFiles", value: create(AnalyzePlanRequest_InputFilesSchema, { plan: rootPlan(this.relation) }) });
    return [...expectResult(response, "inputFiles").files];
  }
  /** Whether both plans compute the same result (after canonicalization). */
  async sameSemantics(other: DataFrame): Promise<boolean> {
    if (other?.core !== this.core) throw new TypeError("sameSemantics(other): pass a DataFrame of the same SparkSession.");
    const value = create(AnalyzePlanRequest_SameSemanticsSchema, { targetPlan: rootPlan(this.relation), otherPlan: rootPlan(other.relation) });
    return expectResult(await this.core.analyze({ case: "sameSemantics", value }), "sameSemantics").result;
  }
  /** A hash of the canonical plan: equal for plans with sameSemantics. */
  async semanticHash(): Promise<number> {
    const response = await this.core.analyze({ case: "semanticHash", value: create(AnalyzePlanRequest_SemanticHashSchema, { plan: rootPlan(this.relation) }) });
    return expectResult(response, "semanticHash").result;
  }
}
