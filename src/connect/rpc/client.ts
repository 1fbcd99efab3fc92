import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  SparkConnectService,
  type AddArtifactsRequestSchema,
  type AddArtifactsResponse,
  type AnalyzePlanRequestSchema,
  type AnalyzePlanResponse,
  type ConfigRequestSchema,
  type ConfigResponse,
  type ExecutePlanResponse,
  type Plan,
} from "../../gen/spark/connect/base_pb.js";
import { errorFromDetails, errorFromGrpc, GrpcCode, readErrorInfo, SESSION_CHANGED, SESSION_NOT_FOUND, SparkConnectError, unavailableError, type GrpcErrorLike } from "../errors.js";
import { reattachableExecute } from "./execute.js";
import { defaultRetryPolicy, systemClock, withRetry, type Clock, type RetryPolicy } from "./retry.js";
import { Rpc, type ChannelSpec } from "./rpc.js";
import { debugLog } from "../../shared/debug.js";

const debug = debugLog("rpc");

/** The oneof of an AnalyzePlan request, e.g. { case: "schema", value: { plan } }. */
export type AnalyzeInit = NonNullable<MessageInitShape<typeof AnalyzePlanRequestSchema>["analyze"]>;

export interface ClientOptions {
  channel: ChannelSpec;
  sessionId?: string;
  userId?: string;
  clientType: string;
  retryPolicy?: RetryPolicy;
  clock?: Clock;
  /** Shown in connection errors, with the token redacted. */
  displayUrl: string;
  /** What to tell the user when the server can't be reached. */
  unreachableFix?: string;
}

export interface SessionChange {
  previous: string;
  current: string | undefined;
}

/**
 * One Spark Connect session's RPCs: it stamps every request with the session
 * identity, turns failures into SparkConnectError (asking FetchErrorDetails
 * for the structured part), retries UNAVAILABLE, and watches the server-side
 * session id so a restarted server is reported instead of silently losing state.
 */
export class SparkConnectClient {
  private currentSessionId: string;
  /** The caller chose the session id (a pinned session other clients may join): it is never replaced. */
  readonly sessionIdPinned: boolean;
  readonly rpc: Rpc;
  private readonly userContext: { userId: string };
  private readonly clientType: string;
  private readonly policy: RetryPolicy;
  private readonly clock: Clock;
  /** The connection string with the token redacted, for messages. */
  readonly displayUrl: string;
  private readonly unreachableFix: string;
  private serverSideSessionId: string | undefined;
  /** RPC counts of reattachable executions, for tests and diagnostics. */
  readonly executionStats = { executes: 0, reattaches: 0, releases: 0 };
  private readonly changeListeners = new Set<(change: SessionChange) => void>();

  constructor(options: ClientOptions) {
    this.currentSessionId = options.sessionId ?? randomUUID();
    this.sessionIdPinned = options.sessionId !== undefined;
    this.userContext = { userId: options.userId ?? process.env.USER ?? "spark-autobundle" };
    this.clientType = options.clientType;
    this.policy = options.retryPolicy ?? defaultRetryPolicy;
    this.clock = options.clock ?? systemClock;
    this.displayUrl = options.displayUrl;
    this.unreachableFix = options.unreachableFix ?? "Start a local server with `spark-autobundle server start`, or point SPARK_REMOTE at a running one (sc://host:15002).";
    this.rpc = new Rpc(options.channel);
  }

  /** The client-side session id every request carries. */
  get sessionId(): string {
    return this.currentSessionId;
  }

  /**
   * Continues under a new client-side session id, so the server opens a new session on the next call
   * (Spark keys sessions by this id; a released id can't be reused on 4.x). Listeners hear the change
   * as they would a restart. Calls already running keep the id they started with. Returns the old id.
   * `next`: an id whose session another client of ours prepared (a spare session); default a new one.
   */
  moveToNewSession(next: string = randomUUID()): string {
    const previous = this.currentSessionId;
    const previousServerSide = this.serverSideSessionId ?? previous;
    this.currentSessionId = next;
    this.serverSideSessionId = undefined;
    this.emitChange({ previous: previousServerSide, current: undefined });
    return previous;
  }

  /** The server's id for this session, once a response has told us. */
  get serverSessionId(): string | undefined {
    return this.serverSideSessionId;
  }

