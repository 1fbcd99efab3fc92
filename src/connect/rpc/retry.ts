import { GrpcCode, SparkConnectError } from "../errors.js";

/** Time, injectable so retry and reattach logic is testable without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

export interface RetryPolicy {
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
  /** Each wait is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

// Short on purpose: an unreachable server should fail in seconds with a clear
// error, not after pyspark's ten-minute default.
export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  multiplier: 3,
  jitter: 0.5,
};

export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** attempt);
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.round(base * factor);
}

/** UNAVAILABLE is the one code that means "try again": the server was not reached or went away. */
export function isRetryable(err: unknown): boolean {
  return err instanceof SparkConnectError ? err.grpcCode === GrpcCode.UNAVAILABLE : false;
}

export interface RetryOptions {
  policy: RetryPolicy;
  clock: Clock;
  random?: () => number;
  signal?: AbortSignal;
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
}

/** Runs `op`, retrying retryable failures with jittered exponential backoff. */
export async function withRetry<T>(op: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retryable = options.retryable ?? isRetryable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!retryable(err) || attempt >= options.policy.maxRetries) throw err;
      const wait = backoffMs(options.policy, attempt, options.random);
      options.onRetry?.(err, attempt + 1, wait);
      await options.clock.sleep(wait, options.signal);
    }
  }
}
