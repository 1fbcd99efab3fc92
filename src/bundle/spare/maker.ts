// The spare session maker: a detached process that spare.ts starts when an auto-bundled script's session
// stops. It opens a new session on the same embedded server, bundles the project into it as the
// claimant's engine would, runs one tiny Python UDF so the session's Python daemon and a worker are up,
// and records the session (store.ts), replacing (and releasing) any older spare of the project.
// It never stops its session: exiting closes the connection only, and the session waits for its claimant.
import { SparkSession } from "../../connect/session.js";
import { col } from "../../connect/sql/column/functions.js";
import { withLock } from "../../server/home/lock.js";
import { autoBundleOf, withAutoBundle } from "../hook.js";
import { putSpare, serverIdentity, serverPythonVersion, serverUrl, spareFile, takeSpare } from "./store.js";
import type { SpareJob } from "./spare.js";

/** A warm-up stuck on a busy server must not linger: the next run simply finds no spare. */
const GIVE_UP_MS = 120_000;

async function main(): Promise<void> {
  const job = JSON.parse(process.env.SPARK_AUTOBUNDLE_SPARE_JOB ?? "null") as SpareJob | null;
  if (job === null) throw new Error("SPARK_AUTOBUNDLE_SPARE_JOB is not set: this module is started by spark-autobundle itself.");
  const server = serverIdentity(job.stateFile);
  const url = serverUrl(job.stateFile);
  if (server === undefined || url === undefined) return log(`no server is recorded in ${job.stateFile}; nothing to do`);
  // One maker per project at a time: a second one (two scripts stopping together) has nothing to add.
  await withLock(`${spareFile(job.stateFile, job.root)}.lock`, () => make(job, server, url), { timeoutMs: 0 });
}

async function make(job: SpareJob, server: string, url: string): Promise<void> {
  const started = Date.now();
  const spark = await SparkSession.builder().remote(url).create();
  // The workers' Python from the server's state, as remote("local") gets it: no probe job in the warm-up.
  const pythonVersion = job.options.pythonVersion ?? serverPythonVersion(job.stateFile);
  withAutoBundle(spark, { ...job.options, pythonVersion, root: job.root, watch: false, spareSession: false });
  const basename = spark.udf.python("os.path:basename", "string");
  await spark.range(1).selectExpr("'warm/up' AS s").select(basename(col("s"))).collect();
  const engine = autoBundleOf(spark)!;
  const held = engine.spareSeed();
  const previous = takeSpare(job.stateFile, job.root);
  putSpare(job.stateFile, {
    schema: 1,
    server,
    root: job.root,
    sessionId: spark.sessionId,
    serverSideSessionId: spark.serverSessionId ?? "",
    createdAt: Date.now(),
    artifacts: held.artifacts,
    base: held.base && {
      hash: held.base.hash,
      hash12: held.base.hash12,
      artifact: held.base.artifact,
      zipPath: held.base.zipPath,
      treeBytes: held.base.treeBytes,
      files: held.base.files.map((f) => ({ zipPath: f.zipPath, sha256: f.sha256, size: f.size, executable: f.executable })),
    },
  });
  // Bounded: a project has at most one spare per server, so the one replaced is released.
  if (previous !== undefined && previous.sessionId !== spark.sessionId) await spark.releaseServerSession(previous.sessionId).catch(() => undefined);
  log(`spare session ${spark.sessionId} for ${job.root} ready in ${Date.now() - started} ms (holds ${held.artifacts.join(", ") || "nothing"})`);
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} spark-autobundle spare (pid ${process.pid}): ${line}\n`);
}

setTimeout(() => {
  log(`gave up after ${GIVE_UP_MS / 1000} s`);
  process.exit(1);
}, GIVE_UP_MS).unref();

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`no spare made: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