  /** Called when the server no longer holds this session (restart or expiry). */
  onSessionChange(listener: (change: SessionChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private identity() {
    return {
      sessionId: this.sessionId,
      userContext: this.userContext,
      clientType: this.clientType,
      clientObservedServerSideSessionId: this.serverSideSessionId,
    };
  }

  async analyze(analyze: AnalyzeInit): Promise<AnalyzePlanResponse> {
    const response = await this.call(() => this.rpc.unary(SparkConnectService.method.analyzePlan, { ...this.identity(), analyze }));
    this.observe(response.serverSideSessionId);
    return response;
  }

  async config(operation: MessageInitShape<typeof ConfigRequestSchema>["operation"]): Promise<ConfigResponse> {
    const response = await this.call(() => this.rpc.unary(SparkConnectService.method.config, { ...this.identity(), operation }));
    this.observe(response.serverSideSessionId);
    return response;
  }

  async addArtifacts(requests: Iterable<Omit<MessageInitShape<typeof AddArtifactsRequestSchema>, "sessionId" | "userContext">>): Promise<AddArtifactsResponse> {
    const identity = this.identity();
    const stamped = mapIterable(requests, (r) => ({ ...r, ...identity }) as MessageInitShape<typeof AddArtifactsRequestSchema>);
    // A client stream can't be replayed after a partial write, so no retry here;
    // the caller's content-addressed names make a whole re-send safe.
    const response = await this.call(() => this.rpc.clientStream(SparkConnectService.method.addArtifacts, stamped), false);
    this.observe(response.serverSideSessionId);
    return response;
  }

  async artifactStatuses(names: string[]): Promise<Record<string, boolean>> {
    const response = await this.call(() => this.rpc.unary(SparkConnectService.method.artifactStatus, { ...this.identity(), names }));
    this.observe(response.serverSideSessionId);
    return Object.fromEntries(Object.entries(response.statuses).map(([name, status]) => [name, status.exists]));
  }

  async interruptAll(): Promise<string[]> {
    const response = await this.call(() =>
      this.rpc.unary(SparkConnectService.method.interrupt, { ...this.identity(), interruptType: 1 /* INTERRUPT_TYPE_ALL */ }),
    );
    return response.interruptedIds;
  }

  /** Spark 3.5 has no ReleaseSession: its sessions live until the server stops, so there is nothing to release. */
  async releaseSession(sessionId = this.sessionId): Promise<void> {
    try {
      await this.call(() =>
        this.rpc.unary(SparkConnectService.method.releaseSession, { sessionId, userContext: this.userContext, clientType: this.clientType }),
      );
    } catch (error) {
      if (!(error instanceof SparkConnectError && error.grpcCode === GrpcCode.UNIMPLEMENTED)) throw error;
    }
  }

  /** Runs a plan as a reattachable execution; see reattachableExecute. */
  async *execute(plan: Plan, options: { signal?: AbortSignal; tags?: string[] } = {}): AsyncGenerator<ExecutePlanResponse> {
    const identity = this.identity();
    const method = SparkConnectService.method;
    const converted = <T>(source: AsyncIterable<T>) => this.convertStream(source);
    const responses = reattachableExecute({
      operationId: randomUUID(),
      policy: this.policy,
      clock: this.clock,
      signal: options.signal,
      transport: {
        execute: (operationId) => (
          this.executionStats.executes++,
          converted(
            this.rpc.serverStream(method.executePlan, {
              ...identity,
              plan,
              operationId,
              tags: options.tags ?? [],
              requestOptions: [{ requestOption: { case: "reattachOptions", value: { reattachable: true } } }],
            }),
          )
        ),
        reattach: (operationId, lastResponseId) => (
          this.executionStats.reattaches++,
          converted(this.rpc.serverStream(method.reattachExecute, { ...identity, operationId, lastResponseId }))
        ),
        releaseAll: async (operationId) => {
          this.executionStats.releases++;
          await this.rpc.unary(method.releaseExecute, { ...identity, operationId, release: { case: "releaseAll", value: {} } });
        },
      },
      onReleaseError: (err) => {
        // The job itself finished; a failed release only leaves buffers that the server's own timeout frees.
        debug("ReleaseExecute failed: %s", String(err));
      },
    });
    for await (const response of responses) {
      this.observe(response.serverSideSessionId);
      yield response;
    }
  }

  close(): void {
    this.rpc.close();
  }

  private async *convertStream<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* source;
    } catch (err) {
      throw await this.toSparkError(err);
    }
  }

