import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../home/atomic-file.js";
import { AUTH_INTERCEPTOR_CLASS } from "../provision/auth-interceptor.js";
import { CONNECT_SERVER_CLASS, CONNECT_TOKEN_ENV, DEFAULT_DRIVER_MEMORY, LOOPBACK_HOST, USER_SPARK_ENV } from "../constants.js";
import type { Cores } from "../local-remote.js";
import type { HomeLayout } from "../home/paths.js";
import type { ProvisionedSpark } from "../provision/provision.js";
import { spawnProgram } from "./windows.js";

export interface LaunchSpec {
  layout: HomeLayout;
  spark: ProvisionedSpark;
  javaHome: string;
  port: number;
  cores: Cores;
  token: string;
  /** A cluster's master URL (spark://127.0.0.1:PORT); default local[cores]. */
  master?: string;
  /** Extra `--conf` entries; they override the defaults below (e.g. spark.driver.memory). */
  extraConf?: Record<string, string>;
  env: NodeJS.ProcessEnv;
}

/**
 * Spark's own defaults log every block and task at INFO. Keep warnings everywhere, plus the INFO lines
 * that say what the server is doing: startup/bind (connect.service), version and jobs (SparkContext).
 */
const LOG4J2_PROPERTIES = `# Written by spark-autobundle on every server start.
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.connect.name = org.apache.spark.sql.connect.service
logger.connect.level = info
# One line per client RPC; too much for a log that should show startup and failures.
logger.sessionHolder.name = org.apache.spark.sql.connect.service.SessionHolder
logger.sessionHolder.level = warn
logger.context.name = org.apache.spark.SparkContext
logger.context.level = info
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
logger.parquet.name = org.apache.parquet.CorruptStatistics
logger.parquet.level = error
`;

export function sparkConf(spec: LaunchSpec): Record<string, string> {
  const python = spec.spark.pythonExecutable;
  const defaults = {
    "spark.app.name": "spark-autobundle-local-connect",
    "spark.driver.memory": DEFAULT_DRIVER_MEMORY,
    // The web UI would open another port; nothing here needs it.
    "spark.ui.enabled": "false",
    "spark.pyspark.python": python,
    "spark.pyspark.driver.python": python,
  };
  // Not overridable: where it listens is what keeps the server private, and what the state file records.
  const pinned: Record<string, string> = {
    "spark.master": spec.master ?? `local[${spec.cores}]`,
    "spark.connect.grpc.binding.port": String(spec.port),
    // Fail fast instead of silently moving to the next port: clients only know the one we chose.
    "spark.connect.grpc.port.maxRetries": "0",
    "spark.driver.host": LOOPBACK_HOST,
    "spark.driver.bindAddress": LOOPBACK_HOST,
  };
  if (spec.spark.authJar) {
    // Spark 3.5 binds every interface and checks no token: our interceptor refuses all but loopback + token.
    pinned["spark.connect.grpc.interceptor.classes"] = AUTH_INTERCEPTOR_CLASS;
    pinned["spark.jars.ivy"] = spec.layout.ivyDir;
  } else {
    pinned["spark.connect.grpc.binding.address"] = LOOPBACK_HOST;
  }
  return { ...defaults, ...spec.extraConf, ...pinned };
}

export function launchCommand(spec: LaunchSpec): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const args = ["--class", CONNECT_SERVER_CLASS];
  // --packages and --jars share one class loader, so the interceptor sees the Connect jar's shaded gRPC.
  if (spec.spark.connectPackage) args.push("--packages", spec.spark.connectPackage);
  if (spec.spark.authJar) args.push("--jars", spec.spark.authJar);
  for (const [key, value] of Object.entries(sparkConf(spec))) args.push("--conf", `${key}=${value}`);
  // No application jar: the Connect server class ships in pyspark's jars/.
  args.push("spark-internal");

  const env: NodeJS.ProcessEnv = { ...spec.env };
  for (const name of USER_SPARK_ENV) delete env[name];
  Object.assign(env, {
    SPARK_HOME: spec.spark.sparkHome,
    SPARK_CONF_DIR: spec.layout.confDir,
    JAVA_HOME: spec.javaHome,
    // Every Spark service (block manager, RPC) binds here, not on the LAN address.
    SPARK_LOCAL_IP: LOOPBACK_HOST,
    PYSPARK_PYTHON: spec.spark.pythonExecutable,
    PYSPARK_DRIVER_PYTHON: spec.spark.pythonExecutable,
    // By env, not --conf, so the token does not show up in `ps`.
    [CONNECT_TOKEN_ENV]: spec.token,
  });
  return { command: spec.spark.sparkSubmit, args, env };
}

/**
 * Starts the server detached (it outlives the caller) with stdout+stderr going to the log.
 * The previous log is kept as `.1` so a restart doesn't erase what explained a crash.
 */
export function spawnServer(spec: LaunchSpec, spawner: typeof spawnProgram = spawnProgram): ChildProcess {
  const { layout } = spec;
  fs.mkdirSync(layout.logsDir, { recursive: true });
  fs.mkdirSync(layout.workDir, { recursive: true });
  writeFileAtomic(path.join(layout.confDir, "log4j2.properties"), LOG4J2_PROPERTIES);
  if (fs.existsSync(layout.serverLog)) fs.renameSync(layout.serverLog, `${layout.serverLog}.1`);

  const { command, args, env } = launchCommand(spec);
  const log = fs.openSync(layout.serverLog, "w");
  try {
    fs.writeSync(log, `# spark-autobundle ${new Date().toISOString()}: ${command} ${args.join(" ")}\n`);
    // On Windows spark-submit.cmd runs through cmd.exe with each argument quoted (windows.ts), never shell: true.
    const child = spawner(command, args, { cwd: layout.workDir, env, detached: true, stdio: ["ignore", log, log], windowsHide: true });
    child.unref();
    return child;
  } finally {
    fs.closeSync(log);
  }
}
