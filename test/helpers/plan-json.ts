// The JSON shapes plan tests compare against (protobuf-es toJson of what the client builds), in one place.
import { toJson } from "@bufbuild/protobuf";
import { RelationSchema } from "../../src/gen/spark/connect/relations_pb.js";
import type { DataFrame } from "../../src/connect/sql/dataframe/dataframe.js";

/** A DataFrame's relation as JSON. */
export const plan = (d: DataFrame) => toJson(RelationSchema, d.relation) as Record<string, any>;

/** An unresolved column, bound to a plan id when given (a self-join side). */
export const attr = (name: string, planId?: string) => ({ unresolvedAttribute: { unparsedIdentifier: name, ...(planId && { planId }) } });

/** An unresolved function call, as pyspark's Connect client sends built-ins and operators. */
export const fn = (functionName: string, ...args: unknown[]) => ({ unresolvedFunction: { functionName, arguments: args } });

/**
 * Plan ids renumbered 0, 1, 2... in order of appearance (keys sorted), so plans built by two clients
 * (ours and pyspark's, each with its own id counter) compare.
 */
export function normalizedPlanIds(json: unknown): unknown {
  const ids = new Map<string, string>();
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== "object") return node;
    const entries = Object.entries(node).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(
      entries.map(([k, v]) => {
        if (k !== "planId") return [k, walk(v)];
        if (!ids.has(String(v))) ids.set(String(v), String(ids.size));
        return [k, ids.get(String(v))];
      }),
    );
  };
  return walk(json);
}
