// What a server-side session holds that dies with it (a restart, an expiry), split by whether this
// client can put it back. Spark refuses to carry on silently in a new session
// (INVALID_HANDLE.SESSION_CHANGED) because temporary views and SQL SET effects would be gone. When
// everything the old session held is restorable (runtime config set through spark.conf and Java
// UDFs: replayed here; uploaded code, Python UDFs and data sources: re-sent by their owner, the
// bundle hook), the session is renewed and the job runs once more. The same replay serves a move to a
// new session that the client asks for itself (a replaced jar: SparkSession.moveToNewServerSession). Otherwise the error names what
// was lost.
import type { ExecutePlanResponse, Plan } from "../gen/spark/connect/base_pb.js";
import type { Command } from "../gen/spark/connect/commands_pb.js";
import type { CommonInlineUserDefinedFunction } from "../gen/spark/connect/expressions_pb.js";
import type { SparkConnectClient } from "./rpc/client.js";
import { SESSION_CHANGED, SparkConnectError } from "./errors.js";
import type { Relation } from "../gen/spark/connect/relations_pb.js";
import { commandPlan, rootPlan } from "./sql/plans.js";

/** What to do when the server no longer has the session: renew it when that loses nothing, or always fail. */
export type SessionLostPolicy = "renew" | "fail";

export class SessionState {
  /** Keys set (a string) or unset (undefined) through spark.conf, in order of their last write. */
  private readonly conf = new Map<string, string | undefined>();
  /** Java UDF registrations by name, replayed in order. */
  private readonly javaUdfs = new Map<string, CommonInlineUserDefinedFunction>();
  /**
   * spark.catalog.setCurrentCatalog / setCurrentDatabase, the last of each, in order: the names are
   * persistent (the metastore's), only the choice is the session's. Without the replay, the next query
   * after a renewal would silently run against "default".
   */
  private readonly catalogChoices = new Map<string, Relation>();
  /** State nothing here can re-create, described for the error. */
  private unrestorable: string[] = [];
  /** The session is new and the Java UDFs are not registered on it yet. */
  private javaUdfsPending = false;

  noteConf(key: string, value: string | undefined): void {
    this.conf.delete(key);
    this.conf.set(key, value);
  }

  /** Records what a plan (a command, or a catalog call) that just succeeded left in the session. */
  noteCommand(plan: Plan, responses: readonly ExecutePlanResponse[]): void {
    if (plan.opType.case === "root") return this.noteCatalogChoice(plan.opType.value);
    if (plan.opType.case !== "command") return;
    const command: Command["commandType"] = plan.opType.value.commandType;
    switch (command.case) {
      case "createDataframeView":
        this.lose(`${command.value.isGlobal ? "global " : ""}temporary view "${command.value.name}"`);
        return;
      case "sqlCommand": {
        // A query comes back as a lazy `sql` relation; a command (SET, CREATE VIEW, USE...) ran eagerly.
        const result = responses.find((r) => r.responseType.case === "sqlCommandResult")?.responseType;
        const relation = result?.case === "sqlCommandResult" ? result.value.relation?.relType.case : undefined;
        if (relation !== "sql") this.lose(`SQL command "${clip(command.value.sql)}"`);
        return;
      }
      case "registerFunction":
        if (command.value.function.case === "javaUdf") this.javaUdfs.set(command.value.functionName, command.value);
        return; // Python ones: their owner (the bundle hook) registers them again on a new session
      case "registerDataSource":
      case "registerTableFunction":
      case "writeOperation":
      case "writeOperationV2":
        return; // re-registered by the bundle hook, or persistent (tables, files)
      case "writeStreamOperationStart":
        // A running query is the session's: it stops with it, and its checkpoint alone can't restart it here.
        this.lose(`streaming query${command.value.queryName ? ` "${command.value.queryName}"` : ""}`);
        return;
      case "streamingQueryCommand":
      case "streamingQueryManagerCommand":
        return; // asks about (or stops) a query the session already holds
      default:
        this.lose(`a ${command.case ?? "unknown"} command`);
    }
  }

