// TLS handshake failures name TLS, not "cannot reach … start a local server". Why not a real Spark
// server: Spark Connect serves no TLS itself, and these faults (a plaintext port, a certificate for
// another host, an unknown CA) can't be produced by it on demand. So the servers here are real grpc-js
// servers (plaintext or TLS) with certificates made by openssl at test time, and the client is the
// real SparkSession builder going through its real channel and error path.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SparkConnectError } from "../../../src/connect/errors.js";
import { SparkSession } from "../../../src/connect/session.js";

let dir: string;
const servers: Server[] = [];
const ports: Record<"plain" | "selfSigned" | "unknownCa" | "otherHost", number> = { plain: 0, selfSigned: 0, unknownCa: 0, otherHost: 0 };

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

async function start(credentials: ServerCredentials): Promise<number> {
  const server = new Server();
  servers.push(server);
  return new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (err, port) => (err ? reject(err) : resolve(port))));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tls-errors-test-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=autobundle-test-ca");
  openssl("req", "-x509", ...ec, "-keyout", "self.key", "-out", "self.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  for (const [name, san] of [["local", "DNS:localhost,IP:127.0.0.1"], ["other", "DNS:spark.other.example"]] as const) {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    writeFileSync(join(dir, `${name}.cnf`), `subjectAltName=${san}\n`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.cnf`);
  }
  const read = (name: string) => readFileSync(join(dir, name));
  const tls = (name: string) => ServerCredentials.createSsl(null, [{ private_key: read(`${name}.key`), cert_chain: read(`${name}.pem`) }]);
  ports.plain = await start(ServerCredentials.createInsecure());
  ports.selfSigned = await start(tls("self"));
  ports.unknownCa = await start(tls("local"));
  ports.otherHost = await start(tls("other"));
});

afterAll(() => {
  for (const server of servers) server.forceShutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function connectError(url: string, ca?: string): Promise<SparkConnectError> {
  const builder = SparkSession.builder().remote(url).retryPolicy({ maxRetries: 0, initialBackoffMs: 1, maxBackoffMs: 1, multiplier: 1, jitter: 0 });
  if (ca) builder.tlsCaCertificate(join(dir, ca));
  const err = await builder.create().then(
    async (session) => {
      await session.stop();
      return new Error("connected");
    },
    (e: unknown) => e,
  );
  if (!(err instanceof SparkConnectError)) throw err;
  return err;
}

describe("TLS failures are named as TLS, each with its own fix", () => {
  it("TLS to a plaintext server (OpenSSL's 'wrong version number'): says the server is plaintext, fix use_ssl=false", async () => {
    const err = await connectError(`sc://localhost:${ports.plain}/;use_ssl=true`);
    expect(err.grpcCode).toBe(14);
    expect(err.message).toMatch(/TLS handshake.*failed.*does not speak TLS \(plaintext\)/);
    expect(err.fix).toMatch(/use_ssl=false/);
    expect(err.message + (err.fix ?? "")).not.toMatch(/start a local server|server start/i);
  });

  it("a certificate for another host (altname mismatch): says it does not match the host", async () => {
    const err = await connectError(`sc://localhost:${ports.otherHost}/;use_ssl=true`, "ca.pem");
    expect(err.message).toMatch(/certificate .*does not match the host "localhost"/);
    expect(err.fix).toMatch(/host name the certificate names|subjectAltName/);
  });

  it("a self-signed certificate, and one from a CA the client does not trust: names the CA trust fix", async () => {
    for (const port of [ports.selfSigned, ports.unknownCa]) {
      const err = await connectError(`sc://localhost:${port}/;use_ssl=true`);
      expect(err.message).toMatch(/certificate is not trusted \((self-signed|signed by an unknown CA)/);
      expect(err.fix).toMatch(/caCertificate/);
      expect(err.fix).toMatch(/NODE_EXTRA_CA_CERTS/);
    }
  });

  it("a port nobody listens on is still 'cannot reach', with the old fix", async () => {
    const err = await connectError("sc://localhost:1/;use_ssl=false");
    expect(err.message).toMatch(/Cannot reach the Spark Connect server/);
  });
});
