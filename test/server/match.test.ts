// Spark "match": which settings ask for it, that every entry point resolves it before reading the line, and
// each error's class, reason, message and redaction. The remote here is a closed port or the repo's fake
// Connect server (test/helpers/fake-connect-server.mjs), which can report a version no line of ours runs
// (3.4.1) and costs no JVM; the real round trip to a real server is in match.spark.test.ts.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SparkSession } from "../../src/index.js";
import { ConnectionStringError } from "../../src/connect/rpc/connection.js";
import { ensureLocalCluster, ensureLocalServer, localClusterStatus, localServerStatus, stopLocalCluster, stopLocalServer } from "../../src/server/index.js";
import { lineOfRemote, matchRemoteLine, resolveMatch, SparkLineMatchError, wantsMatch } from "../../src/server/match.js";
import { resolveOptions } from "../../src/server/options.js";
import { LocalServerError } from "../../src/server/errors.js";
import { until } from "../helpers/fake-spark-home.js";
import { freePort } from "../helpers/private-home.js";
import { tempDir } from "../bundle/helpers.js";

const FAKE_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "helpers", "fake-connect-server.mjs");
const TOKEN = "f00dfacef00dfacef00dface";

/** What a caught rejection is, for assertions on class and fields together. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("which settings ask for match", () => {
  it("the option wins over SPARK_AUTOBUNDLE_SPARK; the env's value is case- and space-insensitive", () => {
    expect(wantsMatch({ spark: "match", env: {} })).toBe(true);
    expect(wantsMatch({ env: { SPARK_AUTOBUNDLE_SPARK: " Match " } })).toBe(true);
    expect(wantsMatch({ spark: "4.1", env: { SPARK_AUTOBUNDLE_SPARK: "match" } })).toBe(false);
    expect(wantsMatch({ env: { SPARK_AUTOBUNDLE_SPARK: "4.2" } })).toBe(false);
    expect(wantsMatch({ env: {} })).toBe(false);
  });

  it("resolveMatch leaves options naming a line (or none) as they are, with no round trip", async () => {
    const named = { spark: "3.5" as const, env: { SPARK_REMOTE: "sc://never-contacted.invalid:1" } };
    expect(await resolveMatch(named)).toEqual({ options: named });
    expect(await resolveMatch({ env: {} })).toEqual({ options: { env: {} } });
  });

  it("the synchronous resolveOptions refuses an unresolved match instead of guessing a line", () => {
    expect(() => resolveOptions({ spark: "match", onProgress: () => undefined })).toThrow(/resolveMatch/);
    expect(() => resolveOptions({ env: { SPARK_AUTOBUNDLE_SPARK: "match" }, onProgress: () => undefined })).toThrow(/resolveMatch/);
  });

  it("maps reported versions to lines, and names the choices for a line we don't run", () => {
    expect(lineOfRemote("3.5.1-databricks", "sc://h:1")).toBe("3.5");
    expect(lineOfRemote("4.2.1", "sc://h:1")).toBe("4.2");
    const error = (() => {
      try {
        return lineOfRemote("3.4.1", "sc://cluster.example.com:443/;token=<redacted>");
      } catch (e) {
        return e as SparkLineMatchError;
      }
    })() as SparkLineMatchError;
    expect(error).toBeInstanceOf(SparkLineMatchError);
    expect(error.reason).toBe("unsupported-line");
    expect(error.problem).toBe('The server at sc://cluster.example.com:443/;token=<redacted> runs Spark 3.4.1, a line the embedded server does not run (it runs "3.5", "4.0", "4.1", "4.2", "4.3").');
    expect(error.fix).toContain("SPARK_AUTOBUNDLE_SPARK=<line>");
  });
});

describe("match with no remote to match", () => {
  it("every entry point rejects before it touches the home: no remote, or SPARK_REMOTE=local", async () => {
    const home = tempDir("sab-match-home-");
    const noRemote = { home, spark: "match" as const, env: {}, onProgress: () => undefined };
    for (const call of [ensureLocalServer(noRemote), stopLocalServer(noRemote), localServerStatus(noRemote), ensureLocalCluster(noRemote), stopLocalCluster(noRemote), localClusterStatus(noRemote)]) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(SparkLineMatchError);
      expect(error).toBeInstanceOf(LocalServerError);
      expect(error.message).toMatch(/^spark "match" starts the Spark line of the cluster SPARK_REMOTE names, but no remote was given and SPARK_REMOTE is not set\.\nFix: set SPARK_REMOTE/);
    }
    // No lock, state or venv was made for a line that was never known.
    expect(fs.readdirSync(home)).toEqual([]);

    const local = await rejection(ensureLocalServer({ home, env: { SPARK_AUTOBUNDLE_SPARK: "match", SPARK_REMOTE: "local[2]" } }));
    expect(local).toMatchObject({ reason: "no-remote", problem: 'SPARK_AUTOBUNDLE_SPARK=match needs a remote cluster to match, but SPARK_REMOTE is "local[2]": the embedded server itself.' });
  });

  it('remote("local") with SPARK_AUTOBUNDLE_SPARK=match and no SPARK_REMOTE says which setting and what to set', async () => {
    const saved = { spark: process.env.SPARK_AUTOBUNDLE_SPARK, remote: process.env.SPARK_REMOTE };
    process.env.SPARK_AUTOBUNDLE_SPARK = "match";
    delete process.env.SPARK_REMOTE;
    try {
      const error = await rejection(SparkSession.builder().remote("local").create());
      expect(error).toBeInstanceOf(SparkLineMatchError);
      expect(error.message).toContain("SPARK_AUTOBUNDLE_SPARK=match starts the Spark line of the cluster SPARK_REMOTE names");
      expect(error.message).toContain('or name the line instead of "match"');
    } finally {
      for (const [key, value] of [["SPARK_AUTOBUNDLE_SPARK", saved.spark], ["SPARK_REMOTE", saved.remote]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("a malformed URL is the URL's error (exit 2 in the CLI), its token redacted", async () => {
    const error = await rejection(matchRemoteLine(`http://cluster.example.com:15002/;token=${TOKEN}`, { env: {} }));
    expect(error).toBeInstanceOf(ConnectionStringError);
    expect(error.message).toContain('the scheme is "http://"');
    expect(error.message).not.toContain(TOKEN);
  });
});

describe("match against a remote that does not tell its line", () => {
  it("a closed port: reason unreachable, the URL named without its token, a fix for a cluster (not the embedded server)", async () => {
    const port = await freePort();
    const error = (await rejection(matchRemoteLine(undefined, { env: { SPARK_REMOTE: `sc://127.0.0.1:${port}/;token=${TOKEN}` } }))) as SparkLineMatchError;
    expect(error).toBeInstanceOf(SparkLineMatchError);
    expect(error.reason).toBe("unreachable");
    expect(error.problem).toMatch(new RegExp(`^spark "match" could not read the remote's Spark version: Cannot reach the Spark Connect server at sc://127\\.0\\.0\\.1:${port}/;token=<redacted> \\(`));
    expect(error.fix).toMatch(/^check that the server runs and that the URL's host and port are right; or name the line instead of "match"/);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain("server start");
  });

  describe("the fake Connect server", () => {
    let server: ChildProcess;
    let port: number;
    const url = () => `sc://127.0.0.1:${port}/;token=${TOKEN}`;

    beforeAll(async () => {
      port = await freePort();
      // Detached: its own process group, so the worker it forks goes with it.
      server = spawn(process.execPath, [FAKE_SERVER, "--conf", `spark.connect.grpc.binding.port=${port}`], {
        env: { ...process.env, FAKE_CONNECT_VERSION: "3.4.1", SPARK_CONNECT_AUTHENTICATE_TOKEN: TOKEN, FAKE_CONNECT_LIFETIME_MS: "60000" },
        detached: true,
        stdio: "ignore",
      });
      await until("the fake server to answer", () => matchRemoteLine(url(), { env: {} }).then(() => false, (e: SparkLineMatchError) => e.reason === "unsupported-line"));
    });

    afterAll(() => {
      if (server.pid !== undefined) process.kill(-server.pid, "SIGKILL");
    });

    it("a remote on Spark 3.4: reason unsupported-line, naming its version and the lines we run", async () => {
      const error = (await rejection(matchRemoteLine(url(), { env: {} }))) as SparkLineMatchError;
      expect(error.reason).toBe("unsupported-line");
      expect(error.message).toContain(`The server at sc://127.0.0.1:${port}/;token=<redacted> runs Spark 3.4.1, a line the embedded server does not run`);
      expect(error.message).not.toContain(TOKEN);
    });

    it("a wrong token: reason unreachable, naming the refused credentials and the token to check", async () => {
      const error = (await rejection(matchRemoteLine(`sc://127.0.0.1:${port}/;token=wrong-${TOKEN}`, { env: {} }))) as SparkLineMatchError;
      expect(error.reason).toBe("unreachable");
      expect(error.problem).toContain("refused the credentials (Invalid authentication token)");
      expect(error.fix).toMatch(/^check the URL's token/);
      expect(error.message).not.toContain(TOKEN);
    });
  });
});
