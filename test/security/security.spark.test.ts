// Security, against the real embedded server the suite runs on (its pid and logs come from the
// default home's state file): the token stays out of logs and errors, the server refuses clients
// without it, every socket it listens on is loopback, and TLS with a token works end to end through
// a real TLS-terminating proxy (a few lines of Node in front of the real server).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseConnectionString, SparkConnectError, SparkSession, withAutoBundle } from "../../src/index.js";
import { homeLayout, resolveHome } from "../../src/server/home/paths.js";
import { readState } from "../../src/server/home/state.js";
import { copyFixture, tempDir } from "../bundle/helpers.js";
import { listeningSockets, processTree, readOr, socketInodes } from "../helpers/sockets.js";

const remote = parseConnectionString(inject("sparkRemote"));
const token = remote.token ?? "";
const layout = homeLayout(resolveHome());
const state = readState(layout.stateFile);
// With SPARK_REMOTE pointing elsewhere there is no embedded server of ours to inspect.
const embedded = state.kind === "ok" && state.state.port === remote.port && process.platform === "linux";

describe.skipIf(!embedded)("the embedded server's token", () => {
  it("is in no log under the home, no error text, and no process command line", async () => {
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const errors: unknown[] = [];
    const good = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root: copyFixture("flatlib"), cacheDir: tempDir("sab-cache-") });
    try {
      errors.push(await good.sql("SELEC broken").catch((e: unknown) => e));
      errors.push(await good.range(1).select(good.udf.python("weblog.nope:missing", "string")()).collect().catch((e: unknown) => e));
      errors.push(await good.sql("SELECT raise_error('boom')").then((df) => df.collect()).catch((e: unknown) => e));
    } finally {
      await good.stop();
    }
    const wrong = await SparkSession.builder().remote(`sc://127.0.0.1:${remote.port}/;token=${"0".repeat(64)}`).create().catch((e: unknown) => e);
    errors.push(wrong);
    for (const error of errors) {
      expect(error).toBeInstanceOf(SparkConnectError);
      const e = error as SparkConnectError;
      const text = [e.message, e.stack ?? "", JSON.stringify(e.messageParameters), String(e.cause), (e.cause as Error | undefined)?.stack ?? ""].join("\n");
      expect(text).not.toContain(token);
    }
    const logs = fs.readdirSync(layout.logsDir).map((name) => path.join(layout.logsDir, name));
    expect(logs.length).toBeGreaterThan(0);
    for (const log of logs) expect(fs.readFileSync(log, "utf8"), log).not.toContain(token);
    for (const pid of processTree(state.kind === "ok" ? state.state.pid : 0)) {
      const cmdline = readOr(`/proc/${pid}/cmdline`);
      expect(cmdline, `pid ${pid}`).not.toContain(token);
    }
  });

  it("is required: a client without it, or with a wrong one, is refused with a clear error", async () => {
    for (const url of [`sc://127.0.0.1:${remote.port}`, `sc://127.0.0.1:${remote.port}/;token=${"f".repeat(64)}`]) {
      const error = await SparkSession.builder().remote(url).create().then((s) => s.sql("SELECT 1").then(() => s)).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(SparkConnectError);
      expect((error as SparkConnectError).grpcCode, url).toBe(16); // UNAUTHENTICATED
      expect((error as Error).message).toContain("refused the credentials");
      expect((error as Error).message).toContain("Check the `token`");
    }
  });
});

describe.skipIf(!embedded)("the embedded server's sockets", () => {
  it("listens on loopback only, in the JVM and every process it started", () => {
    const pids = processTree(state.kind === "ok" ? state.state.pid : 0);
    const listening = listeningSockets();
    const ours = pids.flatMap((pid) => socketInodes(pid)).flatMap((inode) => listening.get(inode) ?? []);
    // At least the Connect port itself; Spark opens more (driver RPC, block manager).
    // Java binds IPv4 addresses on dual-stack sockets, so they show as IPv4-mapped IPv6.
    expect(ours.filter((a) => a === `127.0.0.1:${remote.port}` || a === `[::ffff:127.0.0.1]:${remote.port}`)).toHaveLength(1);
    expect(ours.length).toBeGreaterThan(1);
    for (const address of ours) expect(address, `listening on ${address}`).toMatch(/^(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+$/);
  });
});

describe.skipIf(!embedded)("TLS with a token, through a real TLS-terminating proxy", () => {
  let proxy: tls.Server;
  let proxyPort = 0;
  let caPem = "";
  beforeAll(async () => {
    const dir = tempDir("sab-tls-");
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sab test CA", "-keyout", "ca.key", "-out", "ca.pem");
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
    fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem");
    caPem = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
    // Terminates TLS (ALPN h2, as gRPC needs) and forwards the plaintext HTTP/2 bytes to the real server.
    proxy = tls.createServer({ key: fs.readFileSync(path.join(dir, "server.key")), cert: fs.readFileSync(path.join(dir, "server.pem")), ALPNProtocols: ["h2"] }, (client) => {
      const upstream = net.connect(remote.port, "127.0.0.1");
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyPort = (proxy.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it("runs a real job with use_ssl=true, the token and the private CA", async () => {
    const s = await SparkSession.builder().remote(`sc://localhost:${proxyPort}/;use_ssl=true;token=${token}`).tlsCaCertificate(caPem).create();
    try {
      const rows = await (await s.sql("SELECT 40 + 2 AS answer")).collect();
      expect(rows).toEqual([{ answer: 42 }]);
    } finally {
      await s.stop();
    }
  });

  it("fails with a clear error when the CA is not trusted, and never falls back to plaintext", async () => {
    const error = await SparkSession.builder().remote(`sc://localhost:${proxyPort}/;use_ssl=true;token=${token}`).create().then((s) => s.sql("SELECT 1")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SparkConnectError);
    expect((error as Error).message).toContain(`localhost:${proxyPort}`);
    expect((error as Error).message).not.toContain(token);
  });
});
