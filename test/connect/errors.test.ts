import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { ErrorInfoSchema, StatusSchema } from "../../src/gen/google/rpc/status_pb.js";
import { FetchErrorDetailsResponseSchema } from "../../src/gen/spark/connect/base_pb.js";
import { callerStack, errorClassFromMessage, errorFromDetails, errorFromGrpc, GrpcCode, readErrorInfo, SparkConnectError } from "../../src/connect/errors.js";
import { registerBundleFiles } from "../../src/connect/python-traceback.js";
import { setDebugOverride } from "../../src/shared/debug.js";

/** A grpc-js-shaped error whose trailer carries a real google.rpc.Status with Spark's ErrorInfo. */
function grpcError(metadata: Record<string, string>, message = "[DIVIDE_BY_ZERO] Division by zero.") {
  const info = create(ErrorInfoSchema, { reason: "org.apache.spark.SparkArithmeticException", domain: "org.apache.spark", metadata });
  const status = create(StatusSchema, { code: GrpcCode.INTERNAL, message, details: [anyPack(ErrorInfoSchema, info)] });
  const trailer = Buffer.from(toBinary(StatusSchema, status));
  return { code: GrpcCode.INTERNAL, details: message, metadata: { get: (k: string) => (k === "grpc-status-details-bin" ? [trailer] : []) } };
}

describe("Spark error details", () => {
  it("reads errorClass, sqlState, parameters and classes from the ErrorInfo trailer", () => {
    const err = grpcError({
      classes: '["org.apache.spark.SparkArithmeticException","org.apache.spark.SparkThrowable"]',
      errorClass: "DIVIDE_BY_ZERO",
      sqlState: "22012",
      messageParameters: '{"config":"\\"spark.sql.ansi.enabled\\""}',
      errorId: "e-1",
    });
    const info = readErrorInfo(err)!;
    expect(info).toMatchObject({ errorClass: "DIVIDE_BY_ZERO", sqlState: "22012", errorId: "e-1" });
    expect(info.messageParameters).toEqual({ config: '"spark.sql.ansi.enabled"' });
    const error = errorFromGrpc(err, info);
    expect(error).toBeInstanceOf(SparkConnectError);
    expect(error).toMatchObject({ errorClass: "DIVIDE_BY_ZERO", sqlState: "22012", grpcCode: GrpcCode.INTERNAL });
    expect(error.exceptionClasses[0]).toBe("org.apache.spark.SparkArithmeticException");
    expect(error.message).toBe("SparkArithmeticException: [DIVIDE_BY_ZERO] Division by zero.");
  });

  it("returns undefined when there is no trailer (plain transport failures)", () => {
    expect(readErrorInfo({ code: GrpcCode.UNAVAILABLE, metadata: { get: () => [] } })).toBeUndefined();
  });

  it("builds the cause chain and stack trace from FetchErrorDetails", () => {
    const details = create(FetchErrorDetailsResponseSchema, {
      rootErrorIdx: 0,
      errors: [
        {
          errorTypeHierarchy: ["org.apache.spark.api.python.PythonException", "java.lang.RuntimeException"],
          message: "[PYTHON_EXCEPTION] An exception was thrown from the Python worker.",
          causeIdx: 1,
          sparkThrowable: { errorClass: "PYTHON_EXCEPTION", messageParameters: { msg: "ZeroDivisionError" } },
          stackTrace: [{ declaringClass: "org.apache.spark.api.python.BasePythonRunner", methodName: "read", fileName: "PythonRunner.scala", lineNumber: 42 }],
        },
        { errorTypeHierarchy: ["java.io.IOException"], message: "stream closed" },
      ],
    });
    const root = errorFromDetails(details, GrpcCode.INTERNAL)!;
    expect(root.errorClass).toBe("PYTHON_EXCEPTION");
    expect(root.messageParameters).toEqual({ msg: "ZeroDivisionError" });
    expect(root.serverStackTrace).toContain("BasePythonRunner.read(PythonRunner.scala:42)");
    expect(root.message.startsWith("PythonException: ")).toBe(true);
    const cause = root.cause as SparkConnectError;
    expect(cause).toBeInstanceOf(SparkConnectError);
    expect(cause.message).toBe("IOException: stream closed");
  });

  it("puts the fix on its own line after the cause", () => {
    const e = new SparkConnectError("Cannot reach the server at sc://h:1.", { fix: "Start one with `spark-autobundle server start`." });
    expect(e.message.split("\n")).toEqual(["Cannot reach the server at sc://h:1.", "Start one with `spark-autobundle server start`."]);
  });
});

