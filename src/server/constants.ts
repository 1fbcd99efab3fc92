import { DEFAULT_SPARK_LINE, sparkLineSpec } from "./provision/spark-lines.js";

const DEFAULT_LINE = sparkLineSpec(DEFAULT_SPARK_LINE);
/** The default line's pyspark release; its jars are the Spark the server runs (other lines: spark-lines.ts). */
export const PYSPARK_VERSION = DEFAULT_LINE.pysparkVersion;
/**
 * Installed beside pyspark so pandas/Arrow UDFs, mapInArrow and applyInPandas work out of the box on the
 * workers. Pinned (numpy too) so every machine's workers run the same code.
 */
export const WORKER_PACKAGES: readonly string[] = DEFAULT_LINE.workerPackages;

/** The default line's port; each line has its own (spark-lines.ts). */
export const DEFAULT_CONNECT_PORT = DEFAULT_LINE.defaultPort;
export const LOOPBACK_HOST = "127.0.0.1";

export const MIN_JAVA_MAJOR = 17;
/** The default line's Python floor (pyspark 4.3 declares Requires-Python >=3.11); each line has its own. */
export const MIN_PYTHON: readonly [number, number] = DEFAULT_LINE.minPython;

export const CONNECT_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer";
/** Spark 4 reads the pre-shared token from this env var; passing it by env keeps it out of `ps`. */
export const CONNECT_TOKEN_ENV = "SPARK_CONNECT_AUTHENTICATE_TOKEN";

/** Local mode runs executors inside the driver JVM, so this is all the heap Spark gets. */
export const DEFAULT_DRIVER_MEMORY = "4g";

export const DEFAULT_READY_TIMEOUT_MS = 120_000;

/** A user's own Spark settings: they must not reach the processes we start (spark-submit refuses a master with a remote). */
export const USER_SPARK_ENV: readonly string[] = ["SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_CONF_DIR", "SPARK_HOME", "PYSPARK_DRIVER_PYTHON", "PYSPARK_SUBMIT_ARGS"];

/** Env vars that change where/how the server runs. */
export const ENV = {
  home: "SPARK_AUTOBUNDLE_HOME",
  port: "SPARK_AUTOBUNDLE_PORT",
  python: "SPARK_AUTOBUNDLE_PYTHON",
  keepServer: "SPARK_AUTOBUNDLE_KEEP_SERVER",
  /** "3.5", "4.0", "4.1", "4.2" or "4.3": the Spark line of the embedded server when no option names one. */
  spark: "SPARK_AUTOBUNDLE_SPARK",
} as const;
