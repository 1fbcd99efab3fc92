import {
  Expression_SortOrder_NullOrdering as NullOrdering,
  Expression_SortOrder_SortDirection as SortDirection,
  MergeAction_ActionType as MergeActionType,
  SubqueryExpression_SubqueryType as SubqueryType,
  type Expression,
  type Expression_Literal,
} from "../../../gen/spark/connect/expressions_pb.js";
import { fromProto, simpleString } from "../../types/datatypes.js";

const INFIX = new Set(["==", "<", "<=", ">", ">=", "<=>", "+", "-", "*", "/", "%", "and", "or", "&", "|", "^"]);

/** SQL-like text for an expression, close to what pyspark prints in `Column<'...'>`; for humans only. */
export function expressionToString(expr: Expression | undefined): string {
  if (expr === undefined) return "?";
  const e = expr.exprType;
  switch (e.case) {
    case "literal":
      return literalToString(e.value);
    case "unresolvedAttribute":
      return e.value.unparsedIdentifier;
    case "unresolvedStar":
      return e.value.unparsedTarget ?? "*";
    case "unresolvedRegex":
      return e.value.colName;
    case "expressionString":
      return e.value.expression;
    case "alias":
      return `${expressionToString(e.value.expr)} AS ${e.value.name.join(", ")}`;
    case "cast": {
      const to = e.value.castToType;
      const typeText = to.case === "typeStr" ? to.value : to.case === "type" ? simpleString(fromProto(to.value)) : "?";
      return `CAST(${expressionToString(e.value.expr)} AS ${typeText.toUpperCase()})`;
    }
    case "sortOrder": {
      const dir = e.value.direction === SortDirection.DESCENDING ? "DESC" : "ASC";
      const nulls = e.value.nullOrdering === NullOrdering.SORT_NULLS_LAST ? " NULLS LAST" : " NULLS FIRST";
      return `${expressionToString(e.value.child)} ${dir}${nulls}`;
    }
    case "unresolvedExtractValue":
      return `${expressionToString(e.value.child)}[${expressionToString(e.value.extraction)}]`;
    case "unresolvedFunction":
      return functionToString(e.value.functionName, e.value.arguments.map(expressionToString), e.value.isDistinct);
    case "callFunction":
      return functionToString(e.value.functionName, e.value.arguments.map(expressionToString), false);
    case "commonInlineUserDefinedFunction":
      return functionToString(e.value.functionName, e.value.arguments.map(expressionToString), false);
    case "window": {
      const parts = [];
      if (e.value.partitionSpec.length) parts.push(`PARTITION BY ${e.value.partitionSpec.map(expressionToString).join(", ")}`);
      if (e.value.orderSpec.length) {
        parts.push(`ORDER BY ${e.value.orderSpec.map((o) => expressionToString({ exprType: { case: "sortOrder", value: o } } as Expression)).join(", ")}`);
      }
      return `${expressionToString(e.value.windowFunction)} OVER (${parts.join(" ")})`;
    }
    case "lambdaFunction": {
      const names = e.value.arguments.map((v) => v.nameParts.join("."));
      return `lambdafunction(${expressionToString(e.value.function)}, ${names.join(", ")})`;
    }
    case "unresolvedNamedLambdaVariable":
      return e.value.nameParts.join(".");
    case "updateFields":
      return e.value.valueExpression
        ? `update_fields(${expressionToString(e.value.structExpression)}, WithField(${e.value.fieldName}, ${expressionToString(e.value.valueExpression)}))`
        : `update_fields(${expressionToString(e.value.structExpression)}, dropfield(${e.value.fieldName}))`;
    case "subqueryExpression": {
      // pyspark's repr of the same expression.
      const type = SubqueryType[e.value.subqueryType]?.toLowerCase() ?? "?";
      const values = e.value.inSubqueryValues.length ? `, values=[${e.value.inSubqueryValues.map(expressionToString).join(", ")}]` : "";
      return `SubqueryExpression(plan=${e.value.planId}, type=${type}${values})`;
    }
    case "directShufflePartitionId":
      return `DirectShufflePartitionID(child=${expressionToString(e.value.child)})`;
    case "mergeAction":
      return `MergeAction(${MergeActionType[e.value.actionType] ?? "?"})`;
    case undefined:
      return "?";
  }
}

function functionToString(name: string, args: string[], distinct: boolean): string {
  if (INFIX.has(name) && args.length === 2) return `(${args[0]} ${name === "==" ? "=" : name.toUpperCase()} ${args[1]})`;
  if (name === "not" && args.length === 1) return `(NOT ${args[0]})`;
  if (name === "negative" && args.length === 1) return `(- ${args[0]})`;
  if (name === "isNull" && args.length === 1) return `(${args[0]} IS NULL)`;
  if (name === "isNotNull" && args.length === 1) return `(${args[0]} IS NOT NULL)`;
  if (name === "in" && args.length >= 1) return `(${args[0]} IN (${args.slice(1).join(", ")}))`;
  if (name === "when") {
    let text = "CASE";
    for (let i = 0; i + 1 < args.length; i += 2) text += ` WHEN ${args[i]} THEN ${args[i + 1]}`;
    if (args.length % 2 === 1) text += ` ELSE ${args[args.length - 1]}`;
    return `${text} END`;
  }
  return `${name}(${distinct ? "DISTINCT " : ""}${args.join(", ")})`;
}

function literalToString(literal: Expression_Literal): string {
  const l = literal.literalType;
  switch (l.case) {
    case "null":
    case undefined:
      return "NULL";
    case "string":
      return `'${l.value.replaceAll("'", "\\'")}'`;
    case "binary":
      return `X'${Buffer.from(l.value).toString("hex").toUpperCase()}'`;
    case "decimal":
      return l.value.value;
    case "date":
      return `DATE '${new Date(l.value * 86_400_000).toISOString().slice(0, 10)}'`;
    case "timestamp":
    case "timestampNtz":
      return `TIMESTAMP '${new Date(Number(l.value / 1000n)).toISOString()}'`;
    case "array":
      return `array(${l.value.elements.map(literalToString).join(", ")})`;
    case "map":
    case "struct":
      return l.case;
    default:
      return String(l.value);
  }
}
