import { create } from "@bufbuild/protobuf";
import {
  AddArtifactsResponseSchema,
  type AddArtifactsRequest,
  type AnalyzePlanResponse,
  type ExecutePlanResponse,
  type Plan,
} from "../../src/gen/spark/connect/base_pb.js";
import type { CommonInlineUserDefinedDataSource } from "../../src/gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../../src/connect/core.js";
import type { SessionChange } from "../../src/connect/rpc/client.js";
import type { PlanHook, SessionMoveReason } from "../../src/connect/session.js";
import { SparkConnectError } from "../../src/connect/errors.js";
import { UDFRegistration } from "../../src/connect/python/udf.js";
import type { BundleSession } from "../../src/bundle/session-port.js";
import type { ArtifactTransport } from "../../src/bundle/upload.js";
import type { DepsSource, WorkerProbes } from "../../src/bundle/hook.js";
import type { DepsResolution } from "../../src/bundle/deps/resolve.js";

type AddArtifactsPayload = Omit<AddArtifactsRequest, "sessionId" | "userContext" | "$typeName">;

/**
 * A BundleSession (and SessionCore) with no server, the way RecordingCore stands in for one under
 * DataFrames: it records what the engine sends (uploads, held-marker checks, its own plans) and
 * answers like a server whose session holds what was uploaded to it. A test fires a server-side
 * session change with changeSession(), and runs a job's hooks with runJob().
 */
export class FakeBundleSession implements BundleSession, SessionCore {
  /** A real UDFRegistration over this session: register() runs through the hooks, as on a SparkSession. */
  readonly udf: UDFRegistration = new UDFRegistration(this);
  readonly dataSource = { registered: new Map<string, CommonInlineUserDefinedDataSource>() };
  /** A remote server: nothing known without a probe (the tests' WorkerProbes stand in for probes anyway). */
  readonly serverFacts = undefined;
  /** One entry per AddArtifacts stream: the artifact names it carried, held-markers left out. */
  readonly uploads: string[][] = [];
  /** One entry per ArtifactStatus call: the names asked about. */
  readonly statusChecks: string[][] = [];
  /** Plans the engine ran itself (registrations, probes), bypassing the hooks. */
  readonly executedWithoutHooks: Plan[] = [];
  /** Plans run as jobs, after the hooks. */
  readonly jobs: Plan[] = [];
  /** Called once, at the start of the next ArtifactStatus call (e.g. its answer reveals a restarted server). */
  onNextStatusCheck: (() => void) | undefined;
  /** What the current server-side session holds: every name uploaded to it, markers included. */
  private serverHolds = new Set<string>();
  private serverSideId = "server-session-1";
  private readonly hooks: PlanHook[] = [];
  private readonly changeListeners = new Set<(change: SessionChange) => void>();
  private readonly stopListeners = new Set<() => void>();
  private planIds = 0n;

  readonly client: ArtifactTransport = {
    artifactStatuses: async (names: string[]) => {
      const during = this.onNextStatusCheck;
      this.onNextStatusCheck = undefined;
      during?.();
      this.statusChecks.push(names);
      return Object.fromEntries(names.map((name) => [name, this.serverHolds.has(name)]));
    },
    addArtifacts: async (requests: Iterable<AddArtifactsPayload>) => {
      const names: string[] = [];
      // Reading the requests reads the files, as the real stream does.
      for (const request of requests) {
        if (request.payload.case === "batch") names.push(...request.payload.value.artifacts.map((a) => a.name));
        if (request.payload.case === "beginChunk") names.push(request.payload.value.name);
      }
      for (const name of names) this.serverHolds.add(name);
      this.uploads.push(names.filter((name) => !name.startsWith("cache/")));
      return create(AddArtifactsResponseSchema, { artifacts: names.map((name) => ({ name, isCrcSuccessful: true })) });
    },
  };

  /** Every RPC the engine made: uploads, held-marker checks and its own plans (confirmSessionHeld is free, as on Spark 4). */
  get rpcs(): number {
    return this.uploads.length + this.statusChecks.length + this.executedWithoutHooks.length;
  }

  /** Artifact names uploaded so far, in order. */
  get uploaded(): string[] {
    return this.uploads.flat();
  }

  /** The server restarted: a new server-side session, holding nothing, and the listeners told. */
  changeSession(): void {
    const previous = this.serverSideId;
    this.serverSideId = `server-session-${Number(previous.split("-").pop()) + 1}`;
    this.serverHolds = new Set();
    for (const listener of this.changeListeners) listener({ previous, current: this.serverSideId });
  }

  /** A job: the hooks see (and may fill) `plan`, as SparkSession.execute runs them; then it is recorded. */
  async runJob(plan: Plan): Promise<void> {
    for await (const response of this.execute(plan)) void response;
  }

  stop(): void {
    for (const listener of this.stopListeners) listener();
  }

  async *execute(plan: Plan): AsyncGenerator<ExecutePlanResponse> {
    for (const hook of this.hooks) await hook("execute", plan);
    this.jobs.push(plan);
  }

  async analyze(): Promise<AnalyzePlanResponse> {
    throw new Error("FakeBundleSession: analyze is not faked");
  }

  nextPlanId(): bigint {
    return this.planIds++;
  }

  onSessionChange(listener: (change: SessionChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onStop(listener: () => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  async confirmSessionHeld(): Promise<void> {}

  sessionId = "client-session-1";
  /** What moveToNewServerSession refuses with (a real session: its temp views); undefined moves. */
  moveBlockedBy: string | undefined;

  /** As SparkSession does: a new client-side session id, so a new server-side session; or the refusal. */
  async moveToNewServerSession(reason: SessionMoveReason): Promise<{ previousSessionId: string; sessionId: string }> {
    if (this.moveBlockedBy !== undefined) throw new SparkConnectError(`${reason.why} Moving would lose ${this.moveBlockedBy}.`, { errorClass: reason.errorClass, fix: reason.fix });
    const previousSessionId = this.sessionId;
    this.sessionId = `client-session-${Number(previousSessionId.split("-").pop()) + 1}`;
    this.changeSession();
    return { previousSessionId, sessionId: this.sessionId };
  }

  addPlanHook(hook: PlanHook): () => void {
    this.hooks.push(hook);
    return () => this.hooks.splice(this.hooks.indexOf(hook), 1);
  }

  async *executeWithoutHooks(plan: Plan): AsyncGenerator<ExecutePlanResponse> {
    this.executedWithoutHooks.push(plan);
  }
}

/**
 * WorkerProbes that run no probe job and no pip: the Python version must be given as an option, and
 * dependency resolutions come from `deps` (when dependency shipping is on).
 */
export function fakeProbes(deps?: FakeDeps): WorkerProbes {
  return {
    pythonVersion: async (override) => {
      if (override === undefined) throw new Error("fakeProbes: no probe jobs here; pass the pythonVersion option");
      return override;
    },
    deps: () => {
      if (deps === undefined) throw new Error("fakeProbes: dependency shipping is on, but no FakeDeps was given");
      return deps;
    },
  };
}

/** A dependency resolution a test sets by hand (what DepsShipper gets from pip), served like DepsShipper serves it. */
export class FakeDeps implements DepsSource {
  last: DepsResolution | undefined;
  resolution: DepsResolution | undefined;
  async current(): Promise<DepsResolution | undefined> {
    return (this.last = this.resolution);
  }
}
