// What the server reports as a job ends: observed metrics (Observation, df.observe) and, for df.executionInfo,
// the executed plan's metrics.
import { isMessage } from "@bufbuild/protobuf";
import type { ExecutePlanResponse, ExecutePlanResponse_Metrics, ExecutePlanResponse_ObservedMetrics, Plan } from "../../../gen/spark/connect/base_pb.js";
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

/** The aliases of the Observations observed in `plan`, by observation name (for servers that send no keys). */
export function observationAliases(plan: Plan): Map<string, string[]> {
  const byName = new Map<string, Observed>();
  collectObservations(plan, byName);
  return new Map([...byName].map(([name, observed]) => [name, observed.aliases]));
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

// ---- df.executionInfo: the plan metrics and observed metrics of a DataFrame's last action ----

/** One SQL metric of a plan node, e.g. `numOutputRows = 5 (sum)`. */
export interface MetricValue {
  readonly name: string;
  /** As a number: metrics are counts, sizes and timings, far below 2^53. */
  readonly value: number;
  /** Spark's metric type: "sum", "size", "timing", "nsTiming", "average"... */
  readonly metricType: string;
}

/** One node of the executed physical plan and its metrics (pyspark's PlanMetrics). */
export interface PlanMetrics {
  readonly name: string;
  readonly planId: number;
  readonly parentPlanId: number;
  readonly metrics: readonly MetricValue[];
}

/** The metrics of one observe() name, as the server reported them (pyspark's ObservedMetrics). */
export interface ObservedMetrics {
  readonly name: string;
  readonly keys: readonly string[];
  /** key → value, decoded as collect() decodes the same types. */
  readonly pairs: Record<string, unknown>;
}

interface Node {
  id: number;
  name: string;
  metrics: readonly MetricValue[];
  children: number[];
}

/** The executed plan's nodes with their metrics, as a tree (pyspark's CollectedMetrics). */
export class CollectedMetrics {
  /** The nodes, sorted by parent id as pyspark sorts them. */
  readonly plans: readonly PlanMetrics[];

  constructor(plans: readonly PlanMetrics[]) {
    this.plans = [...plans].sort((a, b) => a.parentPlanId - b.parentPlanId);
  }

  /** The root node's id and every node by id, children linked (pyspark's extract_graph). */
  extractGraph(): { root: number; nodes: Map<number, Node> } {
    const nodes = new Map<number, Node>();
    const node = (id: number) => nodes.get(id) ?? nodes.set(id, { id, name: "", metrics: [], children: [] }).get(id)!;
    for (const p of this.plans) {
      Object.assign(node(p.planId), { name: p.name, metrics: p.metrics });
      node(p.parentPlanId).children.push(p.planId);
    }
    // The root is the one node that is nobody's child (a node may list itself: WholeStageCodegen does).
    const candidates = new Set(nodes.keys());
    for (const [id, n] of nodes) for (const c of n.children) if (c !== id) candidates.delete(c);
    if (candidates.size !== 1) throw new Error(`The server's plan metrics have ${candidates.size} roots, expected 1.`);
    return { root: [...candidates][0]!, nodes };
  }

  /** The tree as text with each node's base metrics, line for line what pyspark's toText() prints. */
  toText(): string {
    const { root, nodes } = this.extractGraph();
    return text(nodes.get(root)!, nodes, "");
  }
}

const BASE_METRICS = new Set(["numPartitions", "peakMemory", "numOutputRows", "spillSize"]);

function text(current: Node, nodes: Map<number, Node>, prefix: string): string {
  const shown = current.metrics.filter((m) => BASE_METRICS.has(m.name)).map((m) => `${m.name}: ${m.value} (${m.metricType})`);
  let out = `${prefix}+- ${current.name}(${shown.join(",")})\n`;
  current.children.forEach((childId, i) => {
    const child = nodes.get(childId)!;
    // pyspark's indentation rule, kept as it is so the text matches: compares with the child's child count.
    const childPrefix = i === child.children.length - 1 ? prefix + "  " : prefix;
    if (current.id !== child.id) out += text(child, nodes, childPrefix);
  });
  return out;
}

/**
 * What the server reported about a DataFrame's last action (pyspark 4's `df.executionInfo`): the executed
 * plan's metrics and the observed metrics (df.observe). Filled once the action's results have all arrived.
 */
export class ExecutionInfo {
  /** The plan nodes' metrics, or null when the server sent none (commands, some local results). */
  readonly metrics: CollectedMetrics | null;
  readonly observations: readonly ObservedMetrics[];

  constructor(plans: readonly PlanMetrics[], observations: readonly ObservedMetrics[]) {
    this.metrics = plans.length > 0 ? new CollectedMetrics(plans) : null;
    this.observations = observations;
  }

  /** [name, metrics] of each observation, pyspark's `flows`. */
  get flows(): [string, Record<string, unknown>][] {
    return this.observations.map((o) => [o.name, { ...o.pairs }]);
  }
}

/** Receives a finished action's ExecutionInfo. */
export type ExecutionInfoSink = (info: ExecutionInfo) => void;

/**
 * Passes `responses` through; once they have all arrived, hands their metrics to `sink`. `aliases` names the
 * observed values for servers that send no keys (3.5), from the plan's Observations.
 */
export async function* withExecutionInfo(
  responses: AsyncIterable<ExecutePlanResponse>,
  sink: ExecutionInfoSink,
  aliases: () => Map<string, string[]>,
): AsyncGenerator<ExecutePlanResponse> {
  const plans: PlanMetrics[] = [];
  const observations: ObservedMetrics[] = [];
  for await (const response of responses) {
    if (response.metrics) plans.push(...planMetrics(response.metrics));
    for (const m of response.observedMetrics) observations.push(observed(m, m.keys.length > 0 ? [...m.keys] : aliases().get(m.name)));
    yield response;
  }
  sink(new ExecutionInfo(plans, observations));
}

function planMetrics(metrics: ExecutePlanResponse_Metrics): PlanMetrics[] {
  return metrics.metrics.map((m) => ({
    name: m.name,
    planId: Number(m.planId),
    parentPlanId: Number(m.parent),
    metrics: Object.entries(m.executionMetrics).map(([name, v]) => ({ name, value: Number(v.value), metricType: v.metricType })),
  }));
}

function observed(m: ExecutePlanResponse_ObservedMetrics, names: string[] | undefined): ObservedMetrics {
  // Without keys or an Observation's aliases (observe("name", ...) on 3.5), pyspark's observed_metric_<i>.
  const keys = m.values.map((_, i) => names?.[i] ?? `observed_metric_${i}`);
  return { name: m.name, keys, pairs: Object.fromEntries(m.values.map((v, i) => [keys[i], literalValue(v)])) };
}
