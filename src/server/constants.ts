/** The pyspark release provisioned into the local venv; its jars are the Spark the server runs. */
export const PYSPARK_VERSION = "4.1.4";
/**
 * Installed beside pyspark so pandas/Arrow UDFs, mapInArrow and applyInPandas work out of the box on the
 * workers. Pinned (numpy too) so every machine's workers run the same code.
 */
export const WORKER_PACKAGES: readonly string[] = ["pandas==2.3.3", "pyarrow==22.0.0", "numpy==2.2.6"];

export const DEFAULT_CONNECT_PORT = 15002;
export const LOOPBACK_HOST = "127.0.0.1";

export const MIN_JAVA_MAJOR = 17;
/** pyspark 4.1 declares Requires-Python >=3.10, so an older python cannot install it. */
export const MIN_PYTHON: readonly [number, number] = [3, 10];

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
  /** "3.5" or "4.1": the Spark line of the embedded server when no option names one. */
  spark: "SPARK_AUTOBUNDLE_SPARK",
} as const;
