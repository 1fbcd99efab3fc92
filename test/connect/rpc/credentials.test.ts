import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Client,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionStringError, parseConnectionString, type ConnectionConfig } from "../../../src/connect/rpc/connection.js";
import {
  channelCredentials,
  clientType,
  DEFAULT_GRPC_MAX_MESSAGE_SIZE,
  TlsConfigError,
  type ChannelSetup,
} from "../../../src/connect/rpc/credentials.js";

const GRPC_UNAVAILABLE = 14;
const version = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

// Why not the real server here: these cases observe what goes on the wire (which metadata each call
// carries, which CA verifies the handshake), and a Spark Connect server reports neither, nor does it
// serve TLS itself. End to end against real servers: token accepted or refused and TLS through a
// terminating proxy (test/security/security.spark.test.ts), the message size limit
// (credentials.spark.test.ts).
// A tiny raw-bytes service: "Metadata" answers with the request headers it saw as JSON.
const identity = (b: Buffer): Buffer => b;
const method = (name: string) => ({
  path: `/test.Probe/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const probeService = { Metadata: method("Metadata") };
const probeHandlers = {
  Metadata: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => cb(null, Buffer.from(JSON.stringify(call.metadata.getMap()))),
};

let dir: string;
let tlsPort: number;
let plainPort: number;
const servers: Server[] = [];

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

async function startServer(credentials: ServerCredentials): Promise<number> {
  const server = new Server();
  server.addService(probeService, probeHandlers);
  servers.push(server);
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "credentials-test-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=autobundle-test-ca");
  openssl("req", "-x509", ...ec, "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=other-ca");
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(join(dir, "san.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf");
  const read = (name: string) => readFileSync(join(dir, name));
  tlsPort = await startServer(ServerCredentials.createSsl(null, [{ private_key: read("server.key"), cert_chain: read("server.pem") }]));
  plainPort = await startServer(ServerCredentials.createInsecure());
});

afterAll(() => {
  for (const server of servers) server.forceShutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function call(setup: ChannelSetup, name: "Metadata", request = ""): Promise<Buffer> {
  const client = new Client(setup.target, setup.channel, setup.options);
  // The deadline only stops a broken run from hanging; nothing asserts on time.
  const deadline = Date.now() + 30_000;
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      `/test.Probe/${name}`, identity, identity, Buffer.from(request), setup.callMetadata(), { deadline },
      (err: ServiceError | null, value?: Buffer) => (err ? reject(err) : resolve(value!)),
    );
  }).finally(() => client.close());
}

async function seenHeaders(setup: ChannelSetup): Promise<Record<string, string>> {
  return JSON.parse((await call(setup, "Metadata")).toString()) as Record<string, string>;
}

describe("channelCredentials over TLS (real grpc-js server, openssl-made CA)", () => {
  it("verifies the server with the given CA file and sends token, headers and user agent", async () => {
    const config = parseConnectionString(`sc://localhost:${tlsPort}/;use_ssl=true;token=tok-1;x-team=data;user_agent=nb`);
    const setup = channelCredentials(config, { caCertificate: join(dir, "ca.pem") });
    expect(setup.tokenTransport).toBe("call-credentials");
    expect(setup.channel._isSecure()).toBe(true);
    expect(setup.callMetadata().get("authorization")).toEqual([]); // the token rides in the channel credentials
    const headers = await seenHeaders(setup);
    expect(headers["authorization"]).toBe("Bearer tok-1");
    expect(headers["x-team"]).toBe("data");
    expect(headers["user-agent"]).toMatch(new RegExp(`^nb spark-autobundle/${version.replace(/\./g, "\\.")}`));
  });

  it.each([
    ["PEM text", () => readFileSync(join(dir, "ca.pem"), "utf8")],
    ["PEM bytes", () => readFileSync(join(dir, "ca.pem"))],
  ])("accepts the CA as %s", async (_label, ca) => {
    const config = parseConnectionString(`sc://localhost:${tlsPort}/;use_ssl=true`);
    const setup = channelCredentials(config, { caCertificate: ca() });
    expect(setup.tokenTransport).toBe("none");
    expect((await seenHeaders(setup))["authorization"]).toBeUndefined();
  });

  it.each([
    ["Node's default roots", undefined],
    ["an unrelated CA", "other-ca.pem"],
  ])("rejects the self-signed server with %s", async (_label, caFile) => {
    const config = parseConnectionString(`sc://localhost:${tlsPort}/;use_ssl=true`);
    const setup = channelCredentials(config, caFile ? { caCertificate: join(dir, caFile) } : {});
    await expect(call(setup, "Metadata")).rejects.toMatchObject({ code: GRPC_UNAVAILABLE });
  });
});

