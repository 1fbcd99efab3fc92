import type { AnalyzePlanResponse, ExecutePlanResponse, Plan } from "../gen/spark/connect/base_pb.js";
import type { Relation } from "../gen/spark/connect/relations_pb.js";
import { SparkSessionBuilder, type LocalServerLauncher, type ReleaseHookFinder, type ServerFacts } from "./builder.js";
import type { AnalyzeInit, SparkConnectClient, SessionChange } from "./rpc/client.js";
import { SessionContinuity } from "./continuity.js";
import { RuntimeConfig } from "./conf.js";
import type { SessionCore } from "./core.js";
import { DataFrame } from "./sql/dataframe/dataframe.js";
import { SESSION_CHANGED, SESSION_STOPPED, SparkConnectError } from "./errors.js";
import { SessionState, type SessionLostPolicy } from "./session-state.js";
import { SessionRenewal } from "./session-renewal.js";
import { toLiteral } from "./types/literal.js";
import { DataFrameReader } from "./sql/reader.js";
import { DataStreamReader } from "./sql/streaming/reader.js";
import { StreamingQueryManager } from "./sql/streaming/manager.js";
import { Catalog } from "./sql/catalog.js";
import { commandPlan, localRelationFromRows, rangeRelation, tableRelation } from "./sql/plans.js";
import { requireFilledPlaceholders, UDFRegistration } from "./python/udf.js";
import { UDTFRegistration } from "./python/udtf.js";
import { DataSourceRegistration } from "./python/datasource.js";
import type { DataTypeInput } from "./types/datatypes.js";
import { debugLog, timed, timingMark } from "../shared/debug.js";
import { sessionArtifacts, splitArtifactArgs, type AddArtifactsOptions } from "./artifacts-api.js";

const debug = debugLog("session");

/**
 * Runs before every plan that may execute user code; the auto-bundle hook is one.
 * `message` is the Plan (execute) or the analyze request's body; hooks may fill in
 * placeholders inside it (Python UDF commands) before it is sent.
 */
/** Why the client itself moves to a new server-side session, and the error to give when it can't. */
export interface SessionMoveReason {
  /** The cause, as a sentence, e.g. which jar changed. */
  why: string;
  /** The error class thrown when the move is refused. */
  errorClass: string;
  /** What the user can do when it is refused. */
  fix: string;
}

export type PlanHook = (kind: "execute" | "analyze", message: object) => Promise<void>;

// Analyses that never run user code, so hooks are skipped for them.
const CODE_FREE_ANALYSES = new Set(["sparkVersion", "ddlParse"]);

/**
 * A Spark Connect session. Create one with SparkSession.builder().
 * DataFrames are lazy; actions (collect, count, show, write...) run on the server.
 */
export class SparkSession implements SessionCore {
  readonly conf: RuntimeConfig;
  readonly udf: UDFRegistration;
  /** Python table functions by reference (needs withAutoBundle). */
  readonly udtf: UDTFRegistration;
  /** Python data sources by reference, for spark.read.format(name) (needs withAutoBundle, Spark 4.0+). */
  readonly dataSource: DataSourceRegistration;
  /** The server's Spark version, e.g. "4.1.4". */
  readonly version: string;
  /**
   * What the launcher of a local server knows about it (the embedded server: its workers' Python);
   * absent for sc:// remotes. Lets the bundle engine skip probe jobs.
   */
  readonly serverFacts: ServerFacts | undefined;
  /** How remote("local") reaches a server when the builder is given none; the package entry sets the embedded server's. */
  static defaultLocalLauncher: LocalServerLauncher | undefined;
  /** The embedded server's release hook for a session reached by its sc:// URL; the package entry sets it. */
  static defaultReleaseHookOf: ReleaseHookFinder | undefined;
  private planIds = 0n;
  private readonly hooks: PlanHook[] = [];
  private readonly stopListeners = new Set<() => void>();
  private readonly releasedListeners: Array<(serverSideSessionId: string) => void | Promise<void>> = [];
  private stopped = false;
  private readonly continuity: SessionContinuity;
  private readonly state = new SessionState();
  private readonly renewal: SessionRenewal;

