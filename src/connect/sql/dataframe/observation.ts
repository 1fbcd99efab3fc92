import { isMessage } from "@bufbuild/protobuf";
import type { ExecutePlanResponse, ExecutePlanResponse_ObservedMetrics, Plan } from "../../../gen/spark/connect/base_pb.js";
import type { Expression_Literal } from "../../../gen/spark/connect/expressions_pb.js";
import { RelationSchema, type Relation } from "../../../gen/spark/connect/relations_pb.js";

/**
 * Named metrics of a DataFrame, read once an action on it has finished (pyspark's Observation):
 *
 *   const obs = new Observation("stats");
 *   const observed = df.observe(obs, count(lit(1)).alias("rows"), max("id").alias("top"));
 *   await observed.collect();
 *   obs.get; // { rows: 10, top: 9n }
 *
 * The server computes the metrics alongside the job and reports them at its end, so no second job runs.
 */
export class Observation {
  private observedName: string | undefined;
  private result: Record<string, unknown> | undefined;
  private attached = false;

  constructor(name?: string) {
    if (name !== undefined && (typeof name !== "string" || name === "")) {
      throw new TypeError(`new Observation(name): the name must be a non-empty string, got ${JSON.stringify(name)}.`);
    }
    this.observedName = name;
  }

  /** The metrics name; a UUID is chosen when the observation is first used, as pyspark does. */
  get name(): string | undefined {
    return this.observedName;
  }

  /** The metrics as a plain object keyed by alias; throws until an action on the observed DataFrame completed. */
  get get(): Record<string, unknown> {
    if (this.result === undefined) {
      throw new Error(
        "observation.get: no action on the observed DataFrame has completed yet. Run an action (collect(), count(), write...) " +
          "on the DataFrame that df.observe(observation, ...) returned, then read it.",
      );
    }
    return { ...this.result };
  }

  /** @internal One Observation observes one DataFrame (pyspark: REUSE_OBSERVATION). */
  attach(): string {
    if (this.attached) throw new Error("This Observation is already used by another df.observe(); create a new Observation for each observed DataFrame.");
    this.attached = true;
    this.observedName ??= crypto.randomUUID();
    return this.observedName;
  }

  /** @internal */
  record(metrics: Record<string, unknown>): void {
    this.result = metrics;
  }
}

interface Observed {
  observation: Observation;
  /** The aliases of the observed expressions, for servers (3.5) that send values without keys. */
  aliases: string[];
}

// CollectMetrics relations built by df.observe(Observation, ...), found again in any plan that runs them.
const observedRelations = new WeakMap<Relation, Observed>();

/** @internal Marks a CollectMetrics relation as feeding `observation`. */
export function registerObservation(relation: Relation, observation: Observation, aliases: string[]): void {
  observedRelations.set(relation, { observation, aliases });
}

/**
 * Passes `responses` through, handing the observed metrics they carry to the Observations inside `plan`.
 * A plan without observations is passed through as it is.
 */
export function withObservations(plan: Plan, responses: AsyncIterable<ExecutePlanResponse>): AsyncIterable<ExecutePlanResponse> {
  const byName = new Map<string, Observed>();
  collectObservations(plan, byName);
  if (byName.size === 0) return responses;
  return (async function* () {
    for await (const response of responses) {
      for (const metrics of response.observedMetrics) {
        const observed = byName.get(metrics.name);
        if (observed) observed.observation.record(metricsObject(metrics, observed.aliases));
      }
      yield response;
    }
  })();
}

function collectObservations(node: unknown, into: Map<string, Observed>): void {
  if (node === null || typeof node !== "object" || node instanceof Uint8Array) return;
  if (Array.isArray(node)) {
    for (const item of node) collectObservations(item, into);
    return;
  }
  if (isMessage(node, RelationSchema)) {
    const observed = observedRelations.get(node);
    const name = observed?.observation.name;
    if (observed && name !== undefined) into.set(name, observed);
  }
  for (const value of Object.values(node)) collectObservations(value, into);
}

function metricsObject(metrics: ExecutePlanResponse_ObservedMetrics, aliases: string[]): Record<string, unknown> {
  const keys = metrics.keys.length === metrics.values.length ? metrics.keys : aliases;
  return Object.fromEntries(metrics.values.map((v, i) => [keys[i] ?? `metric${i}`, literalValue(v)]));
}

/** A metric literal as collect() would give the same value (long → bigint, decimal → string, date → Date). */
export function literalValue(literal: Expression_Literal): unknown {
  const { case: kind, value } = literal.literalType;
  switch (kind) {
    case undefined:
    case "null":
      return null;
    case "binary":
      return value.slice();
    case "decimal":
      return value.value;
    case "date":
      return new Date(value * 86_400_000);
    case "timestamp":
    case "timestampNtz":
      return new Date(Number(floorDiv(value, 1000n)));
    case "array":
      return value.elements.map(literalValue);
    case "map":
      return new Map(value.keys.map((k, i) => [literalValue(k), literalValue(value.values[i]!)]));
    case "struct": {
      const type = value.structType?.kind;
      const names = type?.case === "struct" ? type.value.fields.map((f) => f.name) : [];
      return Object.fromEntries(value.elements.map((e, i) => [names[i] ?? `col${i + 1}`, literalValue(e)]));
    }
    default:
      return value;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