describe("channelCredentials in plaintext", () => {
  it("sends a loopback token as per-call metadata, since grpc-js cannot compose it with insecure credentials", async () => {
    const config = parseConnectionString(`sc://127.0.0.1:${plainPort}/;token=tok-2;x-trace=abc`);
    expect(config.useSsl).toBe(false);
    const setup = channelCredentials(config);
    expect(setup.tokenTransport).toBe("call-metadata");
    expect(setup.channel._isSecure()).toBe(false);
    const headers = await seenHeaders(setup);
    expect(headers["authorization"]).toBe("Bearer tok-2");
    expect(headers["x-trace"]).toBe("abc");
    expect(headers["user-agent"]).toMatch(/^spark-autobundle\//);
  });

  it("returns fresh metadata per call", () => {
    const setup = channelCredentials(parseConnectionString("sc://localhost/;token=t;x-a=1"));
    const first = setup.callMetadata();
    first.set("x-a", "changed");
    expect(setup.callMetadata().get("x-a")).toEqual(["1"]);
  });

});

describe("channel options and target", () => {
  it("defaults to pyspark's 128 MiB limit both ways and sets the user agent", () => {
    const setup = channelCredentials(parseConnectionString("sc://h"));
    expect(DEFAULT_GRPC_MAX_MESSAGE_SIZE).toBe(128 * 1024 * 1024);
    expect(setup.options).toEqual({
      "grpc.max_receive_message_length": DEFAULT_GRPC_MAX_MESSAGE_SIZE,
      "grpc.max_send_message_length": DEFAULT_GRPC_MAX_MESSAGE_SIZE,
      "grpc.primary_user_agent": `spark-autobundle/${version}`,
    });
    expect(setup.target).toBe("h:15002");
  });

  it("brackets IPv6 targets", () => {
    expect(channelCredentials(parseConnectionString("sc://[::1]")).target).toBe("[::1]:15002");
  });

  it("clientType is spark-autobundle/<package.json version>, after the URL's user_agent", () => {
    expect(clientType()).toBe(`spark-autobundle/${version}`);
    expect(clientType({ userAgent: "my_app" })).toBe(`my_app spark-autobundle/${version}`);
    expect(clientType(parseConnectionString("sc://h/;user_agent=nb"))).toBe(`nb spark-autobundle/${version}`);
  });
});

describe("channelCredentials errors", () => {
  const tls = (): ConnectionConfig => parseConnectionString("sc://h/;use_ssl=true");

  it("names a missing CA file and its error code", () => {
    const path = join(tmpdir(), "no-such-dir-autobundle", "ca.pem");
    expect(() => channelCredentials(tls(), { caCertificate: path })).toThrow(TlsConfigError);
    expect(() => channelCredentials(tls(), { caCertificate: path })).toThrow(`Cannot read the CA certificate file "${path}" (ENOENT)`);
  });

  it("names a CA path that is a directory", () => {
    const sub = join(dir, "a-directory");
    mkdirSync(sub, { recursive: true });
    expect(() => channelCredentials(tls(), { caCertificate: sub })).toThrow(`"${sub}" (EISDIR)`);
  });

  it("rejects a file without a PEM certificate, with a conversion hint", () => {
    const der = join(dir, "ca.der");
    openssl("x509", "-in", "ca.pem", "-outform", "der", "-out", "ca.der");
    try {
      channelCredentials(tls(), { caCertificate: der });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TlsConfigError);
      expect((err as TlsConfigError).message).toContain(`CA certificate file "${der}" contains no PEM certificate`);
      expect((err as TlsConfigError).fix).toContain("openssl x509 -inform der");
    }
  });

  it("rejects a PEM block that is not a certificate", () => {
    const broken = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    expect(() => channelCredentials(tls(), { caCertificate: broken })).toThrow(/CA certificate holds a certificate that cannot be parsed/);
  });

  it("refuses a CA for a plaintext connection", () => {
    const config = parseConnectionString("sc://h");
    expect(() => channelCredentials(config, { caCertificate: join(dir, "ca.pem") })).toThrow(/plaintext[\s\S]*use_ssl=true/);
  });

  it("applies the token rule to hand-built configs", () => {
    const config: ConnectionConfig = { host: "db.example.com", port: 15002, useSsl: false, token: "t", headers: {}, url: "sc://db.example.com" };
    expect(() => channelCredentials(config)).toThrow(ConnectionStringError);
  });
});
