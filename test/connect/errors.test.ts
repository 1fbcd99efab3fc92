import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { ErrorInfoSchema, StatusSchema } from "../../src/gen/google/rpc/status_pb.js";
import { FetchErrorDetailsResponseSchema } from "../../src/gen/spark/connect/base_pb.js";
import { errorFromDetails, errorFromGrpc, GrpcCode, readErrorInfo, SparkConnectError } from "../../src/connect/errors.js";

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
