// How retries end: restarts after OPERATION_NOT_FOUND are bounded, and an abort during a backoff ends
// the wait at once. Transports are scripted (as in execute.test.ts): no server can be made to lose an
// operation on every attempt, or to be down exactly while a backoff is waited out.
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ExecutePlanResponseSchema, type ExecutePlanResponse } from "../../../src/gen/spark/connect/base_pb.js";
import { GrpcCode, SparkConnectError } from "../../../src/connect/errors.js";
import { reattachableExecute, type ExecutionTransport } from "../../../src/connect/rpc/execute.js";
import { systemClock, withRetry, type Clock, type RetryPolicy } from "../../../src/connect/rpc/retry.js";

const policy: RetryPolicy = { maxRetries: 3, initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2, jitter: 0 };
const instantClock: Clock = { now: () => 0, sleep: async () => {} };
const NOT_FOUND = "INVALID_HANDLE.OPERATION_NOT_FOUND";
const notFound = () => new SparkConnectError(`[${NOT_FOUND}] The operation was not found.`, { errorClass: NOT_FOUND, grpcCode: GrpcCode.INTERNAL });
const unavailable = () => new SparkConnectError("connection reset", { grpcCode: GrpcCode.UNAVAILABLE });
const done = (id: string): ExecutePlanResponse => create(ExecutePlanResponseSchema, { responseId: id, responseType: { case: "resultComplete", value: {} } });

async function* failing(error: Error): AsyncGenerator<ExecutePlanResponse> {
  throw error;
}

/**
 * A transport whose every stream fails with `error()`. Past `runaway` calls it throws a distinct error,
 * so an unbounded loop fails the test instead of hanging it.
 */
function alwaysFailing(error: () => Error, runaway = 200) {
  const calls: string[] = [];
  const next = (call: string) => {
    calls.push(call);
    return failing(calls.length > runaway ? new Error(`runaway: ${calls.length} calls`) : error());
  };
  const transport: ExecutionTransport = {
    execute: (op) => next(`execute ${op}`),
    reattach: (op, last) => next(`reattach ${op} after ${last ?? "-"}`),
    releaseAll: async (op) => void calls.push(`release ${op}`),
  };
  return { transport, calls };
}

async function drain(responses: AsyncIterable<ExecutePlanResponse>): Promise<unknown> {
  try {
    for await (const response of responses) void response;
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("OPERATION_NOT_FOUND restarts", () => {
  it("are bounded: a server that never finds the operation ends in a clear error, not a loop", async () => {
    const { transport, calls } = alwaysFailing(notFound);
    const err = (await drain(reattachableExecute({ operationId: "op", transport, policy, clock: instantClock }))) as SparkConnectError;
    expect(err).toBeInstanceOf(SparkConnectError);
    expect(err.message).not.toContain("runaway");
    expect(err.errorClass).toBe(NOT_FOUND);
    // One first ExecutePlan, then at most maxRetries fresh starts; and the operation is still released.
    const executes = calls.filter((c) => c.startsWith("execute"));
    expect(executes.length).toBeGreaterThan(1);
    expect(executes.length).toBeLessThanOrEqual(policy.maxRetries + 1);
    expect(calls.at(-1)).toBe("release op");
    expect(err.message).toContain("op"); // names the operation it kept losing
    expect(err.fix).toBeTruthy();
  });

  it("still restart once when a reattach after UNAVAILABLE finds nothing (the ExecutePlan never arrived)", async () => {
    // The bound must not cost the case restarts exist for.
    const script = [() => failing(unavailable()), () => failing(notFound()), async function* () { yield done("r1"); }];
    const calls: string[] = [];
    const transport: ExecutionTransport = {
      execute: (op) => (calls.push(`execute ${op}`), script.shift()!()),
      reattach: (op) => (calls.push(`reattach ${op}`), script.shift()!()),
      releaseAll: async (op) => void calls.push(`release ${op}`),
    };
    expect(await drain(reattachableExecute({ operationId: "op", transport, policy, clock: instantClock }))).toBeUndefined();
    expect(calls).toEqual(["execute op", "reattach op", "execute op", "release op"]);
  });
});

describe("an abort during a retry backoff", () => {
  // Real timers: systemClock is what the client uses, and what must stop waiting.
  const slow: RetryPolicy = { maxRetries: 5, initialBackoffMs: 20_000, maxBackoffMs: 20_000, multiplier: 1, jitter: 0 };

  /** systemClock, telling the test when a wait begins. */
  function observedClock() {
    let began!: (ms: number) => void;
    const waiting = new Promise<number>((resolve) => (began = resolve));
    const clock: Clock = { now: systemClock.now, sleep: (ms, signal) => (began(ms), systemClock.sleep(ms, signal)) };
    return { clock, waiting };
  }

  it("ends a reattachable execution's wait at once with the abort error, and releases the operation", async () => {
    const { transport, calls } = alwaysFailing(unavailable);
    const { clock, waiting } = observedClock();
    const controller = new AbortController();
    const result = drain(reattachableExecute({ operationId: "op", transport, policy: slow, clock, signal: controller.signal }));
    expect(await waiting).toBe(20_000);
    const aborted = performance.now();
    controller.abort();
    const err = (await result) as Error;
    expect(performance.now() - aborted).toBeLessThan(1_000);
    expect(err.name).toBe("AbortError");
    expect(calls).toEqual(["execute op", "release op"]); // no reattach after the abort
  }, 5_000);

  it("ends withRetry's wait at once with the abort error, without another attempt", async () => {
    const { clock, waiting } = observedClock();
    const controller = new AbortController();
    let attempts = 0;
    const result = withRetry(async () => Promise.reject((attempts++, unavailable())), { policy: slow, clock, signal: controller.signal }).catch((e: unknown) => e as Error);
    await waiting;
    const aborted = performance.now();
    controller.abort(new Error("stopped by the caller"));
    const err = await result;
    expect(performance.now() - aborted).toBeLessThan(1_000);
    expect(err.message).toBe("stopped by the caller"); // the signal's own reason
    expect(attempts).toBe(1);
  }, 5_000);

  it("an already-aborted signal does not wait at all", async () => {
    const controller = new AbortController();
    controller.abort();
    const started = performance.now();
    await expect(systemClock.sleep(20_000, controller.signal)).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - started).toBeLessThan(1_000);
  }, 5_000);
});
