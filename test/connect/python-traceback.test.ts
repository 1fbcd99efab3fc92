import { describe, expect, it } from "vitest";
import { formatPythonFailure, registerBundleFiles, registeredBundles, rewriteTraceback, type TracebackMapping } from "../../src/connect/python-traceback.js";

// Captured from Spark 4.1.4's local server: a UDF in fixtures/pricetag raising two frames deep.
const USER = "/tmp/spark-6cbab627/userFiles-d24aff0e/99bf8d95";
const SPARK_41 = `Traceback (most recent call last):
  File "${USER}/pricetag-793dfea563b4.zip/pricetag/amounts.py", line 48, in explode
    return _parse_strict(text)
           ^^^^^^^^^^^^^^^^^^^
  File "${USER}/pricetag-793dfea563b4.zip/pricetag/amounts.py", line 52, in _parse_strict
    raise ValueError(f"cannot parse {text!r}")
ValueError: cannot parse 'x'
`;

const project: TracebackMapping = (zip, path) => (zip === "pricetag-793dfea563b4.zip" ? `/home/ana/pricetag/${path}` : undefined);

describe("rewriteTraceback", () => {
  it("points frames inside a known zip at the project's files, keeping line and function", () => {
    const out = rewriteTraceback(SPARK_41, project);
    expect(out).toContain(`File "/home/ana/pricetag/pricetag/amounts.py", line 48, in explode`);
    expect(out).toContain(`File "/home/ana/pricetag/pricetag/amounts.py", line 52, in _parse_strict`);
    expect(out).not.toContain("userFiles-");
    expect(out.split("\n")).toHaveLength(SPARK_41.split("\n").length);
  });

  it("leaves frames of zips it doesn't know alone", () => {
    expect(rewriteTraceback(SPARK_41, () => undefined)).toBe(SPARK_41);
  });
});

describe("formatPythonFailure", () => {
  it("leads with the exception, then the user's frames, once", () => {
    const lines = formatPythonFailure(SPARK_41, project).split("\n");
    expect(lines[0]).toBe("ValueError: cannot parse 'x'");
    expect(lines[1]).toBe("Traceback (most recent call last):");
    expect(lines.filter((l) => l.includes("cannot parse 'x'"))).toHaveLength(1);
    expect(lines).toHaveLength(7);
  });

  it("reads Spark 4.2/4.3's form: the traceback on the boilerplate's line, the SQL state on a line after it", () => {
    // Verbatim shape from the embedded 4.3.0 server (4.2.1 sends the same).
    const text = `[PYTHON_EXCEPTION] An exception was thrown from the Python worker: ${SPARK_41.trimEnd()}\n SQLSTATE: 38000`;
    const lines = formatPythonFailure(text, project).split("\n");
    expect(lines[0]).toBe("ValueError: cannot parse 'x'");
    expect(lines[1]).toBe("Traceback (most recent call last):");
    expect(lines.join("\n")).not.toMatch(/PYTHON_EXCEPTION|SQLSTATE|userFiles-/);
    expect(lines).toEqual(formatPythonFailure(SPARK_41, project).split("\n"));
  });

  it("hides pyspark's, importlib's and the loader's frames, and says how many", () => {
    const text = `An exception was thrown from the Python worker. Please see the stack trace below.
Traceback (most recent call last):
  File "/opt/spark/python/lib/pyspark.zip/pyspark/worker.py", line 1898, in main
    process()
  File "${USER}/pricetag-793dfea563b4.zip/_sab_loader_793dfea563b4.py", line 80, in resolve
    module = importlib.import_module(name)
  File "<frozen importlib._bootstrap>", line 1204, in _gcd_import
  File "${USER}/pricetag-793dfea563b4.zip/pricetag/labels.py", line 3, in <module>
    import nothere
ModuleNotFoundError: No module named 'nothere'`;
    const out = formatPythonFailure(text, project);
    expect(out.split("\n")).toEqual([
      "ModuleNotFoundError: No module named 'nothere'",
      "Traceback (most recent call last):",
      `  File "/home/ana/pricetag/pricetag/labels.py", line 3, in <module>`,
      "    import nothere",
      "  (3 frames of Spark's worker and spark-autobundle's own code not shown: see err.pythonTraceback)",
    ]);
  });

  it("hides foreach's wrapper frames, compiled under a <spark-autobundle …> name, like the loader's", () => {
    // df.foreach("pricetag.effects:record") raising in the project's function, with a pyspark worker frame as some versions print one.
    const text = `Traceback (most recent call last):
  File "/opt/spark/python/lib/pyspark.zip/pyspark/worker.py", line 3327, in main
    process()
  File "<spark-autobundle foreach.py>", line 11, in foreach_row
  File "${USER}/pricetag-793dfea563b4.zip/pricetag/effects.py", line 9, in record
    raise ValueError("row 3 refused")
ValueError: row 3 refused`;
    expect(formatPythonFailure(text, project).split("\n")).toEqual([
      "ValueError: row 3 refused",
      "Traceback (most recent call last):",
      `  File "/home/ana/pricetag/pricetag/effects.py", line 9, in record`,
      '    raise ValueError("row 3 refused")',
      "  (2 frames of Spark's worker and spark-autobundle's own code not shown: see err.pythonTraceback)",
    ]);
    // Only spark-autobundle's own names: another <…> frame (a user's exec'd code) stays.
    expect(formatPythonFailure(text.replace("<spark-autobundle foreach.py>", "<string>"), project)).toContain('File "<string>", line 11, in foreach_row');
  });

  it("keeps chained exceptions in order, the last one first", () => {
    const text = `Traceback (most recent call last):
  File "${USER}/pricetag-793dfea563b4.zip/pricetag/a.py", line 2, in f
    int(x)
ValueError: bad
\nDuring handling of the above exception, another exception occurred:
\nTraceback (most recent call last):
  File "${USER}/pricetag-793dfea563b4.zip/pricetag/a.py", line 4, in f
    raise KeyError(x)
KeyError: 'x'`;
    const lines = formatPythonFailure(text, project).split("\n");
    expect(lines[0]).toBe("KeyError: 'x'");
    expect(lines).toContain("ValueError: bad");
    expect(lines).toContain("During handling of the above exception, another exception occurred:");
    expect(lines.filter((l) => l.includes("/home/ana/pricetag/pricetag/a.py"))).toHaveLength(2);
  });

  it("rewrites a text without a traceback only where it has frames", () => {
    expect(formatPythonFailure("[UDF_ERROR] no frames here", project)).toBe("[UDF_ERROR] no frames here");
  });
});

describe("the process-wide registry", () => {
  it("maps by the zip's file name, whatever folder the worker unpacked it in", () => {
    registerBundleFiles("pyfiles/regtest-0123456789ab.zip", [{ zipPath: "regtest/m.py", absPath: "/src/regtest/m.py" }]);
    expect(registeredBundles("regtest-0123456789ab.zip", "regtest/m.py")).toEqual({ file: "/src/regtest/m.py" });
    expect(registeredBundles("regtest-0123456789ab.zip", "regtest/other.py")).toBeUndefined();
  });

  it("forgets the oldest zips past 64", () => {
    for (let i = 0; i < 70; i++) registerBundleFiles(`pyfiles/many-${String(i).padStart(12, "0")}.zip`, [{ zipPath: "m.py", absPath: `/p${i}/m.py` }]);
    expect(registeredBundles(`many-${"0".repeat(12)}.zip`, "m.py")).toBeUndefined();
    expect(registeredBundles(`many-${"69".padStart(12, "0")}.zip`, "m.py")).toEqual({ file: "/p69/m.py" });
  });
});
