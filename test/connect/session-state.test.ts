// Unit: which commands leave state a renewed session can't get back, and what restore() replays.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExecutePlanResponseSchema } from "../../src/gen/spark/connect/base_pb.js";
import { commandPlan, rootPlan } from "../../src/connect/sql/plans.js";
import { RelationSchema } from "../../src/gen/spark/connect/relations_pb.js";
import { SessionState } from "../../src/connect/session-state.js";
import type { SparkConnectClient } from "../../src/connect/rpc/client.js";

const sqlResult = (relType: "sql" | "localRelation") =>
  create(ExecutePlanResponseSchema, { responseType: { case: "sqlCommandResult", value: { relation: { relType: { case: relType, value: {} } } } } });

/** Records the calls restore() makes; the real server side is covered by test/server/local-server.spark.test.ts. */
function recordingClient() {
  const calls: unknown[] = [];
  const client = {
    config: async (op: unknown) => void calls.push(op),
    execute: async function* (plan: unknown) {
      calls.push(plan);
    },
  } as unknown as SparkConnectClient;
  return { client, calls };
}

describe("SessionState", () => {
  it("queries and writes leave nothing; views and eager SQL commands are named once each", async () => {
    const state = new SessionState();
    state.noteCommand(commandPlan({ case: "sqlCommand", value: { sql: "SELECT 1" } }), [sqlResult("sql")]);
    state.noteCommand(commandPlan({ case: "writeOperation", value: {} }), []);
    state.noteCommand(commandPlan({ case: "createDataframeView", value: { name: "people", isGlobal: false, replace: true } }), []);
    state.noteCommand(commandPlan({ case: "createDataframeView", value: { name: "people", isGlobal: false, replace: true } }), []);
    state.noteCommand(commandPlan({ case: "sqlCommand", value: { sql: "USE   analytics" } }), [sqlResult("localRelation")]);
    const { client } = recordingClient();
    expect(await state.restore(client)).toEqual(['temporary view "people"', 'SQL command "USE analytics"']);
    expect(await state.restore(client)).toEqual([]); // reported once
  });

  it("replays config at once (last write wins, unset keys dropped) and Java UDFs once, after the hooks; forget() clears them", async () => {
    const state = new SessionState();
    state.noteConf("a", "1");
    state.noteConf("b", "2");
    state.noteConf("a", "3");
    state.noteConf("b", undefined);
    const fn = { functionName: "plus", function: { case: "javaUdf", value: { className: "x.Plus" } } };
    state.noteCommand(commandPlan({ case: "registerFunction", value: fn as never }), []);
    const { client, calls } = recordingClient();
    expect(await state.restore(client)).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(JSON.stringify(calls[0])).toContain('"pairs":[{"key":"a","value":"3"}]');
    // The UDF's class may live in a jar the bundle hook uploads to the new session: registered after it.
    await state.replayPending(client);
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls[1])).toContain("x.Plus");
    await state.replayPending(client);
    expect(calls).toHaveLength(2); // once per new session
    expect(state.describeRestorable()).toBe("1 runtime config value, 1 Java UDF");
    state.forget();
    const again = recordingClient();
    await state.restore(again.client);
    await state.replayPending(again.client);
    expect(again.calls).toEqual([]);
  });

  it("replays spark.catalog's current catalog and database on a new session (last choice of each); listings leave nothing", async () => {
    const state = new SessionState();
    const catalog = (catType: object) => rootPlan(create(RelationSchema, { relType: { case: "catalog", value: { catType } } } as never));
    state.noteCommand(catalog({ case: "listTables", value: {} }), []);
    state.noteCommand(catalog({ case: "setCurrentDatabase", value: { dbName: "staging" } }), []);
    state.noteCommand(catalog({ case: "setCurrentCatalog", value: { catalogName: "spark_catalog" } }), []);
    state.noteCommand(catalog({ case: "setCurrentDatabase", value: { dbName: "analytics" } }), []);
    const { client, calls } = recordingClient();
    expect(await state.restore(client)).toEqual([]);
    // Before: nothing was replayed, and the next query silently ran against "default".
    const replayed = calls.map((c) => JSON.stringify(c));
    expect(replayed).toHaveLength(2);
    expect(replayed[0]).toContain("spark_catalog");
    expect(replayed[1]).toContain("analytics");
    expect(state.describeRestorable()).toBe("0 runtime config values, the current catalog and database");
  });
});