  /**
   * Called once the server-side session is new (a restart, or a move to a new session): replays the
   * runtime config now, and returns what was lost for good (forgotten here: the caller reports it once).
   * Java UDFs are replayed later, by replayPending, once the plan hooks have run: their classes come
   * from jars the bundle hook uploads to the new session, and registering before that fails.
   */
  async restore(client: SparkConnectClient): Promise<string[]> {
    const pairs = [...this.conf].filter((e): e is [string, string] => e[1] !== undefined).map(([key, value]) => ({ key, value }));
    if (pairs.length) await client.config({ opType: { case: "set", value: { pairs } } });
    for (const relation of this.catalogChoices.values()) {
      for await (const response of client.execute(rootPlan(relation))) void response;
    }
    this.javaUdfsPending = this.javaUdfs.size > 0;
    const lost = this.unrestorable;
    this.unrestorable = [];
    return lost;
  }

  /** Registers the Java UDFs again on a new session, once (see restore); free when nothing is pending. */
  async replayPending(client: SparkConnectClient): Promise<void> {
    if (!this.javaUdfsPending) return;
    for (const fn of this.javaUdfs.values()) {
      for await (const response of client.execute(commandPlan({ case: "registerFunction", value: fn }))) void response;
    }
    this.javaUdfsPending = false;
  }

  /** What a new session could not be given, without forgetting it (see restore). */
  get unrestorableState(): readonly string[] {
    return this.unrestorable;
  }

  /** The session is gone and the user was told: nothing to restore onto the next one. */
  forget(): void {
    this.conf.clear();
    this.javaUdfs.clear();
    this.catalogChoices.clear();
    this.javaUdfsPending = false;
    this.unrestorable = [];
  }

  /** What restore() puts back, for messages. */
  describeRestorable(): string {
    const keys = [...this.conf.values()].filter((v) => v !== undefined).length;
    const parts = [`${keys} runtime config value${keys === 1 ? "" : "s"}`];
    if (this.javaUdfs.size) parts.push(`${this.javaUdfs.size} Java UDF${this.javaUdfs.size === 1 ? "" : "s"}`);
    const [catalog, database] = [this.catalogChoices.has("setCurrentCatalog"), this.catalogChoices.has("setCurrentDatabase")];
    if (catalog || database) parts.push(`the current ${catalog && database ? "catalog and database" : catalog ? "catalog" : "database"}`);
    return parts.join(", ");
  }

  private noteCatalogChoice(relation: Relation): void {
    if (relation.relType.case !== "catalog") return;
    const choice = relation.relType.value.catType.case;
    if (choice !== "setCurrentCatalog" && choice !== "setCurrentDatabase") return;
    // A new catalog resets the current database (Spark's rule), so the database choice must follow it.
    if (choice === "setCurrentCatalog") this.catalogChoices.delete("setCurrentDatabase");
    this.catalogChoices.delete(choice);
    this.catalogChoices.set(choice, relation);
  }

  private lose(what: string): void {
    if (!this.unrestorable.includes(what)) this.unrestorable.push(what);
  }
}

/** The error for a lost session whose state could not all be restored: names each lost piece. */
export function sessionStateLostError(lost: readonly string[], restored: string, cause: unknown, outcome = "The job was not run."): SparkConnectError {
  const shown = lost.slice(0, 8).join(", ") + (lost.length > 8 ? ` and ${lost.length - 8} more` : "");
  return new SparkConnectError(
    `The Spark Connect server no longer has this session (it restarted or the session expired), and the new session lacks state the old one held: ${shown}. ` +
      `${outcome} Restored: ${restored}.`,
    {
      errorClass: SESSION_CHANGED,
      grpcCode: cause instanceof SparkConnectError ? cause.grpcCode : undefined,
      fix: "Create the views again (or re-run the SQL commands), then re-run the job. To fail on every lost session instead, use SparkSession.builder().onSessionLost(\"fail\").",
      cause,
    },
  );
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
