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
