// Spark 3.5's Connect server has no authentication and no bind-address setting: it accepts anyone
// on every interface, and runs their Python. Spark 4 has both. For 3.5 we add a gRPC interceptor
// (Spark loads it from spark.connect.grpc.interceptor.classes) that refuses every call that is not
// from loopback or lacks the home's token, and compile it at provision time against the Connect jar,
// whose gRPC is shaded under org.sparkproject.connect.grpc.
import fs from "node:fs";
import path from "node:path";
import { CONNECT_TOKEN_ENV } from "../constants.js";
import { ProvisionError, quoteLogTail } from "../errors.js";
import { runCapture } from "../process/processes.js";

export const AUTH_INTERCEPTOR_CLASS = "dev.sparkautobundle.LoopbackTokenInterceptor";
export const AUTH_JAR_NAME = "spark-autobundle-auth.jar";

const SOURCE = `package dev.sparkautobundle;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.sparkproject.connect.grpc.Grpc;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;

/** Written by spark-autobundle: loopback peers with the pre-shared token only (what Spark 4 does itself). */
public final class LoopbackTokenInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private final byte[] expected;

  public LoopbackTokenInterceptor() {
    String token = System.getenv("${CONNECT_TOKEN_ENV}");
    // Fail closed: without a token configured, nobody gets in.
    expected = token == null || token.isEmpty() ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (!(peer instanceof InetSocketAddress) || !((InetSocketAddress) peer).getAddress().isLoopbackAddress()) {
      return refuse(call, Status.PERMISSION_DENIED.withDescription("This Spark Connect server only accepts clients on this machine (127.0.0.1)."));
    }
    String given = headers.get(AUTHORIZATION);
    if (expected == null || given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription("Invalid or missing token for this Spark Connect server."));
    }
    return next.startCall(call, headers);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<Q>() {};
  }
}
`;

/** Compiles the interceptor into `<venvDir>/spark-autobundle-auth.jar`; needs the JDK's javac and jar. */
export async function buildAuthJar(opts: { venvDir: string; connectJar: string; javaHome: string; logFile: string; env: NodeJS.ProcessEnv }): Promise<string> {
  const javac = path.join(opts.javaHome, "bin", process.platform === "win32" ? "javac.exe" : "javac");
  const jarTool = path.join(opts.javaHome, "bin", process.platform === "win32" ? "jar.exe" : "jar");
  if (!fs.existsSync(javac) || !fs.existsSync(jarTool)) {
    throw new ProvisionError(
      `Spark 3.5's Connect server has no authentication and listens on every interface, so spark-autobundle guards it with a ` +
        `small interceptor it compiles with the JDK's javac, and ${opts.javaHome} has no bin/javac (a JRE only). ` +
        "Install a full JDK 17 (e.g. `sudo apt-get install openjdk-17-jdk-headless`) and point JAVA_HOME at it, or use Spark 4.1, which needs no JDK.",
      { logFile: opts.logFile },
    );
  }
  const workDir = path.join(opts.venvDir, "spark-autobundle-auth");
  const sourceFile = path.join(workDir, "src", ...AUTH_INTERCEPTOR_CLASS.split(".")) + ".java";
  const classesDir = path.join(workDir, "classes");
  fs.mkdirSync(path.dirname(sourceFile), { recursive: true });
  fs.mkdirSync(classesDir, { recursive: true });
  fs.writeFileSync(sourceFile, SOURCE);
  const jarFile = path.join(opts.venvDir, AUTH_JAR_NAME);
  const env = { ...opts.env, JAVA_HOME: opts.javaHome };
  for (const [tool, args] of [
    [javac, ["-nowarn", "-cp", opts.connectJar, "-d", classesDir, sourceFile]],
    [jarTool, ["cf", jarFile, "-C", classesDir, "."]],
  ] as const) {
    const run = await runCapture(tool, [...args], { env, timeoutMs: 120_000 });
    fs.appendFileSync(opts.logFile, `$ ${tool} ${args.join(" ")}\n${run.stdout}${run.stderr}`);
    if (run.exitCode !== 0) {
      throw new ProvisionError(`Compiling spark-autobundle's Spark 3.5 token interceptor failed.\n${quoteLogTail(opts.logFile)}`, { logFile: opts.logFile });
    }
  }
  return jarFile;
}
