import { randomBytes } from "node:crypto";
import type { RelTypeInit } from "../plans.js";
import type { Relation } from "../../../gen/spark/connect/relations_pb.js";

/**
 * A seed drawn now, in [0, 2^63 - 1] like pyspark's `random.randint(0, sys.maxsize)`: the plan always carries
 * a seed, so running the same DataFrame twice samples the same rows (SPARK-48184).
 */
export function randomSeed(): bigint {
  return randomBytes(8).readBigUInt64BE() >> 1n;
}

/** A seed as pyspark takes it: any integer in Spark's long range. */
export function requireSeed(what: string, seed: unknown): bigint {
  if (typeof seed === "bigint" && BigInt.asIntN(64, seed) === seed) return seed;
  if (typeof seed === "number" && Number.isSafeInteger(seed)) return BigInt(seed);
  throw new TypeError(`${what} must be an integer (a safe-integer number or a 64-bit bigint), got ${String(seed)}.`);
}

/**
 * pyspark's sample arguments: `(fraction, seed?)` or `(withReplacement, fraction, seed?)`. A fraction is the
 * expected share of rows (with replacement: the expected times each row is picked, ≥ 0).
 */
export function sampleRelation(input: Relation, args: unknown[]): RelTypeInit {
  const [withReplacement, fraction, seed] = typeof args[0] === "boolean" ? args : [false, ...args];
  if (args.length === 0 || args.length > 3 || typeof fraction !== "number" || typeof withReplacement !== "boolean") {
    throw new TypeError("sample(): pass (fraction, seed?) or (withReplacement, fraction, seed?), e.g. sample(0.1, 42).");
  }
  if (!(fraction >= 0) || (!withReplacement && fraction > 1)) {
    throw new RangeError(`sample(fraction): must be in [0, 1]${withReplacement ? " (≥ 0 with replacement)" : ""}, got ${fraction}.`);
  }
  const s = seed === undefined || seed === null ? randomSeed() : requireSeed("sample(seed)", seed);
  return { case: "sample", value: { input, lowerBound: 0, upperBound: fraction, withReplacement, seed: s } };
}

/**
 * randomSplit as pyspark builds it: one Sample per weight over the normalized cumulative bounds, all with one
 * seed and deterministic_order, so the server sorts the input first and the parts are disjoint and complete.
 */
export function randomSplitRelations(input: Relation, weights: readonly number[], seed?: number | bigint): RelTypeInit[] {
  if (!Array.isArray(weights) || weights.length === 0 || weights.some((w) => typeof w !== "number" || !(w >= 0))) {
    throw new TypeError(`randomSplit(weights): pass an array of non-negative numbers, e.g. [0.8, 0.2], got ${String(weights)}.`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError("randomSplit(weights): the weights must sum to more than 0.");
  const s = seed === undefined ? randomSeed() : requireSeed("randomSplit(seed)", seed);
  // The same float arithmetic as pyspark (divide, then accumulate), so the bounds are bit-identical.
  const bounds = [0];
  for (const w of weights) bounds.push(bounds[bounds.length - 1]! + w / total);
  return weights.map((_, j) => ({
    case: "sample",
    value: { input, lowerBound: bounds[j]!, upperBound: bounds[j + 1]!, withReplacement: false, seed: s, deterministicOrder: true },
  }));
}
