import type { ExecutePlanResponse } from "../../gen/spark/connect/base_pb.js";
import { SparkConnectError } from "../errors.js";
import { backoffMs, isRetryable, type Clock, type RetryPolicy } from "./retry.js";

/** The RPCs one reattachable execution needs, injected so the logic runs without gRPC. */
export interface ExecutionTransport {
  /** ExecutePlan with this operation id and ReattachOptions{reattachable: true}. */
  execute(operationId: string): AsyncIterable<ExecutePlanResponse>;
  /** ReattachExecute, resuming after `lastResponseId` (or from the start). */
  reattach(operationId: string, lastResponseId: string | undefined): AsyncIterable<ExecutePlanResponse>;
  /** ReleaseExecute ReleaseAll; also interrupts the operation if it still runs. */
  releaseAll(operationId: string): Promise<void>;
}

export interface ReattachOptions {
  operationId: string;
  transport: ExecutionTransport;
  policy: RetryPolicy;
  clock: Clock;
  random?: () => number;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  /** Release failures can't fail a finished job; they are reported here instead. */
  onReleaseError?: (err: unknown) => void;
}

export function isOperationNotFound(err: unknown): err is SparkConnectError {
  return err instanceof SparkConnectError && err.errorClass === "INVALID_HANDLE.OPERATION_NOT_FOUND";
}

/**
 * Streams every response of one execution, surviving broken streams:
 * - the stream ends without ResultComplete → reattach after the last response;
 * - the stream fails with UNAVAILABLE → back off, then reattach;
 * - reattach says OPERATION_NOT_FOUND before any response arrived → the
 *   ExecutePlan never reached the server, so run it again (at most policy.maxRetries times);
 * - done (or abandoned by the consumer) → ReleaseExecute.
 */
export async function* reattachableExecute(options: ReattachOptions): AsyncGenerator<ExecutePlanResponse> {
  const { operationId, transport, policy, clock } = options;
  let lastResponseId: string | undefined;
  let complete = false;
  let failedAttempts = 0;
  let restarts = 0;
  let stream = transport.execute(operationId);
  try {
    for (;;) {
      try {
        for await (const response of stream) {
          failedAttempts = 0;
          lastResponseId = response.responseId || lastResponseId;
          if (response.responseType.case === "resultComplete") complete = true;
          yield response;
        }
      } catch (err) {
        if (isOperationNotFound(err) && lastResponseId === undefined) {
          // A server that never keeps the operation would otherwise be asked again forever.
          if (restarts++ >= policy.maxRetries) throw operationKeptLost(operationId, restarts, err);
          stream = transport.execute(operationId);
          continue;
        }
        if (!isRetryable(err) || failedAttempts >= policy.maxRetries) throw err;
        const wait = backoffMs(policy, failedAttempts++, options.random);
        options.onRetry?.(err, failedAttempts, wait);
        await clock.sleep(wait, options.signal);
        stream = transport.reattach(operationId, lastResponseId);
        continue;
      }
      if (complete) return;
      // Servers end a stream after a time/size budget; there is more to read.
      stream = transport.reattach(operationId, lastResponseId);
    }
  } finally {
    await transport.releaseAll(operationId).catch((err: unknown) => options.onReleaseError?.(err));
  }
}

function operationKeptLost(operationId: string, starts: number, cause: SparkConnectError): SparkConnectError {
  return new SparkConnectError(`The server lost operation ${operationId} before answering, ${starts} times in a row (each time the plan was sent again).`, {
    errorClass: cause.errorClass,
    grpcCode: cause.grpcCode,
    fix: "Retry the job. If it keeps happening, the server is dropping operations as they start: check its log, and whether a proxy routes the calls of one session to different servers.",
    cause,
  });
}