// What Spark 4.1.4 answers for a Python UDF raising in a project file (FetchErrorDetails, as measured),
// with the JVM stack cut to 40 frames and the gRPC error that carried it (trailer bytes included).
describe("a Python worker's failure, as it prints", () => {
  const traceback = `Traceback (most recent call last):
  File "/tmp/spark-6c/userFiles-d2/99bf/errtest-793dfea563b4.zip/errtest/amounts.py", line 48, in explode
    return _parse_strict(text)
           ^^^^^^^^^^^^^^^^^^^
  File "/tmp/spark-6c/userFiles-d2/99bf/errtest-793dfea563b4.zip/errtest/amounts.py", line 52, in _parse_strict
    raise ValueError(f"cannot parse {text!r}")
ValueError: cannot parse 'x'
`;
  const frames = Array.from({ length: 40 }, (_, i) => ({ declaringClass: "org.apache.spark.scheduler.Task", methodName: `run${i}`, fileName: "Task.scala", lineNumber: i }));
  const build = () => {
    const grpc = { ...grpcError({ classes: '["org.apache.spark.api.python.PythonException"]' }, traceback), message: `13 INTERNAL: ${traceback}` };
    const details = create(FetchErrorDetailsResponseSchema, {
      rootErrorIdx: 0,
      errors: [{ errorTypeHierarchy: ["org.apache.spark.api.python.PythonException", "java.lang.RuntimeException"], message: traceback, stackTrace: frames }],
    });
    return errorFromDetails(details, GrpcCode.INTERNAL, grpc)!;
  };

  it("leads with the Python exception and the frames, pointed at the project's files", () => {
    registerBundleFiles("pyfiles/errtest-793dfea563b4.zip", [{ zipPath: "errtest/amounts.py", absPath: "/home/ana/errtest/errtest/amounts.py" }]);
    const err = build();
    expect(err.message.split("\n")[0]).toBe("PythonException: ValueError: cannot parse 'x'");
    expect(err.message).toContain(`File "/home/ana/errtest/errtest/amounts.py", line 52, in _parse_strict`);
    expect(err.message).not.toContain("userFiles-");
    expect(err.pythonTraceback).toBe(traceback); // the raw text stays reachable
    expect(err.serverStackTrace).toContain("Task.run39(Task.scala:39)");
  });

  it("prints the message once, with no JVM stack, no gRPC bytes and no repeated cause", () => {
    const err = build();
    const printed = inspect(err);
    expect(printed).not.toMatch(/Buffer|Uint8Array|Task\.scala|serverStackTrace|grpc-status-details-bin/);
    expect(printed.split("cannot parse 'x'")).toHaveLength(2);
    expect(printed.split("\n").length).toBeLessThanOrEqual(30);
    expect(err.cause).toBeUndefined(); // the gRPC error only repeated the message
    expect(err.grpcError).toMatchObject({ code: GrpcCode.INTERNAL });
  });

  it("reads a traceback sent with no error details at all (no trailer) as a Python failure too", () => {
    const err = errorFromGrpc({ code: GrpcCode.INTERNAL, details: traceback, metadata: { get: () => [] } }, undefined);
    expect(err.message.split("\n")[0]).toBe("PythonException: ValueError: cannot parse 'x'");
    expect(err.pythonTraceback).toBe(traceback);
  });

  it("serializes (as vitest does across workers) without the JVM stack or the gRPC error", () => {
    const json = JSON.parse(JSON.stringify(build()));
    expect(Object.keys(json).sort()).toEqual(["message", "name", "stack"]);
    expect(JSON.stringify(json)).not.toMatch(/Task\.scala|INTERNAL/);
  });

  it("still shows the error class, SQL state and a server-side cause where there are some", () => {
    const err = errorFromGrpc(grpcError({ classes: '["org.apache.spark.SparkArithmeticException"]', errorClass: "DIVIDE_BY_ZERO", sqlState: "22012" }), undefined);
    const withInfo = errorFromGrpc(grpcError({ errorClass: "DIVIDE_BY_ZERO", sqlState: "22012" }), readErrorInfo(grpcError({ errorClass: "DIVIDE_BY_ZERO", sqlState: "22012" })));
    expect(inspect(withInfo)).toMatch(/errorClass: 'DIVIDE_BY_ZERO'/);
    expect(inspect(withInfo)).toMatch(/sqlState: '22012'/);
    expect(JSON.parse(JSON.stringify(withInfo))).toMatchObject({ errorClass: "DIVIDE_BY_ZERO", sqlState: "22012" });
    expect(err.cause).toBeUndefined();
    const chained = errorFromDetails(
      create(FetchErrorDetailsResponseSchema, { rootErrorIdx: 0, errors: [{ errorTypeHierarchy: ["a.Outer"], message: "outer", causeIdx: 1 }, { errorTypeHierarchy: ["b.Inner"], message: "inner" }] }),
      GrpcCode.INTERNAL,
    )!;
    expect(inspect(chained)).toMatch(/\[cause\]: SparkConnectError: Inner: inner/);
  });
});

