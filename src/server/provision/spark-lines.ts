// The Spark release lines the embedded server can run. Users' clusters run all of them (managed
// services lag or lead by a line), so a project can test locally against the line its cluster runs.
// Each line pins the newest patch release of that line on PyPI, and worker packages that satisfy both
// that pyspark's minimums (pyspark/sql/pandas/utils.py) and its Requires-Python.

export type SparkLine = "3.5" | "4.0" | "4.1" | "4.2" | "4.3";
/** The newest line the whole test suite passes on (issue 23: 4.3.0, full suite, Python 3.11). */
export const DEFAULT_SPARK_LINE: SparkLine = "4.3";
/** Oldest first. */
export const SPARK_LINES: readonly SparkLine[] = ["3.5", "4.0", "4.1", "4.2", "4.3"];

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
  /** The highest Requires-Python of that pyspark and its pinned packages. */
  minPython: readonly [number, number];
  /**
   * Fixed per line, whichever line is the default, so lines run side by side and a line's server is
   * always where it was: 4.1 keeps 15002 (Spark's own default, and the only port before lines existed).
   * The line's local cluster listens 10 above.
   */
  defaultPort: number;
}

// Worker pins: pandas 2.3.3, pyarrow 22.0.0 and numpy 2.2.6 need Python 3.10; 4.0 allows 3.9, so its
// pins are the newest that still install there (pyarrow 21 and numpy 2.1 dropped 3.9).
const WORKERS_3_10 = ["pandas==2.3.3", "pyarrow==22.0.0", "numpy==2.2.6"] as const;

const SPECS: Record<SparkLine, SparkLineSpec> = {
  "3.5": {
    line: "3.5",
    // The newest 3.5 release whose spark-connect_2.12 jar Maven Central serves (3.5.8 and 3.5.9 are on
    // PyPI, but their Connect jars are not served).
    pysparkVersion: "3.5.7",
    workerPackages: ["pandas==2.2.3", "pyarrow==17.0.0", "numpy==1.26.4"],
    connectPackage: "org.apache.spark:spark-connect_2.12:3.5.7",
    nativeAuth: false,
    minPython: [3, 9],
    defaultPort: 15003,
  },
  "4.0": {
    line: "4.0",
    pysparkVersion: "4.0.5",
    workerPackages: ["pandas==2.3.3", "pyarrow==20.0.0", "numpy==2.0.2"],
    nativeAuth: true,
    minPython: [3, 9],
    defaultPort: 15004,
  },
  "4.1": {
    line: "4.1",
    pysparkVersion: "4.1.4",
    workerPackages: WORKERS_3_10,
    nativeAuth: true,
    minPython: [3, 10],
    defaultPort: 15002,
  },
  "4.2": {
    line: "4.2",
    pysparkVersion: "4.2.1",
    workerPackages: WORKERS_3_10,
    nativeAuth: true,
    minPython: [3, 10],
    defaultPort: 15005,
  },
  "4.3": {
    line: "4.3",
    // pyspark 4.3 declares Requires-Python >=3.11.
    pysparkVersion: "4.3.0",
    workerPackages: WORKERS_3_10,
    nativeAuth: true,
    minPython: [3, 11],
    defaultPort: 15006,
  },
};

export function sparkLineSpec(line: SparkLine = DEFAULT_SPARK_LINE): SparkLineSpec {
  return SPECS[line];
}

/** The lowest Python any line runs on: enough for work that only drives pip for a line's workers. */
export const LOWEST_PYTHON_FLOOR: readonly [number, number] = SPARK_LINES.map((l) => SPECS[l].minPython).reduce((a, b) => (b[0] * 100 + b[1] < a[0] * 100 + a[1] ? b : a));

/** `"3.5", "4.0", …` for messages. */
export const SPARK_LINE_CHOICES = SPARK_LINES.map((l) => `"${l}"`).join(", ");

/**
 * The line a user means: "4.3", "4" (the newest 4.x), or any release of a line ("4.1.2", "4.0.0-preview2",
 * "3.5.1-databricks"), which is how a server reports its version. Throws RangeError naming the choices.
 */
export function parseSparkLine(text: string): SparkLine {
  const trimmed = text.trim();
  const match = /^(\d+)(?:\.(\d+)(?:\.\d+)?(?:[-+.][0-9A-Za-z.+-]*)?)?$/.exec(trimmed);
  if (match) {
    const [, major, minor] = match;
    const found = minor === undefined ? [...SPARK_LINES].reverse().find((l) => l.startsWith(`${major}.`)) : SPARK_LINES.find((l) => l === `${major}.${minor}`);
    if (found) return found;
  }
  throw new RangeError(`Spark ${JSON.stringify(text)} is not a line the embedded server runs: use one of ${SPARK_LINE_CHOICES} (default "${DEFAULT_SPARK_LINE}").`);
}
