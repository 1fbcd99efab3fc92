import { execFile, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkHealth,
  ensureLocalServer,
  HealthCheckError,
  localServerStatus,
  PortBusyError,
  registerServerUser,
  ServerStartError,
  stopLocalServer,
  type LocalServer,
} from "../../src/server/index.js";
import { homeLayout } from "../../src/server/home/paths.js";
import { autoBundleOf, lit, SparkConnectError, SparkSession, withAutoBundle } from "../../src/index.js";
import { freePort, privateHome } from "../helpers/private-home.js";

// Real Java, real pyspark, real server — in a private home and on a free port, so the machine's
// shared servers (default home, their own ports) are never touched. The home borrows the provisioned venv
// (privateHome): installing pyspark afresh cost this file 4-7 minutes of every run and proved nothing
// the provisioning tests don't.
const repoRoot = path.resolve(import.meta.dirname, "../..");
let home: string;
let layout: ReturnType<typeof homeLayout>;
const progress: string[] = [];
const onProgress = (line: string) => progress.push(line);

async function holdPort(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return server;
}

/** The CLI as a user runs it: a separate process via `npx tsx`. */
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("npx", ["tsx", "src/cli/main.ts", ...args], { cwd: repoRoot, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function isAlive(pid: number): boolean {
  return spawnSync("kill", ["-0", String(pid)]).status === 0;
}

beforeAll(async () => {
  home = await privateHome(undefined, onProgress);
  layout = homeLayout(home);
}, 600_000);

afterAll(async () => {
  await stopLocalServer({ home });
  fs.rmSync(home, { recursive: true, force: true });
}, 60_000);

describe.skipIf(process.platform === "win32")("local Spark Connect server", () => {
  it("starts, reuses, rejects a wrong token, reports status, and stops", async () => {
    const port = await freePort();
    const server: LocalServer = await ensureLocalServer({ home, port, cores: 1, onProgress });
    expect(server.reused).toBe(false);
    expect(server.sparkVersion).toBe(layout.line.pysparkVersion);
    expect(server.url).toBe(`sc://127.0.0.1:${port}/;token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(server.pythonExecutable).toBe(path.join(layout.venvDir, "bin", "python"));
    expect(server.pythonVersion).toMatch(/^3\.\d+$/);
    expect(isAlive(server.pid)).toBe(true);

    // The state file holds the token: owner-only. The token is passed by env, never on the command line.
    expect(fs.statSync(layout.stateFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`/proc/${server.pid}/cmdline`, "utf8")).not.toContain(server.token);
    expect(fs.readFileSync(server.logFile, "utf8")).toContain(`Spark Connect server started at: 127.0.0.1:${port}`);

    const again = await ensureLocalServer({ home, port, cores: 2, onProgress });
    expect(again.reused).toBe(true);
    expect(again.pid).toBe(server.pid);
    expect(again.token).toBe(server.token);
    expect(progress.at(-1)).toContain("reusing the running server with local[1]");

    for (const token of ["0".repeat(64), undefined]) {
      const error = await checkHealth({ host: "127.0.0.1", port, token }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthCheckError);
      expect((error as HealthCheckError).isAuthFailure).toBe(true);
    }

    const status = await localServerStatus({ home });
    expect(status.state).toBe("running");
    expect(status.state === "running" && status.server.pid).toBe(server.pid);

    const cli = await runCli(["server", "status", "--json", "--home", home]);
    expect(cli.code).toBe(0);
    const json = JSON.parse(cli.stdout) as { state: string; server: { pid: number; port: number; sparkVersion: string } };
    expect(json).toMatchObject({ state: "running", server: { pid: server.pid, port, sparkVersion: layout.line.pysparkVersion } });

    // Another process still using it (e.g. a concurrent test run) keeps it alive for a careful stop.
    const otherUser = spawn("sleep", ["60"], { stdio: "ignore" });
    const unregister = registerServerUser(home, otherUser.pid!);
    const kept = await stopLocalServer({ home, pid: server.pid, ifUnused: true });
    expect(kept).toMatchObject({ stopped: false, reason: `still used by pid ${otherUser.pid}` });
    expect(isAlive(server.pid)).toBe(true);
    unregister();
    otherUser.kill();

    const stopped = await stopLocalServer({ home, pid: server.pid, ifUnused: true });
    expect(stopped).toMatchObject({ stopped: true, pid: server.pid, port });
    expect(isAlive(server.pid)).toBe(false);
    expect(fs.existsSync(layout.stateFile)).toBe(false);
    expect((await localServerStatus({ home })).state).toBe("stopped");

    const after = await runCli(["server", "status", "--json", "--home", home]);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ state: "stopped", home: layout.home });
  });

  /** The server the renewal case left running, for the next restart case. */
  let sharedPort: number | undefined;

  /** Stops the server on `port` and starts a new one on the same home and port (same token). */
  async function restart(port: number, previousPid: number): Promise<number> {
    await stopLocalServer({ home });
    const next = await ensureLocalServer({ home, port, cores: 1, onProgress });
    expect(next.pid).not.toBe(previousPid);
    return next.pid;
  }

  it("after a restart, the next job renews the session: runtime config is replayed, the bundle sent again; a temp view can't be, so it is named", async () => {
    const port = await freePort();
    const first = await ensureLocalServer({ home, port, cores: 1, onProgress });
    const root = path.join(path.dirname(new URL(import.meta.url).pathname), "../../fixtures/srclayout");
    const spark = withAutoBundle(await SparkSession.builder().remote(first.url).create(), {
      root,
      cacheDir: fs.mkdtempSync(path.join(os.tmpdir(), "sab-cache-")),
    });
    try {
      const normalize = spark.udf.python("textkit.text:normalize", "string");
      const run = async () => (await spark.range(1).select(normalize(lit(" A  B ")).alias("v")).collect())[0]!.v;
      await spark.conf.set("spark.sql.shuffle.partitions", 7);
      expect(await run()).toBe("a b");
      expect(autoBundleOf(spark)!.counters.uploads).toBe(1);
      const changes: unknown[] = [];
      spark.onSessionChange((change) => changes.push(change));
      const before = spark.serverSessionId;

      const secondPid = await restart(port, first.pid);
      // The server answered SESSION_CHANGED; nothing was lost that can't be put back, so the job ran again.
      expect(await run()).toBe("a b");
      expect(changes).toHaveLength(1);
      expect(spark.serverSessionId).toBeDefined();
      expect(spark.serverSessionId).not.toBe(before);
      expect(autoBundleOf(spark)!.counters.uploads).toBe(2);
      expect(await spark.conf.get("spark.sql.shuffle.partitions")).toBe("7");

      // State nothing can re-create: the first job after the restart names it and does not run.
      await spark.range(3).createOrReplaceTempView("people");
      await spark.sql("SET spark.sql.ansi.enabled = true");
      expect((await spark.sql("SELECT count(*) AS n FROM people").then((df) => df.collect()))[0]!.n).toBe(3n);
      await restart(port, secondPid);
      const err = await run().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SparkConnectError);
      expect(err).toMatchObject({ errorClass: "INVALID_HANDLE.SESSION_CHANGED" });
      expect((err as Error).message).toContain('the new session lacks state the old one held: temporary view "people", SQL command "SET spark.sql.ansi.enabled = true"');
      expect((err as Error).message).toContain("The job was not run. Restored: 1 runtime config value");
      expect((err as Error).message).toContain("Create the views again");
      expect(changes).toHaveLength(2);
      // Reported once: the next job runs on the new session, with the config (not the view) back.
      expect(await run()).toBe("a b");
      expect(await spark.conf.get("spark.sql.shuffle.partitions")).toBe("7");
      const missing = await spark.sql("SELECT * FROM people").catch((e: unknown) => e);
      expect(missing).toMatchObject({ errorClass: "TABLE_OR_VIEW_NOT_FOUND" });
      // Left running for the next case: one JVM start less (~10 s on 2 cores).
      sharedPort = port;
    } finally {
      await spark.stop();
      if (sharedPort === undefined) await stopLocalServer({ home });
    }
  });

  it('onSessionLost("fail"): a restart is an error even with nothing lost, and the next call starts afresh', async () => {
    const port = sharedPort ?? (await freePort());
    const first = await ensureLocalServer({ home, port, cores: 1, onProgress });
    const spark = await SparkSession.builder().remote(first.url).onSessionLost("fail").create();
    try {
      await spark.conf.set("spark.sql.shuffle.partitions", 7);
      expect(await spark.range(5).count()).toBe(5);
      await restart(port, first.pid);
      const err = await spark.range(5).count().catch((e: unknown) => e);
      expect(err).toMatchObject({ errorClass: "INVALID_HANDLE.SESSION_CHANGED" });
      expect((err as Error).message).toMatch(/no longer has this session[\s\S]*restarted/);
      expect(await spark.range(5).count()).toBe(5);
      // Nothing replayed: the server's default again.
      expect(await spark.conf.get("spark.sql.shuffle.partitions")).toBe("200");
    } finally {
      await spark.stop();
      await stopLocalServer({ home });
    }
  });

  it("replaces a stale state file, and two concurrent CLI starts share one server", async () => {
    const port = await freePort();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    fs.writeFileSync(
      layout.stateFile,
      JSON.stringify({ schema: 1, pid: dead, host: "127.0.0.1", port, token: "stale", logFile: layout.serverLog }),
    );

    const [first, second] = await Promise.all([
      runCli(["server", "start", "--json", "--home", home, "--port", String(port)]),
      runCli(["server", "start", "--json", "--home", home, "--port", String(port)]),
    ]);
    expect([first.code, second.code]).toEqual([0, 0]);
    const servers = [first, second].map((run) => (JSON.parse(run.stdout) as { server: LocalServer }).server);
    expect(servers[0]!.pid).toBe(servers[1]!.pid);
    expect(servers.map((s) => s.reused).sort()).toEqual([false, true]);
    expect(`${first.stderr}${second.stderr}`).toContain(`pid ${dead}) is gone`);

    const stop = await runCli(["server", "stop", "--json", "--home", home]);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ stopped: true, pid: servers[0]!.pid });
    expect(isAlive(servers[0]!.pid)).toBe(false);
  });

  it("refuses a busy port before starting, naming the port and the fix", async () => {
    const port = await freePort();
    const blocker = await holdPort(port);
    try {
      const error = await ensureLocalServer({ home, port, onProgress }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortBusyError);
      expect((error as PortBusyError).port).toBe(port);
      expect((error as Error).message).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect((error as Error).message).toContain("--port");
      expect((error as Error).message).toContain(layout.serverLog);
      expect(fs.existsSync(layout.stateFile)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("recognises a server that dies of a bind error and quotes its log", async () => {
    const port = await freePort();
    let blocker: Promise<net.Server> | undefined;
    // Take the port right after the pre-check passed and the JVM was spawned; the JVM binds seconds later.
    const error = await ensureLocalServer({
      home,
      port,
      onProgress: (line) => {
        if (!blocker && line.includes("starting Spark Connect")) blocker = holdPort(port);
      },
    }).catch((e: unknown) => e);
    (await blocker)?.close();
    expect(error).toBeInstanceOf(PortBusyError);
    const message = (error as Error).message;
    expect(message).toContain(`could not bind 127.0.0.1:${port}`);
    expect(message).toMatch(/\| .*(BindException|Failed to bind)/);
    expect(message).toContain(`Full log: ${layout.serverLog}`);
    expect(fs.existsSync(layout.stateFile)).toBe(false);
  });

  it("reports a server that dies on start with the log's last lines and its path", async () => {
    const port = await freePort();
    const error = await ensureLocalServer({
      home,
      port,
      onProgress,
      sparkConf: { "spark.driver.memory": "plenty" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerStartError);
    const message = (error as Error).message;
    expect(message).toContain("exited with code");
    expect(message).toContain("| Invalid maximum heap size: -Xmxplenty");
    expect(message).toContain(`Full log: ${layout.serverLog}`);
    expect((error as ServerStartError).logFile).toBe(layout.serverLog);
    expect(fs.existsSync(layout.stateFile)).toBe(false);
  });
});