describe("an uncaught SparkConnectError", () => {
  it("prints its message and JS stack, not its JVM stack, classes or parameters (Node ignores inspect.custom there)", () => {
    // A real Node process dying of the error: what a script's user sees.
    const script = `
      import { create } from "@bufbuild/protobuf";
      import { FetchErrorDetailsResponseSchema } from "./src/gen/spark/connect/base_pb.ts";
      import { errorFromDetails } from "./src/connect/errors.ts";
      const frames = Array.from({ length: 40 }, (_, i) => ({ declaringClass: "org.apache.spark.scheduler.Task", methodName: "run" + i, fileName: "Task.scala", lineNumber: i }));
      const message = "Traceback (most recent call last):\\n  File \\"/w/userFiles-1/p-0123456789ab.zip/p/m.py\\", line 2, in f\\n    1 / 0\\nZeroDivisionError: division by zero\\n";
      throw errorFromDetails(create(FetchErrorDetailsResponseSchema, { rootErrorIdx: 0, errors: [{ errorTypeHierarchy: ["org.apache.spark.api.python.PythonException", "java.lang.Object"], message, stackTrace: frames }] }), 13);
    `;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: join(import.meta.dirname, "..", ".."), encoding: "utf8" });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("PythonException: ZeroDivisionError: division by zero");
    expect(run.stderr).not.toMatch(/Task\.scala|exceptionClasses|messageParameters|grpcCode|java\.lang\.Object/);
    expect(run.stderr.trim().split("\n").length).toBeLessThanOrEqual(30);
  });
});

// Spark 3.5 sends no error class, only its message, which starts with Spark's documented prefix.
describe("the error class from a message's [CLASS] prefix", () => {
  it("reads a class, a sub-class and a legacy class", () => {
    expect(errorClassFromMessage("[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0.")).toBe("DIVIDE_BY_ZERO");
    expect(errorClassFromMessage("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `nope` cannot be resolved.")).toBe(
      "UNRESOLVED_COLUMN.WITH_SUGGESTION",
    );
    expect(errorClassFromMessage("[_LEGACY_ERROR_TEMP_2000] something")).toBe("_LEGACY_ERROR_TEMP_2000");
    expect(errorClassFromMessage("[TABLE_OR_VIEW_NOT_FOUND]")).toBe("TABLE_OR_VIEW_NOT_FOUND");
  });

  it("reads nothing from text that only looks like one", () => {
    for (const text of ["Division by zero [DIVIDE_BY_ZERO]", "[1, 2] is not a struct", "[Errno 2] No such file", "[DIVIDE_BY_ZERO]Division", "", "Traceback (most recent call last):\n[X] y"]) {
      expect(errorClassFromMessage(text), text).toBeUndefined();
    }
  });

  it("fills errorClass with errorClassSource 'message' when the server sent no class, 'server' when it did", () => {
    const plain = (details: string) => errorFromGrpc({ code: GrpcCode.INTERNAL, details, metadata: { get: () => [] } }, undefined);
    const fromMessage = plain("[DIVIDE_BY_ZERO] Division by zero.");
    expect(fromMessage).toMatchObject({ errorClass: "DIVIDE_BY_ZERO", errorClassSource: "message" });
    expect(plain("Division by zero.").errorClassSource).toBeUndefined();
    const withInfo = grpcError({ errorClass: "DIVIDE_BY_ZERO" });
    expect(errorFromGrpc(withInfo, readErrorInfo(withInfo))).toMatchObject({ errorClass: "DIVIDE_BY_ZERO", errorClassSource: "server" });
    // What 3.5 answers (ErrorInfo with the exception classes but no errorClass).
    const spark35 = grpcError({ classes: '["org.apache.spark.SparkArithmeticException"]' });
    expect(errorFromGrpc(spark35, readErrorInfo(spark35))).toMatchObject({ errorClass: "DIVIDE_BY_ZERO", errorClassSource: "message" });
    const details = create(FetchErrorDetailsResponseSchema, { rootErrorIdx: 0, errors: [{ errorTypeHierarchy: ["a.B"], message: "[TABLE_OR_VIEW_NOT_FOUND] The table `t` cannot be found." }] });
    expect(errorFromDetails(details, GrpcCode.INTERNAL)).toMatchObject({ errorClass: "TABLE_OR_VIEW_NOT_FOUND", errorClassSource: "message" });
    // The client's own classes have no source, and the field stays out of what prints.
    const own = new SparkConnectError("stopped", { errorClass: "SESSION_STOPPED" });
    expect(own.errorClassSource).toBeUndefined();
    expect(inspect(fromMessage)).not.toContain("errorClassSource");
  });
});

