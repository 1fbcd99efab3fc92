import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ExecutePlanResponseSchema, type ExecutePlanResponse } from "../../../src/gen/spark/connect/base_pb.js";
import { GrpcCode, SparkConnectError } from "../../../src/connect/errors.js";
import { reattachableExecute, type ExecutionTransport } from "../../../src/connect/rpc/execute.js";
import { backoffMs, withRetry, type Clock, type RetryPolicy } from "../../../src/connect/rpc/retry.js";

const policy: RetryPolicy = { maxRetries: 3, initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2, jitter: 0.5 };

function fakeClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => 0, sleep: async (ms) => void slept.push(ms) };
}

function batch(id: string): ExecutePlanResponse {
  return create(ExecutePlanResponseSchema, { responseId: id, responseType: { case: "arrowBatch", value: { rowCount: 1n } } });
}
function done(id: string): ExecutePlanResponse {
  return create(ExecutePlanResponseSchema, { responseId: id, responseType: { case: "resultComplete", value: {} } });
}
const unavailable = () => new SparkConnectError("connection reset", { grpcCode: GrpcCode.UNAVAILABLE });
const notFound = () =>
  new SparkConnectError("[INVALID_HANDLE.OPERATION_NOT_FOUND]", { errorClass: "INVALID_HANDLE.OPERATION_NOT_FOUND", grpcCode: GrpcCode.INTERNAL });

/** A stream that yields `items`, then throws `error` if given. */
async function* stream(items: ExecutePlanResponse[], error?: Error): AsyncGenerator<ExecutePlanResponse> {
  for (const item of items) yield item;
  if (error) throw error;
}

/** Records every call; each call to execute/reattach takes the next scripted stream. */
function scripted(script: Array<() => AsyncIterable<ExecutePlanResponse>>) {
  const calls: string[] = [];
  const transport: ExecutionTransport = {
    execute: (op) => (calls.push(`execute ${op}`), script.shift()!()),
    reattach: (op, last) => (calls.push(`reattach ${op} after ${last ?? "-"}`), script.shift()!()),
    releaseAll: async (op) => void calls.push(`release ${op}`),
  };
  return { transport, calls };
}

async function ids(gen: AsyncIterable<ExecutePlanResponse>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of gen) out.push(r.responseId);
  return out;
}