  /** @internal Use SparkSession.builder(). */
  constructor(
    readonly client: SparkConnectClient,
    version: string,
    private readonly forgetActive: () => void = () => {},
    sessionLostPolicy: SessionLostPolicy = "renew",
    serverFacts?: ServerFacts,
  ) {
    this.version = version;
    this.serverFacts = serverFacts;
    this.renewal = new SessionRenewal(client, this.state, sessionLostPolicy);
    this.conf = new RuntimeConfig(client, this.state, (op) => this.renewal.renewing(op));
    this.udf = new UDFRegistration(this);
    this.udtf = new UDTFRegistration(this);
    this.dataSource = new DataSourceRegistration(this);
    this.continuity = new SessionContinuity(client);
  }

  static builder(): SparkSessionBuilder {
    const open = (client: SparkConnectClient, version: string, onStop: () => void, policy: SessionLostPolicy, facts: ServerFacts | undefined) =>
      new SparkSession(client, version, onStop, policy, facts);
    return new SparkSessionBuilder(open, SparkSession.defaultLocalLauncher, SparkSession.defaultReleaseHookOf);
  }

  /** The client-side session id (a UUID). */
  get sessionId(): string {
    return this.client.sessionId;
  }

  /** The server's id for this session; it changes when the server restarts. */
  get serverSessionId(): string | undefined {
    return this.client.serverSessionId;
  }

  /** Subscribe to server-side session changes (restart/expiry). Returns an unsubscribe function. */
  onSessionChange(listener: (change: SessionChange) => void): () => void {
    return this.client.onSessionChange(listener);
  }

  /**
   * Makes sure a server restart is noticed before work that relies on session state (artifacts, UDFs):
   * free on Spark 4, which reports it in every response; one small RPC on Spark 3.5, which does not.
   * Listeners of onSessionChange hear about a lost session.
   */
  async confirmSessionHeld(): Promise<void> {
    this.assertOpen();
    if (!(await this.continuity.confirm())) return;
    const lost = new SparkConnectError(
      `The Spark Connect server at ${this.client.displayUrl} (Spark ${this.version}, which reports no session ids) no longer holds this session: it restarted, or the session was released.`,
      { errorClass: SESSION_CHANGED, fix: "Re-run the job: the next call uses a new server-side session." },
    );
    await this.renewal.renewAfter(lost);
  }

  /**
   * Continues on a new server-side session, carrying over what SessionState can replay (runtime
   * config now; Java UDFs once the hooks have run) while the owners of uploads and Python functions
   * (the bundle hook) re-send theirs on hearing the change. For state that exists only in the server's
   * JVM (a session's class loader keeps every jar it was sent, first one wins): the way to replace it.
   * Refused, with nothing changed, when the session holds what can't be carried over (temporary views,
   * SQL command effects) or its id was pinned: then `reason` is thrown, naming what stays behind.
   */
  async moveToNewServerSession(reason: SessionMoveReason): Promise<{ previousSessionId: string; sessionId: string }> {
    this.assertOpen();
    const blockers = this.moveBlockers();
    if (blockers.length) {
      throw new SparkConnectError(`${reason.why} Moving to a new session would lose what this one holds: ${blockers.join(", ")}. The job was not run.`, {
        errorClass: reason.errorClass,
        fix: reason.fix,
      });
    }
    const { previousSessionId, released } = this.switchServerSession();
    await released;
    await this.state.restore(this.client);
    return { previousSessionId, sessionId: this.client.sessionId };
  }

  /**
   * @internal Continues on the server-side session `sessionId`, which another client of ours prepared
   * and handed over (a spare session, bundle/spare/): this session's runtime config and Java UDFs are
   * replayed there and the session it leaves is released. Returns false, changing nothing, when this
   * session holds what can't be carried over or its id was chosen by the caller.
   */
  async adoptServerSession(sessionId: string): Promise<boolean> {
    this.assertOpen();
    if (this.moveBlockers().length > 0) return false;
    // The old session's release is not awaited: the job needn't wait for it.
    this.switchServerSession(sessionId);
    await this.state.restore(this.client);
    return true;
  }

  /** What keeps this session from moving to another server-side session: state that can't move, a pinned id. */
  private moveBlockers(): string[] {
    const blockers = [...this.state.unrestorableState];
    if (this.client.sessionIdPinned) blockers.push(`its session id ${this.client.sessionId}, which was chosen by the caller (other clients may use it)`);
    return blockers;
  }

