// SparkSession's renewal after the server lost the session (session.ts `execute`, `renewing`).
// A FakeConnectClient (test/helpers/fake-connect-client.ts) stands in for the client where a real server
// can't be made to lose the session at an exact point of a call (after the first batch, or right on the
// first call after a restart); the restart itself against a real server is test/server/local-server.spark.test.ts.
// The abort case needs no fake: a real client against a port where nothing listens.
import { createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PlanSchema, type ExecutePlanResponse, type Plan } from "../../src/gen/spark/connect/base_pb.js";
import { SESSION_CHANGED, SparkConnectError } from "../../src/connect/errors.js";
import { SparkConnectClient } from "../../src/connect/rpc/client.js";
import { systemClock, type Clock } from "../../src/connect/rpc/retry.js";
import { SparkSession } from "../../src/connect/session.js";
import { FakeConnectClient } from "../helpers/fake-connect-client.js";

const KEY = "spark.sql.shuffle.partitions";

function rangePlan(): Plan {
  return create(PlanSchema, { opType: { case: "root", value: { relType: { case: "range", value: { start: 0n, end: 3n, step: 1n } } } } });
}

/** Runs `plan`, keeping what arrived before any failure. */
async function run(session: SparkSession, plan: Plan, options?: { signal?: AbortSignal }): Promise<{ responses: ExecutePlanResponse[]; error?: unknown }> {
  const responses: ExecutePlanResponse[] = [];
  try {
    for await (const response of session.execute(plan, options)) responses.push(response);
  } catch (error) {
    return { responses, error };
  }
  return { responses };
}

/** A session over a fake client that already set KEY=7, and a count of the plan hook's runs. */
async function sessionWithConf() {
  const fake = new FakeConnectClient();
  const session = fake.session();
  let hookRuns = 0;
  session.addPlanHook(async () => void hookRuns++);
  await session.conf.set(KEY, 7);
  return { fake, session, hookRuns: () => hookRuns };
}

describe("SESSION_CHANGED once the server has answered", () => {
  it("is never retried: the job ran once, and the error reaches the caller after the batch it got", async () => {
    const { fake, session, hookRuns } = await sessionWithConf();
    fake.script.execute.push({ kind: "answerThenSessionChanged", responses: 1 });
    const { responses, error } = await run(session, rangePlan());
    expect(responses.map((r) => r.responseId)).toEqual(["#1.0"]);
    expect(error).toBeInstanceOf(SparkConnectError);
    expect(error).toMatchObject({ errorClass: SESSION_CHANGED });
    // One ExecutePlan, one hook run: running it again would duplicate a write, or a collect's rows.
    expect(fake.calls.filter((c) => c.startsWith("execute"))).toEqual(["execute #1 root"]);
    expect(hookRuns()).toBe(1);
  });

  it("still leaves the next call a renewed session: config set before is replayed, not silently dropped", async () => {
    // The client forgets the old server-side id with the error, so the server takes the next call on
    // its new session without complaint: nothing would tell the user that KEY is back at its default.
    const { fake, session } = await sessionWithConf();
    fake.script.execute.push({ kind: "answerThenSessionChanged", responses: 1 });
    expect((await run(session, rangePlan())).error).toMatchObject({ errorClass: SESSION_CHANGED });

    const next = await run(session, rangePlan());
    expect(next.error).toBeUndefined();
    const second = fake.calls.indexOf("execute #2 root");
    expect(fake.calls.slice(fake.calls.indexOf("execute #1 root") + 1, second)).toContain(`config set ${KEY}=7`);
    expect(await session.conf.get(KEY)).toBe("7");
  });

  it("a second loss on the retry is not retried again, and the call after it gets the config back too", async () => {
    const { fake, session, hookRuns } = await sessionWithConf();
    fake.script.execute.push({ kind: "sessionChanged" }, { kind: "sessionChanged" });
    const { responses, error } = await run(session, rangePlan());
    expect(responses).toEqual([]);
    expect(error).toMatchObject({ errorClass: SESSION_CHANGED });
    expect(fake.calls.filter((c) => c.startsWith("execute"))).toEqual(["execute #1 root", "execute #2 root"]);
    expect(hookRuns()).toBe(2);
    expect(await session.conf.get(KEY)).toBe("7");
  });

  it("(contrast) lost before any answer: the config is replayed and the job runs once more, successfully", async () => {
    const { fake, session, hookRuns } = await sessionWithConf();
    fake.script.execute.push({ kind: "sessionChanged" });
    const { responses, error } = await run(session, rangePlan());
    expect(error).toBeUndefined();
    expect(responses.map((r) => r.responseId)).toEqual(["#2.0", "#2.1", "#2.done"]);
    expect(fake.calls).toEqual([`config set ${KEY}=7`, "execute #1 root", `config set ${KEY}=7`, "execute #2 root"]);
    expect(hookRuns()).toBe(2); // the hooks run again: a new session needs the bundle again
  });
});

