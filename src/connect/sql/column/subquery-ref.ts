// The bookkeeping behind DataFrames used as expressions (pyspark 4's df.scalar(), df.exists(), df.asTable(),
// col.isin(df)), as pyspark's Connect client builds them: the expression names the DataFrame's relation by plan
// id, and the relation that uses it is wrapped in a WithRelations (plans.ts newRelation) whose references carry
// those relations. A leaf module, so column.ts and plans.ts can both use it.
import { create, isMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { ExpressionSchema, SubqueryExpressionSchema, type Expression, type SubqueryExpression } from "../../../gen/spark/connect/expressions_pb.js";
import { RelationSchema, type Relation } from "../../../gen/spark/connect/relations_pb.js";

type SubqueryInit = Exclude<MessageInitShape<typeof SubqueryExpressionSchema>, SubqueryExpression>;

// Each subquery expression → the relation it names. Keyed by the message itself (protobuf-es keeps a message
// object when it is nested into a new one), so a plan holding the expression finds its relation again, and
// nothing is kept once the expression is gone.
const referenced = new WeakMap<SubqueryExpression, Relation>();

/** A subquery expression naming `relation`, remembered so the plan using it can carry it. */
export function subqueryExpression(relation: Relation, init: Omit<SubqueryInit, "planId">): Expression {
  const planId = relation.common?.planId;
  if (planId === undefined) throw new Error("internal: a subquery's relation has no plan id");
  const value = create(SubqueryExpressionSchema, { ...init, planId });
  referenced.set(value, relation);
  return create(ExpressionSchema, { exprType: { case: "subqueryExpression", value } });
}

/**
 * The relations that `relation`'s own expressions name through subqueries, in the order pyspark collects
 * them (one per use). Child relations are not searched: each was wrapped when it was built.
 * Unlike pyspark, a subquery inside another's IN values or partition spec is found too; the server needs it.
 */
export function subqueryReferences(relation: Relation): Relation[] {
  const found: Relation[] = [];
  collect(relation.relType.value, found);
  return found;
}

function collect(node: unknown, into: Relation[]): void {
  if (node === null || typeof node !== "object" || node instanceof Uint8Array) return;
  if (Array.isArray(node)) {
    for (const item of node) collect(item, into);
    return;
  }
  if (isMessage(node, RelationSchema)) return;
  if (isMessage(node, SubqueryExpressionSchema)) {
    const relation = referenced.get(node);
    if (relation === undefined) {
      throw new Error("internal: a subquery expression whose DataFrame is unknown; build it with df.scalar(), df.exists(), df.asTable() or col.isin(df)");
    }
    into.push(relation);
  }
  for (const value of Object.values(node)) collect(value, into);
}