  /** Continues under client-side id `next` (a new one by default); `released`: the old session's release, never failing. */
  private switchServerSession(next?: string): { previousSessionId: string; released: Promise<void> } {
    const previousSessionId = this.client.moveToNewSession(next);
    // The old session holds only what the new one is given again; unreleased, the server drops it after
    // its idle timeout (spark.connect.session.manager.defaultSessionTimeout, 60 min by default).
    const released = this.client.releaseSession(previousSessionId).catch((err: unknown) => debug("releasing session %s failed: %s", previousSessionId, String(err)));
    return { previousSessionId, released };
  }

  /** @internal Releases a server-side session of ours by id (a spare that can't be used). */
  releaseServerSession(sessionId: string): Promise<void> {
    return this.client.releaseSession(sessionId);
  }

  /** Called once when stop() begins (e.g. to stop a file watcher). Returns an unsubscribe function. */
  onStop(listener: () => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /** Adds a hook run before every ExecutePlan and code-bearing AnalyzePlan. */
  addPlanHook(hook: PlanHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /**
   * @internal For a plan hook's own jobs (a probe job, registering functions again): runs `plan`
   * without the hooks, which would re-enter the hook that asked.
   */
  executeWithoutHooks(plan: Plan): AsyncIterable<ExecutePlanResponse> {
    this.assertOpen();
    return this.client.execute(plan);
  }

  nextPlanId(): bigint {
    return this.planIds++;
  }

  /**
   * Runs the hooks, then the plan. When the server lost the session before answering (a restart),
   * the session is renewed and the plan runs once more, unless that would lose state (see SessionState).
   */
  async *execute(plan: Plan, options: { signal?: AbortSignal } = {}): AsyncGenerator<ExecutePlanResponse> {
    this.assertOpen();
    const isCommand = plan.opType.case === "command";
    for (let attempt = 1; ; attempt++) {
      let answered = false;
      const commandResponses: ExecutePlanResponse[] = [];
      try {
        if (this.hooks.length > 0) await timed("plan-hooks", async () => { for (const hook of this.hooks) await hook("execute", plan); });
        if (!this.udf.pythonEnabled) requireFilledPlaceholders(plan);
        await this.state.replayPending(this.client);
        timingMark("plan-sent");
        for await (const response of this.client.execute(plan, options)) {
          if (!answered) timingMark("first-response");
          answered = true;
          if (isCommand) commandResponses.push(response);
          yield response;
        }
        timingMark("last-response");
        // Commands, and catalog calls whose choice a renewed session must get back (setCurrentDatabase).
        this.state.noteCommand(plan, commandResponses);
        return;
      } catch (err) {
        // stop() cut it short, at whatever step (a hook's build, upload or probe; the run): say that.
        if (this.stopped) throw stoppedError(err);
        // Once the server answered, the job ran there: never run it twice.
        if (answered || attempt > 1) throw await this.renewal.renewedForNextCall(err);
        await this.renewal.renewAfter(err);
      }
    }
  }

  async analyze(analyze: AnalyzeInit): Promise<AnalyzePlanResponse> {
    this.assertOpen();
    try {
      return await this.renewal.renewing(async () => {
        if (!CODE_FREE_ANALYSES.has(analyze.case ?? "")) {
          for (const hook of this.hooks) await hook("analyze", analyze);
          if (!this.udf.pythonEnabled) requireFilledPlaceholders(analyze);
          await this.state.replayPending(this.client);
        }
        return this.client.analyze(analyze);
      });
    } catch (err) {
      throw this.stopped ? stoppedError(err) : err;
    }
  }

  /**
   * Runs SQL eagerly (so DDL/DML happen once, now) and returns its result as a DataFrame.
   * `args` binds named (`:name`, given an object) or positional (`?`, given an array) parameters.
   */
  async sql(query: string, args?: Record<string, unknown> | unknown[]): Promise<DataFrame> {
    const named = args && !Array.isArray(args) ? Object.fromEntries(Object.entries(args).map(([k, v]) => [k, literalOf(v)])) : {};
    const positional = Array.isArray(args) ? args.map(literalOf) : [];
    let relation: Relation | undefined;
    const plan = commandPlan({ case: "sqlCommand", value: { sql: query, args: named, posArgs: positional } });
    for await (const response of this.execute(plan)) {
      if (response.responseType.case === "sqlCommandResult") relation = response.responseType.value.relation;
    }
    if (!relation) throw new SparkConnectError(`The server returned no result relation for SQL: ${query}`);
    return new DataFrame(this, relation);
  }

  /** Rows with one LongType column `id`: range(end), range(start, end, step?, numPartitions?). */
  range(startOrEnd: number | bigint, end?: number | bigint, step: number | bigint = 1, numPartitions?: number): DataFrame {
    const [s, e] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
    return new DataFrame(this, rangeRelation(this, BigInt(s), BigInt(e), BigInt(step), numPartitions));
  }

  table(name: string): DataFrame {
    return new DataFrame(this, tableRelation(this, name));
  }

  /** A DataFrame from plain objects, sent as an Arrow local relation. `schema` is a DDL string or a struct type. */
  createDataFrame(rows: Array<Record<string, unknown>>, schema?: DataTypeInput): DataFrame {
    return new DataFrame(this, localRelationFromRows(this, rows, schema));
  }

  get read(): DataFrameReader {
    return new DataFrameReader(this);
  }

  /** Structured Streaming sources: `spark.readStream.format("rate").load()`. */
  get readStream(): DataStreamReader {
    return new DataStreamReader(this);
  }
  /** The session's streaming queries (active, get, awaitAnyTermination, resetTerminated); each call asks the server. */
  get streams(): StreamingQueryManager {
    return new StreamingQueryManager(this);
  }

  /** Databases, tables, functions and table caching (pyspark's spark.catalog); every method returns a Promise. */
  get catalog(): Catalog {
    return new Catalog(this);
  }

  /**
   * pyspark's addArtifacts: `spark.addArtifacts("data.txt", { file: true })`, `{ pyfile: true }` (.py/.zip/.egg),
   * `{ archive: true }` ("a.zip#dir"), or a .jar with no option. Content-addressed and remembered per
   * session (see artifacts-api.ts): the same file again sends nothing, a changed one under a held name is refused.
   */
  addArtifacts(...args: Array<string | string[] | AddArtifactsOptions>): Promise<void> {
    this.assertOpen();
    const { paths, options } = splitArtifactArgs(args);
    return sessionArtifacts(this).add(paths, options);
  }

  /** pyspark's alias of addArtifacts. */
  addArtifact(...args: Array<string | string[] | AddArtifactsOptions>): Promise<void> {
    return this.addArtifacts(...args);
  }

  /** pyspark's copyFromLocalToFs: uploads a local file for the server to write at `destPath` on its file system. */
  copyFromLocalToFs(localPath: string, destPath: string): Promise<void> {
    this.assertOpen();
    return sessionArtifacts(this).copyFromLocalToFs(localPath, destPath);
  }

  /** Interrupts every running operation of this session; returns their ids. */
  interruptAll(): Promise<string[]> {
    return this.client.interruptAll();
  }

  /** @internal After stop() released the session on the server (the builder's LaunchedServer.afterRelease). */
  onReleased(listener: (serverSideSessionId: string) => void | Promise<void>): void {
    this.releasedListeners.push(listener);
  }

  /** Releases the session on the server and closes the channel. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const listener of this.stopListeners) listener();
    this.forgetActive();
    this.udtf.close();
    const serverSideSessionId = this.client.serverSessionId;
    try {
      await timed("release-session", () => this.client.releaseSession());
    } finally {
      this.client.close();
    }
    if (serverSideSessionId !== undefined) for (const listener of this.releasedListeners) await listener(serverSideSessionId);
  }

  private assertOpen(): void {
    if (this.stopped) throw stoppedError();
  }
}

function literalOf(value: unknown) {
  return toLiteral(value);
}

/** The one error for work on (or cut short by) a stopped session; `cause` is what the cut-short step saw. */
function stoppedError(cause?: unknown): SparkConnectError {
  if (cause instanceof SparkConnectError && cause.errorClass === SESSION_STOPPED) return cause;
  return new SparkConnectError("This SparkSession was stopped.", {
    errorClass: SESSION_STOPPED,
    fix: "Create a new one with SparkSession.builder().getOrCreate().",
    cause,
  });
}
