// Spare sessions, as scripts use them: whole processes on the embedded server (remote("local")), each
// opening a session, running a Python UDF and stopping. Issue 19: a rerun continues on the spare the
// previous run left, sees the project's current code and nothing of the previous run's state, and a
// project never has more than one spare on a server.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, inject, it } from "vitest";
import { SparkSession } from "../../../src/index.js";
import { spareFile, takeSpare, type SpareRecord } from "../../../src/bundle/spare/store.js";
import { homeLayout, resolveHome } from "../../../src/server/home/paths.js";

const REPO = join(import.meta.dirname, "..", "..", "..");
const stateFile = homeLayout(resolveHome()).stateFile;
// The embedded server of this home must be the tests' server: spares are made only there.
const embedded = existsSync(stateFile) && !process.env.SPARK_REMOTE && inject("sparkVersion").startsWith("4.");

function project(): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "sab-spare-proj-")));
  mkdirSync(join(root, "mylib"));
  writeFileSync(join(root, "pyproject.toml"), '[project]\nname = "sparetest"\nversion = "0"\n');
  writeFileSync(join(root, "mylib", "__init__.py"), "");
  setVersion(root, 1);
  writeFileSync(
    join(root, "run.mts"),
    `import { SparkSession, col, withAutoBundle } from ${JSON.stringify(join(REPO, "src", "index.ts"))};
const spare: string[] = [];
const spark = withAutoBundle(await SparkSession.builder().remote("local").getOrCreate(), {
  spareSession: true,
  onEvent: (e) => void (e.type === "spare" && spare.push(e.sessionId)),
});
const normalize = spark.udf.python("mylib.text:normalize", "string");
const out: Record<string, unknown> = {};
out.n = (await spark.range(1).selectExpr("' Hello ' AS s").select(normalize(col("s")).alias("n")).collect())[0]!.n;
out.sessionId = spark.sessionId;
out.spare = spare[0] ?? null;
if (process.argv[2] === "leave-state") {
  await spark.conf.set("spark.sql.shuffle.partitions", "7");
  await spark.range(3).createOrReplaceTempView("sab_leak_view");
  await spark.udf.register("sab_leak_fn", normalize);
  await spark.sql("CACHE TABLE sab_leak_cached AS SELECT 1 AS x");
  await spark.sql("CREATE DATABASE IF NOT EXISTS sab_leak_db");
  await spark.sql("USE sab_leak_db");
}
out.seen = {
  views: (await spark.catalog.listTables("default")).filter((t) => t.isTemporary).map((t) => t.name).sort(),
  shufflePartitions: await spark.conf.get("spark.sql.shuffle.partitions"),
  fn: await spark.catalog.functionExists("sab_leak_fn"),
  cached: await spark.catalog.tableExists("sab_leak_cached"),
  database: await spark.catalog.currentDatabase(),
};
console.log(JSON.stringify(out));
await spark.stop();
`,
  );
  return root;
}

function setVersion(root: string, version: number): void {
  writeFileSync(join(root, "mylib", "text.py"), `def normalize(s):\n    return f"{s.strip().lower()}:v${version}"\n`);
}

interface RunOutput {
  n: string;
  sessionId: string;
  spare: string | null;
  seen: { views: string[]; shufflePartitions: string; fn: boolean; cached: boolean; database: string };
}

function run(root: string, ...args: string[]): Promise<RunOutput> {
  const env = { ...process.env };
  delete env.VITEST;
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "run.mts"), ...args], { cwd: REPO, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split("\n").pop()!) as RunOutput) : reject(new Error(`run.mts exited ${code}:\n${stdout}\n${stderr}`)))),
  );
}

/** The spare recorded for `root`, once its maker has finished (it runs detached after the run's stop). */
async function recordedSpare(root: string, other?: string): Promise<SpareRecord> {
  const file = spareFile(stateFile, root);
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(200)) {
    if (!existsSync(file)) continue;
    const record = JSON.parse(readFileSync(file, "utf8")) as SpareRecord;
    if (record.sessionId !== other) return record;
  }
  throw new Error(`no spare session was recorded for ${root}; see ${join(stateFile, "..", "logs", "spare.log")}`);
}

const roots: string[] = [];
afterAll(async () => {
  // Leave no spare sessions behind for the projects of this file.
  const spark = await SparkSession.builder().remote(inject("sparkRemote")).create();
  for (const root of roots) {
    const spare = takeSpare(stateFile, root);
    if (spare) await spark.releaseServerSession(spare.sessionId).catch(() => undefined);
  }
  await spark.sql("DROP DATABASE IF EXISTS sab_leak_db").catch(() => undefined);
  await spark.stop();
});

describe.skipIf(!embedded)("spare sessions (embedded server)", () => {
  it("a rerun continues on the previous run's spare: the edited code runs, and nothing of the previous run is seen", async () => {
    const root = project();
    roots.push(root);
    const first = await run(root, "leave-state");
    expect(first).toMatchObject({ n: "hello:v1", spare: null });
    expect(first.seen).toMatchObject({ views: ["sab_leak_cached", "sab_leak_view"], shufflePartitions: "7", fn: true, cached: true, database: "sab_leak_db" });

    const spare = await recordedSpare(root);
    expect(spare.sessionId).not.toBe(first.sessionId);
    setVersion(root, 2);
    const second = await run(root);
    expect(second.spare).toBe(spare.sessionId);
    expect(second.sessionId).toBe(spare.sessionId);
    expect(second.n).toBe("hello:v2");
    expect(second.seen).toEqual({ views: [], shufflePartitions: "200", fn: false, cached: false, database: "default" });

    // The second run left the next spare, a session of its own: a spare is never a stopped run's session.
    const next = await recordedSpare(root, spare.sessionId);
    expect(next.sessionId).not.toBe(second.sessionId);
  });

  it("a newer spare replaces the project's older one, which is released: never more than one", async () => {
    const root = project();
    roots.push(root);
    await make(root);
    const older = await recordedSpare(root);
    await make(root);
    const newer = await recordedSpare(root, older.sessionId);
    expect(newer.sessionId).not.toBe(older.sessionId);
    // Released: Spark 4 refuses a released session id for good.
    const reuse = await SparkSession.builder()
      .remote(`${inject("sparkRemote")};session_id=${older.sessionId}`)
      .create()
      .then(
        (s) => s.stop().then(() => "opened"),
        (err: Error) => err.message,
      );
    expect(reuse).toMatch(/SESSION_CLOSED/);
  });
});

/** Runs the spare maker itself (as a stopping run starts it), and waits for it. */
function make(root: string): Promise<void> {
  const env = { ...process.env, SPARK_AUTOBUNDLE_SPARE_JOB: JSON.stringify({ stateFile, root, options: {} }) };
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "src", "bundle", "spare", "maker.ts")], { cwd: REPO, env, stdio: "inherit" });
  return new Promise((resolve, reject) => child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`the maker exited ${code}`)))));
}
