import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UsageError, type CliContext } from "../../src/cli/command.js";
import { resolveTarget, withSessionId } from "../../src/cli/remote.js";
import { parseConnectionString } from "../../src/connect/rpc/connection.js";
import { CapturedStream, REPO_ROOT } from "./helpers.js";

const context = (env: NodeJS.ProcessEnv = {}): CliContext => ({ stdout: new CapturedStream(), stderr: new CapturedStream(), env, cwd: REPO_ROOT });
const ID = "550e8400-e29b-41d4-a716-446655440000";

describe("session ids in remote URLs", () => {
  it("appends ;session_id= in every URL shape, and the result parses back to that id", () => {
    for (const url of ["sc://h", "sc://h:15002", "sc://h:15002/", "sc://h:15002/;token=t", "sc://h:15002/;user_id=u;"]) {
      const withId = withSessionId(url, ID);
      expect(parseConnectionString(withId).sessionId, url).toBe(ID);
    }
    expect(withSessionId("sc://h:15002/;token=t", ID)).toBe(`sc://h:15002/;token=t;session_id=${ID}`);
  });

  it("uses --session-id, else the URL's, else a fresh one, and refuses two different ones", async () => {
    const given = await resolveTarget("sc://localhost:15002", ID, context());
    expect(given).toMatchObject({ sessionId: ID, url: `sc://localhost:15002/;session_id=${ID}` });
    const inUrl = await resolveTarget(`sc://localhost:15002/;session_id=${ID}`, undefined, context());
    expect(inUrl.sessionId).toBe(ID);
    const fresh = await resolveTarget(undefined, undefined, context({ SPARK_REMOTE: "sc://localhost:15002" }));
    expect(fresh.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseConnectionString(fresh.url).sessionId).toBe(fresh.sessionId);
    await expect(resolveTarget(`sc://localhost:15002/;session_id=${ID}`, randomUUID(), context())).rejects.toThrow(UsageError);
  });

  it("prints a loopback URL whole (a local token), and redacts a remote host's token", async () => {
    const local = await resolveTarget("sc://127.0.0.1:15002/;token=abc", ID, context());
    expect(local.shownUrl).toBe(`sc://127.0.0.1:15002/;token=abc;session_id=${ID}`);
    const remote = await resolveTarget("sc://spark.example.com:443/;token=secret", ID, context());
    expect(remote.url).toContain("token=secret");
    expect(remote.shownUrl).toBe(`sc://spark.example.com:443/;token=<redacted>;session_id=${ID}`);
  });
});