describe("the first call after a restart is an analysis or a conf read", () => {
  it("analyze (df.columns()) renews the session, replays the config, and answers", async () => {
    const { fake, session, hookRuns } = await sessionWithConf();
    fake.script.analyze.push({ kind: "sessionChanged" });
    expect(await session.range(3).columns()).toEqual(["id"]);
    expect(fake.calls).toEqual([`config set ${KEY}=7`, "analyze schema", `config set ${KEY}=7`, "analyze schema"]);
    expect(hookRuns()).toBe(2); // a schema analysis may carry UDF placeholders: hooks run for each attempt
    expect(fake.conf.get(KEY)).toBe("7");
  });

  it("conf.get renews the session and reads the replayed value, not the new session's default", async () => {
    const { fake, session } = await sessionWithConf();
    fake.script.config.push({ kind: "sessionChanged" });
    expect(await session.conf.get(KEY)).toBe("7");
    expect(fake.calls).toEqual([`config set ${KEY}=7`, `config get ${KEY}`, `config set ${KEY}=7`, `config get ${KEY}`]);
  });

  it("a second loss on conf.get's retry reaches the caller, and the call after it still reads the replayed value", async () => {
    const { fake, session } = await sessionWithConf();
    fake.script.config.push({ kind: "sessionChanged" }, { kind: "ok" }, { kind: "sessionChanged" });
    await expect(session.conf.get(KEY)).rejects.toMatchObject({ errorClass: SESSION_CHANGED });
    expect(fake.calls.filter((c) => c === `config get ${KEY}`)).toHaveLength(2); // retried once, not in a loop
    expect(await session.conf.get(KEY)).toBe("7");
  });

  it("conf.get with a default after a restart reads the replayed value too", async () => {
    const { fake, session } = await sessionWithConf();
    fake.script.config.push({ kind: "sessionChanged" });
    expect(await session.conf.get(KEY, "200")).toBe("7");
    expect(fake.calls.filter((c) => c.startsWith("config set"))).toHaveLength(2);
  });
});

describe("an abort while the client waits to retry an unreachable server", () => {
  /** A loopback port nothing listens on: every call fails with UNAVAILABLE, as with a server that went away. */
  async function deadPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it("ends the job at once with the abort error, without renewing or retrying", async () => {
    let waitBegan!: (ms: number) => void;
    const waiting = new Promise<number>((resolve) => (waitBegan = resolve));
    // The real systemClock does the waiting; the wrapper only says when a backoff begins.
    const clock: Clock = { now: systemClock.now, sleep: (ms, signal) => (waitBegan(ms), systemClock.sleep(ms, signal)) };
    const address = `127.0.0.1:${await deadPort()}`;
    const client = new SparkConnectClient({
      channel: { address, credentials: grpc.credentials.createInsecure(), metadata: () => new grpc.Metadata() },
      clientType: "spark-autobundle/test",
      displayUrl: `sc://${address}`,
      retryPolicy: { maxRetries: 5, initialBackoffMs: 20_000, maxBackoffMs: 20_000, multiplier: 1, jitter: 0 },
      clock,
    });
    const session = new SparkSession(client, "4.1.4");
    try {
      const controller = new AbortController();
      const result = run(session, rangePlan(), { signal: controller.signal });
      expect(await waiting).toBe(20_000);
      const aborted = performance.now();
      controller.abort();
      const { error } = await result;
      expect(performance.now() - aborted).toBeLessThan(1_000);
      expect(error).toMatchObject({ name: "AbortError" });
      expect(client.executionStats).toMatchObject({ executes: 1, reattaches: 0 });
    } finally {
      client.close();
    }
  }, 10_000);
});
