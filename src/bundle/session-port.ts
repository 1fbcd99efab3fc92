// The seam between the bundle engine and a Spark Connect session: exactly what AutoBundle uses of one.
// SparkSession satisfies it as it is (withAutoBundle passes one, so tsc checks that);
// test/helpers/fake-bundle-session.ts implements it with no server, so the engine's decisions are
// unit-testable. What the engine learns by probe jobs (the workers' Python version, platform, installed
// distributions) comes in as WorkerProbes (hook.ts), so a test needs neither a job nor pip.
import type { ExecutePlanResponse, Plan } from "../gen/spark/connect/base_pb.js";
import type { CommonInlineUserDefinedDataSource } from "../gen/spark/connect/relations_pb.js";
import type { SessionChange } from "../connect/rpc/client.js";
import type { ServerFacts } from "../connect/builder.js";
import type { PlanHook, SessionMoveReason } from "../connect/session.js";
import type { UserDefinedFunction } from "../connect/python/udf.js";
import type { ArtifactTransport } from "./upload.js";

export interface BundleSession {
  /** Where uploads go (held-marker checks and AddArtifacts). */
  readonly client: ArtifactTransport;
  readonly udf: {
    /** Set once the session ships code, so by-reference Python functions may be created. */
    pythonEnabled: boolean;
    /** SQL-registered Python UDFs: they hold the command of the bundle they were registered with. */
    readonly registeredPython: ReadonlyMap<string, UserDefinedFunction>;
  };
  /** Registered Python data sources, which hold a command like SQL-registered UDFs. */
  readonly dataSource: { readonly registered: ReadonlyMap<string, CommonInlineUserDefinedDataSource> };
  /** A new server-side session (restart, expiry) holds nothing that was sent or registered. */
  onSessionChange(listener: (change: SessionChange) => void): () => void;
  onStop(listener: () => void): () => void;
  /** Notices a restarted server before a job relies on what the session holds (an RPC on Spark 3.5). */
  confirmSessionHeld(): Promise<void>;
  addPlanHook(hook: PlanHook): () => void;
  /** What the launcher of a local server knows (its workers' Python), so probes can skip a job. */
  readonly serverFacts: ServerFacts | undefined;
  /** The client-side session id (it changes when the session is moved). */
  readonly sessionId: string;
  /**
   * Continues on a new server-side session (listeners of onSessionChange hear it), or throws
   * `reason.errorClass` when the session holds state a new one can't be given. For replaced jars.
   */
  moveToNewServerSession(reason: SessionMoveReason): Promise<{ previousSessionId: string; sessionId: string }>;
  /** The server's Spark version ("4.1.4"); absent on a test's fake. */
  readonly version?: string;
  /** The server's id for the session, once a response told it. */
  readonly serverSessionId?: string | undefined;
  /**
   * Continues on a server-side session another process prepared (a spare, see spare/spare.ts); false
   * when this session holds what can't move there. Absent on a test's fake: no spares.
   */
  adoptServerSession?(sessionId: string): Promise<boolean>;
  /** Releases a server-side session by id (a spare that can't be used). */
  releaseServerSession?(sessionId: string): Promise<void>;
  /** The engine's own jobs (probes, registering UDFs again): through the hooks they would re-enter the engine. */
  executeWithoutHooks(plan: Plan): AsyncIterable<ExecutePlanResponse>;
}