  private async call<T>(op: () => Promise<T>, retry = true): Promise<T> {
    const once = async () => {
      try {
        return await op();
      } catch (err) {
        throw await this.toSparkError(err);
      }
    };
    return retry ? withRetry(once, { policy: this.policy, clock: this.clock }) : once();
  }

  private observe(serverSideSessionId: string): void {
    if (!serverSideSessionId) return;
    const previous = this.serverSideSessionId;
    this.serverSideSessionId = serverSideSessionId;
    if (previous !== undefined && previous !== serverSideSessionId) this.emitChange({ previous, current: serverSideSessionId });
  }

  /**
   * For servers that report no server-side session id (Spark 3.5): tells listeners the session is new,
   * as a changed id would on Spark 4 (see continuity.ts).
   */
  sessionLost(reason: string): void {
    this.emitChange({ previous: `(unnamed: ${reason})`, current: undefined });
  }

  private emitChange(change: SessionChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  /** Turns a grpc-js failure into SparkConnectError, with FetchErrorDetails when the server offers an error id. */
  async toSparkError(err: unknown): Promise<unknown> {
    if (err instanceof SparkConnectError || !isGrpcError(err)) return err;
    const info = readErrorInfo(err);
    // SESSION_NOT_FOUND: a call that never creates a session (ReattachExecute, ReleaseExecute, ...) reached a
    // server that doesn't hold ours: it restarted (issue 17.2: a kill mid-job) or the session expired.
    // The same loss as SESSION_CHANGED, and renewed the same way.
    if (info?.errorClass === SESSION_CHANGED || info?.errorClass === SESSION_NOT_FOUND) return this.sessionChanged(err, info.errorClass);
    if (info?.errorId) {
      const details = await this.rpc
        .unary(SparkConnectService.method.fetchErrorDetails, { ...this.identity(), errorId: info.errorId })
        .catch((fetchErr: unknown) => fetchErr);
      if (!(details instanceof Error)) {
        const enriched = errorFromDetails(details as never, err.code, err);
        if (enriched) return enriched;
      }
    }
    if (!info && err.code === GrpcCode.UNAVAILABLE) {
      return unavailableError(this.displayUrl, err, this.unreachableFix);
    }
    if (!info && err.code === GrpcCode.UNAUTHENTICATED) {
      return new SparkConnectError(`The Spark Connect server at ${this.displayUrl} refused the credentials (${err.details || err.message}).`, {
        grpcCode: err.code,
        fix: "Check the `token` in the connection string (sc://host:port/;token=...). For the embedded server, the client reads the token from its state file by itself.",
        cause: err,
      });
    }
    return errorFromGrpc(err, info);
  }

  private sessionChanged(err: GrpcErrorLike, serverClass: string): SparkConnectError {
    const previous = this.serverSideSessionId ?? "(unknown)";
    // Forget the old id so the next call starts cleanly on the server's new session.
    this.serverSideSessionId = undefined;
    this.emitChange({ previous, current: undefined });
    return new SparkConnectError(
      `The Spark Connect server no longer has this session (server-side session ${previous}): the server restarted or the session expired. ` +
        "Temporary views, registered UDFs, configuration and uploaded artifacts of the old session are gone" +
        (serverClass === SESSION_CHANGED ? "." : `, and so is any job that was running there (the server answered ${serverClass}).`),
      {
        // One class for every way of finding the session gone, so callers (and the renewal) handle one.
        errorClass: SESSION_CHANGED,
        grpcCode: err.code,
        fix: "Re-run the job: the next call starts a new server-side session (withAutoBundle re-uploads the bundle by itself).",
        cause: err,
      },
    );
  }
}

function isGrpcError(err: unknown): err is GrpcErrorLike & Error {
  return err instanceof Error && typeof (err as GrpcErrorLike).code === "number" && "metadata" in err;
}

function* mapIterable<T, U>(source: Iterable<T>, fn: (value: T) => U): Iterable<U> {
  for (const value of source) yield fn(value);
}