describe("reattachableExecute", () => {
  it("streams to ResultComplete, then releases", async () => {
    const { transport, calls } = scripted([() => stream([batch("r1"), batch("r2"), done("r3")])]);
    const got = await ids(reattachableExecute({ operationId: "op", transport, policy, clock: fakeClock() }));
    expect(got).toEqual(["r1", "r2", "r3"]);
    expect(calls).toEqual(["execute op", "release op"]);
  });

  it("reattaches after the last response when the stream ends without ResultComplete", async () => {
    const { transport, calls } = scripted([() => stream([batch("r1")]), () => stream([batch("r2"), done("r3")])]);
    const clock = fakeClock();
    const got = await ids(reattachableExecute({ operationId: "op", transport, policy, clock }));
    expect(got).toEqual(["r1", "r2", "r3"]);
    expect(calls).toEqual(["execute op", "reattach op after r1", "release op"]);
    expect(clock.slept).toEqual([]); // an ended stream is not a failure: no backoff
  });

  it("backs off and reattaches from the last response after UNAVAILABLE", async () => {
    const { transport, calls } = scripted([
      () => stream([batch("r1"), batch("r2")], unavailable()),
      () => stream([], unavailable()),
      () => stream([batch("r3"), done("r4")]),
    ]);
    const clock = fakeClock();
    const got = await ids(reattachableExecute({ operationId: "op", transport, policy, clock, random: () => 0.5 }));
    expect(got).toEqual(["r1", "r2", "r3", "r4"]);
    expect(calls).toEqual(["execute op", "reattach op after r2", "reattach op after r2", "release op"]);
    expect(clock.slept).toEqual([100, 200]); // exponential, jitter centred at random()=0.5
  });

  it("runs the plan again when OPERATION_NOT_FOUND comes before any response", async () => {
    const { transport, calls } = scripted([
      () => stream([], unavailable()),
      () => stream([], notFound()),
      () => stream([batch("r1"), done("r2")]),
    ]);
    const got = await ids(reattachableExecute({ operationId: "op", transport, policy, clock: fakeClock() }));
    expect(got).toEqual(["r1", "r2"]);
    expect(calls).toEqual(["execute op", "reattach op after -", "execute op", "release op"]);
  });

  it("fails on OPERATION_NOT_FOUND once responses were received (results would be lost)", async () => {
    const { transport } = scripted([() => stream([batch("r1")], unavailable()), () => stream([], notFound())]);
    await expect(ids(reattachableExecute({ operationId: "op", transport, policy, clock: fakeClock() }))).rejects.toMatchObject({
      errorClass: "INVALID_HANDLE.OPERATION_NOT_FOUND",
    });
  });

  it("gives up after maxRetries and rethrows the last error, still releasing", async () => {
    const { transport, calls } = scripted(Array.from({ length: 5 }, () => () => stream([], unavailable())));
    const clock = fakeClock();
    await expect(ids(reattachableExecute({ operationId: "op", transport, policy, clock, random: () => 0.5 }))).rejects.toMatchObject({
      grpcCode: GrpcCode.UNAVAILABLE,
    });
    expect(clock.slept).toEqual([100, 200, 400]);
    expect(calls.at(-1)).toBe("release op");
  });

  it("does not retry a non-retryable error", async () => {
    const fatal = new SparkConnectError("[DIVIDE_BY_ZERO]", { errorClass: "DIVIDE_BY_ZERO", grpcCode: GrpcCode.INTERNAL });
    const { transport, calls } = scripted([() => stream([batch("r1")], fatal)]);
    await expect(ids(reattachableExecute({ operationId: "op", transport, policy, clock: fakeClock() }))).rejects.toBe(fatal);
    expect(calls).toEqual(["execute op", "release op"]);
  });

  it("releases (and so interrupts) when the consumer stops early", async () => {
    const { transport, calls } = scripted([() => stream([batch("r1"), batch("r2"), done("r3")])]);
    for await (const r of reattachableExecute({ operationId: "op", transport, policy, clock: fakeClock() })) {
      if (r.responseId === "r1") break;
    }
    expect(calls).toEqual(["execute op", "release op"]);
  });

  it("reports a failed release instead of failing the finished job", async () => {
    const { transport } = scripted([() => stream([done("r1")])]);
    transport.releaseAll = async () => {
      throw new Error("release broke");
    };
    const reported: unknown[] = [];
    const got = await ids(reattachableExecute({ operationId: "op", transport, policy, clock: fakeClock(), onReleaseError: (e) => reported.push(e) }));
    expect(got).toEqual(["r1"]);
    expect(String(reported[0])).toContain("release broke");
  });
});

describe("withRetry / backoff", () => {
  it("retries UNAVAILABLE with jittered exponential backoff, capped", async () => {
    const clock = fakeClock();
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 4) throw unavailable();
        return "ok";
      },
      { policy, clock, random: () => 0.5 },
    );
    expect(value).toBe("ok");
    expect(clock.slept).toEqual([100, 200, 400]);
  });

  it("does not retry other errors", async () => {
    const clock = fakeClock();
    const err = new SparkConnectError("bad sql", { grpcCode: GrpcCode.INVALID_ARGUMENT });
    await expect(withRetry(async () => Promise.reject(err), { policy, clock })).rejects.toBe(err);
    expect(clock.slept).toEqual([]);
  });

  it("keeps jitter within ±jitter of the base and never exceeds the cap by more than jitter", () => {
    expect(backoffMs(policy, 0, () => 0)).toBe(50);
    expect(backoffMs(policy, 0, () => 1)).toBe(150);
    expect(backoffMs(policy, 10, () => 0.5)).toBe(1000);
  });
});
