// The Spark release lines the embedded server can run. 4.1 is the default; 3.5 is still the most
// deployed line, so projects can test against what their cluster runs.

export type SparkLine = "4.1" | "3.5";
export const DEFAULT_SPARK_LINE: SparkLine = "4.1";
export const SPARK_LINES: readonly SparkLine[] = ["4.1", "3.5"];

export interface SparkLineSpec {
  line: SparkLine;
  pysparkVersion: string;
  /** Installed beside pyspark, pinned so every machine's Python workers run the same code. */
  workerPackages: readonly string[];
  /**
   * The Maven coordinate of the Connect server when pip's pyspark lacks it (3.5), passed to
   * spark-submit as `--packages`. 4.x ships the server jar inside pyspark.
   */
  connectPackage?: string;
  /**
   * Whether the server itself checks a pre-shared token and binds a chosen address (4.0+). Spark 3.5
   * does neither, so spark-autobundle adds its own gRPC interceptor that does (see auth-interceptor.ts).
   */
  nativeAuth: boolean;
  /** Requires-Python of that pyspark's pinned packages. */
  minPython: readonly [number, number];
  /** Distinct per line, so a 4.1 and a 3.5 server can run side by side. */
  defaultPort: number;
}

const SPECS: Record<SparkLine, SparkLineSpec> = {
  "4.1": {
    line: "4.1",
    pysparkVersion: "4.1.4",
    workerPackages: ["pandas==2.3.3", "pyarrow==22.0.0", "numpy==2.2.6"],
    nativeAuth: true,
    minPython: [3, 10],
    defaultPort: 15002,
  },
  "3.5": {
    line: "3.5",
    // The newest 3.5 release whose spark-connect_2.12 jar Maven Central serves.
    pysparkVersion: "3.5.7",
    workerPackages: ["pandas==2.2.3", "pyarrow==17.0.0", "numpy==1.26.4"],
    connectPackage: "org.apache.spark:spark-connect_2.12:3.5.7",
    nativeAuth: false,
    minPython: [3, 9],
    defaultPort: 15003,
  },
};

export function sparkLineSpec(line: SparkLine = DEFAULT_SPARK_LINE): SparkLineSpec {
  return SPECS[line];
}

/** Accepts "3.5", "3.5.7", "4", "4.1": the line a user means; throws RangeError naming the choices. */
export function parseSparkLine(text: string): SparkLine {
  const trimmed = text.trim();
  for (const line of SPARK_LINES) {
    if (trimmed === line || trimmed === SPECS[line].pysparkVersion || (line === "4.1" && trimmed === "4")) return line;
  }
  throw new RangeError(`Spark ${JSON.stringify(text)} is not a line the embedded server runs: use ${SPARK_LINES.map((l) => `"${l}"`).join(" or ")}.`);
}
