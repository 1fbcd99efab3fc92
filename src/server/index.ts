export { ensureLocalServer } from "./ensure.js";
export { matchRemoteLine, resolveMatch, wantsMatch, SparkLineMatchError, type MatchedLine, type MatchFailure, type MatchOptions } from "./match.js";
export { stopLocalServer, localServerStatus, type StopResult, type StopOptions, type LocalServerStatus } from "./control.js";
export type { LocalServer, LocalServerOptions } from "./options.js";
export { parseLocalRemote, type Cores } from "./local-remote.js";
export { checkHealth, HealthCheckError, type HealthTarget } from "./process/health.js";
export { resolveHome } from "./home/paths.js";
export { PYSPARK_VERSION, DEFAULT_CONNECT_PORT, MIN_JAVA_MAJOR, MIN_PYTHON, ENV as SERVER_ENV } from "./constants.js";
export { detectJava, detectPython, parseJavaVersion, parsePythonVersion } from "./provision/requirements.js";
export {
  LocalServerError,
  RequirementError,
  ProvisionError,
  PortBusyError,
  ServerStartError,
  LockTimeoutError,
} from "./errors.js";
export { registerServerUser } from "./users.js";
export { ensureLocalCluster, stopLocalCluster, localClusterStatus, DEFAULT_CLUSTER_PORT, DEFAULT_CLUSTER_WORKERS, type LocalCluster, type LocalClusterOptions } from "./cluster/cluster.js";
export { DEFAULT_SPARK_LINE, SPARK_LINES, SPARK_LINE_CHOICES, LOWEST_PYTHON_FLOOR, parseSparkLine, sparkLineSpec, type SparkLine, type SparkLineSpec } from "./provision/spark-lines.js";
