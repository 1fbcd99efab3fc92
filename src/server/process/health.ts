import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AnalyzePlanRequestSchema,
  AnalyzePlanResponseSchema,
  type AnalyzePlanRequest,
  type AnalyzePlanResponse,
} from "../../gen/spark/connect/base_pb.js";

const ANALYZE_PLAN_PATH = "/spark.connect.SparkConnectService/AnalyzePlan";

/**
 * One fixed session for all health checks: each new session id makes the server build (and keep for
 * an hour) a SparkSession, and a poll loop would otherwise leave dozens behind.
 */
const HEALTH_SESSION_ID = "0f5e1c2a-7b7d-4c1e-9a51-5a2c0b1d4e77";

export interface HealthTarget {
  host: string;
  port: number;
  /** Sent as `authorization: Bearer <token>`; undefined sends no authorization header at all. */
  token: string | undefined;
  /** Deadline for this one call. */
  timeoutMs?: number;
}

/** A failed health check, with the gRPC status so callers can tell "not up yet" from "wrong token". */
export class HealthCheckError extends Error {
  override name = "HealthCheckError";
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`health check failed: ${grpc.status[code] ?? code}: ${details}`, options);
  }

  /** The server answered but refused our credentials. */
  get isAuthFailure(): boolean {
    return this.code === grpc.status.UNAUTHENTICATED || this.code === grpc.status.PERMISSION_DENIED;
  }
}

/** Asks the server its Spark version over a real AnalyzePlan call; resolves with the version. */
export async function checkHealth(target: HealthTarget): Promise<{ sparkVersion: string }> {
  const client = new grpc.Client(`${target.host}:${target.port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (target.token !== undefined) metadata.set("authorization", `Bearer ${target.token}`);
  const request = create(AnalyzePlanRequestSchema, {
    sessionId: HEALTH_SESSION_ID,
    userContext: { userId: "spark-autobundle-health" },
    clientType: "spark-autobundle/health-check",
    analyze: { case: "sparkVersion", value: {} },
  });
  try {
    const response = await new Promise<AnalyzePlanResponse>((resolve, reject) => {
      client.makeUnaryRequest<AnalyzePlanRequest, AnalyzePlanResponse>(
        ANALYZE_PLAN_PATH,
        (value) => Buffer.from(toBinary(AnalyzePlanRequestSchema, value)),
        (bytes) => fromBinary(AnalyzePlanResponseSchema, bytes),
        request,
        metadata,
        { deadline: Date.now() + (target.timeoutMs ?? 10_000) },
        (error, value) => (error ? reject(error) : resolve(value!)),
      );
    });
    if (response.result.case !== "sparkVersion") {
      throw new HealthCheckError(grpc.status.INTERNAL, `unexpected AnalyzePlan result ${String(response.result.case)}`);
    }
    return { sparkVersion: response.result.value.version };
  } catch (error) {
    if (error instanceof HealthCheckError) throw error;
    const service = error as grpc.ServiceError;
    if (typeof service.code === "number") {
      throw new HealthCheckError(service.code, service.details, { cause: error });
    }
    throw error;
  } finally {
    client.close();
  }
}
