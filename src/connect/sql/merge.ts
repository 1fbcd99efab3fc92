import type { MessageInitShape } from "@bufbuild/protobuf";
import { MergeAction_ActionType as ActionType, type Expression, type MergeActionSchema } from "../../gen/spark/connect/expressions_pb.js";
import type { Relation } from "../../gen/spark/connect/relations_pb.js";
import { Column, expression } from "./column/column.js";
import type { SessionCore } from "../core.js";
import type { ActionOptions } from "./dataframe/dataframe-actions.js";
import type { ExecutionInfoSink } from "./dataframe/observation.js";
import { runCommand } from "./plans.js";
import { describeJsValue } from "../types/literal.js";

type MergeActionInit = Exclude<MessageInitShape<typeof MergeActionSchema>, { $typeName: string }>;

/**
 * MERGE INTO a table from a DataFrame (pyspark's MergeIntoWriter, Spark 4.0+), made by
 * `df.mergeInto("target", condition)`:
 *
 *   await source.mergeInto("target", col("source.id").eq(col("target.id")))
 *     .whenMatched().updateAll()
 *     .whenNotMatched().insertAll()
 *     .merge();
 *
 * Clauses apply in the order given. The target must be a table whose catalog supports MERGE (Delta,
 * Iceberg, ...); the built-in file tables refuse it, and the server's error says so.
 */
export class MergeIntoWriter {
  private schemaEvolution = false;
  private readonly matched: Expression[] = [];
  private readonly notMatched: Expression[] = [];
  private readonly notMatchedBySource: Expression[] = [];

  /** @internal Use `df.mergeInto(table, condition)`. */
  constructor(
    private readonly core: SessionCore,
    private readonly source: Relation,
    private readonly table: string,
    private readonly condition: Column,
    private readonly onExecutionInfo?: ExecutionInfoSink,
  ) {
    if (typeof table !== "string" || table === "") throw new TypeError("mergeInto(table, condition): table must be the target table's name.");
    requireColumn("mergeInto(table, condition)", condition);
  }

  /** Clauses for target rows matched by a source row (optionally only where `condition` holds). */
  whenMatched(condition?: Column): WhenMatched {
    return new WhenMatched(this, clauseCondition("whenMatched", condition));
  }
  /** Clauses for source rows that match no target row. */
  whenNotMatched(condition?: Column): WhenNotMatched {
    return new WhenNotMatched(this, clauseCondition("whenNotMatched", condition));
  }
  /** Clauses for target rows that no source row matches. */
  whenNotMatchedBySource(condition?: Column): WhenNotMatchedBySource {
    return new WhenNotMatchedBySource(this, clauseCondition("whenNotMatchedBySource", condition));
  }

  /** Lets the merge add the source's new columns to the target's schema. */
  withSchemaEvolution(): MergeIntoWriter {
    this.schemaEvolution = true;
    return this;
  }

  /** Runs the MERGE (a MergeIntoTableCommand). */
  async merge(options: ActionOptions = {}): Promise<void> {
    await runCommand(
      this.core,
      {
        case: "mergeIntoTableCommand",
        value: {
          targetTableName: this.table,
          sourceTablePlan: this.source,
          mergeCondition: this.condition.expr,
          matchActions: this.matched,
          notMatchedActions: this.notMatched,
          notMatchedBySourceActions: this.notMatchedBySource,
          withSchemaEvolution: this.schemaEvolution,
        },
      },
      options.signal,
      this.onExecutionInfo,
    );
  }

  /** @internal */
  add(list: "matched" | "notMatched" | "notMatchedBySource", action: MergeActionInit): MergeIntoWriter {
    this[list].push(expression({ case: "mergeAction", value: action }));
    return this;
  }
}

/** `whenMatched(...)`: update, updateAll or delete the matched target rows. */
export class WhenMatched {
  /** @internal */
  constructor(
    private readonly writer: MergeIntoWriter,
    private readonly condition: Expression | undefined,
  ) {}
  /** Sets every target column from the source column of the same name. */
  updateAll(): MergeIntoWriter {
    return this.writer.add("matched", { actionType: ActionType.UPDATE_STAR, condition: this.condition });
  }
  /** Sets the named target columns: `update({ v: col("source.v") })`. */
  update(assignments: Record<string, Column>): MergeIntoWriter {
    return this.writer.add("matched", { actionType: ActionType.UPDATE, condition: this.condition, assignments: toAssignments("update", assignments) });
  }
  delete(): MergeIntoWriter {
    return this.writer.add("matched", { actionType: ActionType.DELETE, condition: this.condition });
  }
}

/** `whenNotMatched(...)`: insert the unmatched source rows. */
export class WhenNotMatched {
  /** @internal */
  constructor(
    private readonly writer: MergeIntoWriter,
    private readonly condition: Expression | undefined,
  ) {}
  /** Inserts each source row as it is (columns by name). */
  insertAll(): MergeIntoWriter {
    return this.writer.add("notMatched", { actionType: ActionType.INSERT_STAR, condition: this.condition });
  }
  /** Inserts rows with the named columns set: `insert({ id: col("source.id") })`. */
  insert(assignments: Record<string, Column>): MergeIntoWriter {
    return this.writer.add("notMatched", { actionType: ActionType.INSERT, condition: this.condition, assignments: toAssignments("insert", assignments) });
  }
}

/** `whenNotMatchedBySource(...)`: update, updateAll or delete target rows that no source row matched. */
export class WhenNotMatchedBySource {
  /** @internal */
  constructor(
    private readonly writer: MergeIntoWriter,
    private readonly condition: Expression | undefined,
  ) {}
  updateAll(): MergeIntoWriter {
    return this.writer.add("notMatchedBySource", { actionType: ActionType.UPDATE_STAR, condition: this.condition });
  }
  update(assignments: Record<string, Column>): MergeIntoWriter {
    return this.writer.add("notMatchedBySource", { actionType: ActionType.UPDATE, condition: this.condition, assignments: toAssignments("update", assignments) });
  }
  delete(): MergeIntoWriter {
    return this.writer.add("notMatchedBySource", { actionType: ActionType.DELETE, condition: this.condition });
  }
}

function requireColumn(what: string, c: unknown): asserts c is Column {
  if (!(c instanceof Column)) throw new TypeError(`${what}: the condition must be a Column, e.g. col("source.id").eq(col("target.id")); got ${describeJsValue(c)}.`);
}

function clauseCondition(what: string, condition: Column | undefined): Expression | undefined {
  if (condition === undefined) return undefined;
  requireColumn(`${what}(condition)`, condition);
  return condition.expr;
}

/** Keys are target column names sent as SQL text, as pyspark sends them (expr(name)); values are Columns. */
function toAssignments(what: string, assignments: Record<string, Column>) {
  if (assignments === null || typeof assignments !== "object" || Array.isArray(assignments)) {
    throw new TypeError(`${what}(assignments): pass an object of target column → Column, e.g. { v: col("source.v") }.`);
  }
  return Object.entries(assignments).map(([key, value]) => {
    if (!(value instanceof Column)) throw new TypeError(`${what}(assignments): the value for "${key}" must be a Column (use lit() for constants), got ${describeJsValue(value)}.`);
    return { key: expression({ case: "expressionString", value: { expression: key } }), value: value.expr };
  });
}