describe("the JS stack of an error", () => {
  const lib = ["/app/node_modules/spark-autobundle/dist/", "file:///app/node_modules/spark-autobundle/dist/"];
  const header = "SparkConnectError: PythonException: ValueError: x\nTraceback (most recent call last):\n  File \"/p/m.py\", line 2, in f\n    at = 1";
  const stack = (...frames: string[]) => `${header}\n${frames.map((f) => `    at ${f}`).join("\n")}`;

  it("starts at the caller's frame: the library's and Node's internal frames before it are dropped", () => {
    const full = stack(
      "build (file:///app/node_modules/spark-autobundle/dist/connect/errors.js:98:12)",
      "process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "async collectRows (/app/node_modules/spark-autobundle/dist/connect/sql/dataframe/dataframe-actions.js:14:22)",
      "async file:///app/test/prices.test.ts:17:16",
      "async runTest (file:///app/node_modules/vitest/dist/runner.js:1:1)",
    );
    // The message's own lines (a Python source line reading "at = 1") are never taken for frames.
    expect(callerStack(full, header, lib, 10)).toBe(stack("async file:///app/test/prices.test.ts:17:16", "async runTest (file:///app/node_modules/vitest/dist/runner.js:1:1)"));
  });

  it("keeps as many frames as Error.stackTraceLimit asks for, counted from the caller's", () => {
    const frames = ["x (/app/node_modules/spark-autobundle/dist/a.js:1:1)", ...Array.from({ length: 20 }, (_, i) => `f${i} (/app/src/f.ts:${i}:1)`)];
    const out = callerStack(stack(...frames), header, lib, 10)!;
    expect(out.slice(header.length + 1).split("\n")).toEqual(frames.slice(1, 11).map((f) => `    at ${f}`));
  });

  it("keeps a stack with no frame outside the library, and one with nothing to drop", () => {
    expect(callerStack(stack("a (/app/node_modules/spark-autobundle/dist/a.js:1:1)"), header, lib, 10)).toBeUndefined();
    expect(callerStack(stack("main (/app/main.js:1:1)"), header, lib, 10)).toBeUndefined();
  });

  it("of a real error built inside the library starts at this file", async () => {
    // errorFromDetails runs in src/connect/errors.ts, the library's own folder when run from source.
    const viaAsync = async () => {
      await Promise.resolve();
      return errorFromDetails(create(FetchErrorDetailsResponseSchema, { rootErrorIdx: 0, errors: [{ errorTypeHierarchy: ["a.B"], message: "m" }] }), 2)!;
    };
    const err = await viaAsync();
    const frames = err.stack!.split("\n").filter((l) => l.startsWith("    at "));
    expect(frames[0]).toContain("errors.test.ts");
    expect(err.stack).not.toContain("src/connect/errors.ts");
    // With debug logging on, the library's frames stay (for whoever debugs the library itself).
    setDebugOverride(true);
    try {
      expect((await viaAsync()).stack).toContain("src/connect/errors.ts");
    } finally {
      setDebugOverride(undefined);
    }
  });
});
