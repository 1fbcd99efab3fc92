// Spark 3.5's Connect server has no authentication and no bind-address setting: it accepts anyone
// on every interface, and runs their Python. Spark 4 has both. For 3.5 we add a gRPC interceptor
// (Spark loads it from spark.connect.grpc.interceptor.classes) that refuses every call that is not
// from loopback or lacks the home's token, and compile it at provision time against the Connect jar,
// whose gRPC is shaded under org.sparkproject.connect.grpc. The source is
// java/LoopbackTokenInterceptor.java, embedded by `npm run gen:embedded`.
import fs from "node:fs";
import path from "node:path";
import { LOOPBACK_TOKEN_INTERCEPTOR_JAVA } from "../../gen/embedded.js";
import { ProvisionError, quoteLogTail } from "../errors.js";
import { runCapture } from "../process/processes.js";

export const AUTH_INTERCEPTOR_CLASS = "dev.sparkautobundle.LoopbackTokenInterceptor";
export const AUTH_JAR_NAME = "spark-autobundle-auth.jar";

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
  fs.writeFileSync(sourceFile, LOOPBACK_TOKEN_INTERCEPTOR_JAVA);
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
