#!/usr/bin/env node
// A stand-in for `spark-submit --class ...SparkConnectServer ...`, so tests of start/reuse/restart decisions
// need no JVM. test/helpers/fake-spark-home.ts copies it into a fake venv as pyspark's bin/spark-submit;
// ensureLocalServer runs it with the real arguments, so its command line names the Connect server class.
// Node built-ins only: the copy lives outside the repo, where node_modules can't be resolved.
//
// FAKE_CONNECT_MODE:
//   serve  answers AnalyzePlan(spark_version) with FAKE_CONNECT_VERSION when the bearer token matches
//          SPARK_CONNECT_AUTHENTICATE_TOKEN (UNAUTHENTICATED otherwise), like Spark 4 does;
//   hang   accepts TCP connections on the port and never answers (a stuck server).
// Either way it forks a worker first, as the JVM forks Python daemons, so tests can see the whole
// process group go. Every line it prints lands in the server log. It exits on its own after
// FAKE_CONNECT_LIFETIME_MS (default 120 s), so a failed test can't leave it running for long.
import { spawn } from "node:child_process";
import http2 from "node:http2";
import net from "node:net";

const ANALYZE_PLAN_PATH = "/spark.connect.SparkConnectService/AnalyzePlan";
const lifetimeMs = Number(process.env.FAKE_CONNECT_LIFETIME_MS ?? 120_000);
const mode = process.env.FAKE_CONNECT_MODE ?? "serve";
const version = process.env.FAKE_CONNECT_VERSION ?? "4.1.4";
const token = process.env.SPARK_CONNECT_AUTHENTICATE_TOKEN;

const conf = new Map();
const args = process.argv.slice(2);
for (let i = 0; i < args.length - 1; i++) {
  if (args[i] !== "--conf") continue;
  const [key, ...value] = args[i + 1].split("=");
  conf.set(key, value.join("="));
}
const port = Number(conf.get("spark.connect.grpc.binding.port"));
if (!Number.isInteger(port) || port <= 0) {
  console.error(`fake-connect: no spark.connect.grpc.binding.port in ${JSON.stringify(args)}`);
  process.exit(2);
}

// The script's own path in the worker's arguments: tests find leftovers by the home directory in it.
const worker = spawn(process.execPath, ["-e", `setTimeout(() => {}, ${lifetimeMs})`, process.argv[1], "fake-connect-worker"], {
  stdio: "ignore",
});
console.log(`fake-connect: worker ${worker.pid}`);
setTimeout(() => process.exit(0), lifetimeMs);
process.on("SIGTERM", () => process.exit(0));

function varint(n) {
  const bytes = [];
  for (; n > 0x7f; n >>>= 7) bytes.push((n & 0x7f) | 0x80);
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A length-delimited protobuf field. */
function field(number, bytes) {
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

/** AnalyzePlanResponse { spark_version (8) { version (1) } } in a gRPC length-prefixed frame. */
function versionFrame() {
  const message = field(8, field(1, Buffer.from(version, "utf8")));
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function serve() {
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    const grpcHeaders = { ":status": 200, "content-type": "application/grpc" };
    if (headers[":path"] !== ANALYZE_PLAN_PATH) {
      stream.respond({ ...grpcHeaders, "grpc-status": "12", "grpc-message": "only AnalyzePlan" }, { endStream: true });
      return;
    }
    if (headers.authorization !== `Bearer ${token}`) {
      stream.respond({ ...grpcHeaders, "grpc-status": "16", "grpc-message": "Invalid authentication token" }, { endStream: true });
      return;
    }
    stream.resume();
    stream.respond(grpcHeaders, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(versionFrame());
  });
  return server;
}

function hang() {
  const held = [];
  return net.createServer((socket) => {
    socket.on("error", () => undefined);
    held.push(socket);
  });
}

const server = mode === "hang" ? hang() : serve();
server.on("error", (error) => {
  console.error(`fake-connect: ${error.message}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => console.log(`fake-connect: ${mode} on 127.0.0.1:${port} (pid ${process.pid})`));
