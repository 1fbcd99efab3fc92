// The session engine (hook.ts) where a session change or a failed probe meets a sync, without Spark:
// real project trees, hashing, zips and cache; the session is a fake (test/helpers/watched-bundle-session.ts)
// because a real server can't be made to restart between the engine's plan and its upload, nor its
// workers to refuse every Python version on cue. What runs on a real restarted server is
// test/faults/server-kill.spark.test.ts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { create } from "@bufbuild/protobuf";
import { PlanSchema, type Plan } from "../../src/gen/spark/connect/base_pb.js";
import type { CommonInlineUserDefinedFunction } from "../../src/gen/spark/connect/expressions_pb.js";
import { col } from "../../src/connect/sql/column/column.js";
import { SparkConnectError } from "../../src/connect/errors.js";
import { installAutoBundle, sparkProbes, type AutoBundle, type AutoBundleEvent, type AutoBundleOptions, type WorkerProbes } from "../../src/bundle/hook.js";
import { PYTHON_VERSION_ENV } from "../../src/bundle/worker/pyver.js";
import { RACY_WINDOW_MS } from "../../src/bundle/watch/freshness.js";
import { fakeProbes } from "../helpers/fake-bundle-session.js";
import { HookedDeps, WatchedBundleSession } from "../helpers/watched-bundle-session.js";
import { sleep } from "./watch/helpers.js";
import { makeTree, tempDir } from "./helpers.js";

const PROJECT = {
  "pyproject.toml": '[project]\nname = "textkit"\n',
  "requirements.txt": "",
  "textkit/__init__.py": "",
  "textkit/text.py": "def shout(s):\n    return s.upper()\n",
  // Enough bytes that a one-line edit elsewhere stays under the overlay threshold.
  "textkit/big.py": "def noop():\n    return None\n" + "# filler line for a realistic module size\n".repeat(100),
};

interface Engine {
  session: WatchedBundleSession;
  engine: AutoBundle;
  events: AutoBundleEvent[];
  root: string;
}

async function engineOver(options: AutoBundleOptions, probes: (session: WatchedBundleSession) => WorkerProbes): Promise<Engine> {
  const root = makeTree(PROJECT);
  const session = new WatchedBundleSession();
  const events: AutoBundleEvent[] = [];
  const engine = installAutoBundle(
    session,
    { root, cacheDir: tempDir("sab-hook-races-"), dependencies: false, watch: false, onEvent: (e) => events.push(e), ...options },
    probes(session),
  );
  // Files written within the racy window are never vouched for: without this, every job would rebuild.
  await sleep(RACY_WINDOW_MS + 100);
  return { session, engine, events, root };
}

/** A job calling textkit.text:shout by reference; returns the UDF message the hook filled. */
async function jobWithUdf(session: WatchedBundleSession): Promise<{ command: Uint8Array; pythonVer: string }> {
  const expr = session.udf.python("textkit.text:shout", "string")(col("name")).expr;
  const plan: Plan = create(PlanSchema, { opType: { case: "root", value: { relType: { case: "project", value: { expressions: [expr] } } } } });
  await session.runJob(plan);
  const fn = expr.exprType.value as CommonInlineUserDefinedFunction;
  if (fn.function.case !== "pythonUdf") throw new Error(`expected a Python UDF, got ${fn.function.case}`);
  return fn.function.value;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");
const edit = (root: string, body: string) => writeFileSync(join(root, "textkit/text.py"), `def shout(s):\n    return ${body}\n`);

/**
 * What must hold after every job: the current session was sent the artifact the UDFs load and, for an
 * overlay, the base it is an overlay on (the worker's loader merges the two; without the base, import fails).
 */
function expectRunnable({ session, engine }: Engine, udf: { command: Uint8Array }): void {
  const current = engine.current!;
  expect(text(udf.command)).toContain(current.loaderModule);
  expect(session.heldByCurrentSession).toContain(current.artifact);
  if (current.overlay) expect(session.heldByCurrentSession).toContain(current.overlay.baseArtifact);
}

describe("an overlay's base and a session change", () => {
  it("a session lost while an overlay is current: later jobs never ship an overlay without its base", async () => {
    const e = await engineOver({ pythonVersion: "3.11" }, () => fakeProbes());
    const { session, engine, root } = e;
    await jobWithUdf(session);
    const base = engine.current!;
    edit(root, "s.upper() + '!'");
    await jobWithUdf(session);
    expect(engine.current!.overlay?.baseArtifact).toBe(base.artifact); // the scenario: an overlay is what the session runs

    // The server restarts with nothing changed on disk: the overlay's version is sent again, whole or with its base.
    session.changeSession();
    expectRunnable(e, await jobWithUdf(session));

    // And after an edit made on the new session.
    session.changeSession();
    edit(root, "s.upper() + '?'");
    expectRunnable(e, await jobWithUdf(session));
    edit(root, "s.upper() + '?!'");
    expectRunnable(e, await jobWithUdf(session));
  });

  it("a session change noticed between the plan and the upload: the base the plan counted as held goes along", async () => {
    // The real DepsShipper may run a probe job here (the workers' platform), whose answer is where a
    // Spark 4 client first sees a restarted server's new session id.
    const deps = new HookedDeps();
    const e = await engineOver({ pythonVersion: "3.11", dependencies: { requirements: ["requirements.txt"] } }, () => fakeProbes(deps));
    const { session, engine, root } = e;
    await jobWithUdf(session);
    const base = engine.current!;

    edit(root, "s.upper() + '!'");
    deps.duringNextResolution = () => session.changeSession();
    const udf = await jobWithUdf(session);
    // Planned while the old session held the base: an overlay, whose base the new session must be sent too.
    expect(engine.current!.overlay?.baseArtifact).toBe(base.artifact);
    expectRunnable(e, udf);
    expect(session.heldByCurrentSession.sort()).toEqual([base.artifact, engine.current!.artifact].sort());

    // The next job checks again (the sync straddled the change) and finds the new session complete.
    const uploads = session.uploads.length;
    expectRunnable(e, await jobWithUdf(session));
    expect(session.uploads.length).toBe(uploads);
  });

  it("a session change noticed while the upload is under way: the new session gets the base too", async () => {
    // Another call on the session (a concurrent job) meets the restarted server after this sync asked
    // which artifacts are held: the upload that follows lands on the new session, which holds nothing.
    const e = await engineOver({ pythonVersion: "3.11" }, () => fakeProbes());
    const { session, engine, root } = e;
    await jobWithUdf(session);
    edit(root, "s.upper() + '!'");
    session.beforeNextStatusCheck = async () => session.changeSession();
    const udf = await jobWithUdf(session);
    expect(engine.current!.overlay).toBeDefined();
    expectRunnable(e, udf);
  });
});

describe("the workers' Python version cannot be found", () => {
  beforeEach(() => vi.stubEnv(PYTHON_VERSION_ENV, "")); // no override from the environment
  afterEach(() => vi.unstubAllEnvs());

  it("fails the job with PYTHON_VERSION_UNKNOWN and its fix; the next job asks the workers again", async () => {
    // The real discovery (sparkProbes → discoverPythonVersion), over probe jobs the fake answers.
    const e = await engineOver({}, (session) => sparkProbes(session));
    const { session, events } = e;
    session.probeAnswer = (ver) => new SparkConnectError(`[PYTHON_VERSION_MISMATCH] Python in worker has a different version than ${ver}.`, { errorClass: "PYTHON_VERSION_MISMATCH" });

    const err = (await jobWithUdf(session).catch((x: unknown) => x)) as SparkConnectError;
    expect(err).toBeInstanceOf(SparkConnectError);
    expect(err.errorClass).toBe("PYTHON_VERSION_UNKNOWN");
    expect(err.message).toContain("tried 3.12, 3.11, 3.10, 3.13, 3.9, 3.14");
    expect(err.fix).toContain('withAutoBundle(spark, { pythonVersion: "3.11" })');
    expect(err.fix).toContain(`${PYTHON_VERSION_ENV}=3.11`);
    expect((err.cause as SparkConnectError).errorClass).toBe("PYTHON_VERSION_MISMATCH"); // the last probe's own error
    expect(session.probes).toHaveLength(6);
    expect(session.jobs).toEqual([]); // the job itself never ran
    expect(events.some((x) => x.type === "python-version")).toBe(false);

    // The failure is not remembered: the next job probes again, and now a worker accepts 3.10.
    session.probeAnswer = (ver) => (ver === "3.10" ? "3.10.14" : new SparkConnectError(`worker runs 3.10, not ${ver}`));
    const udf = await jobWithUdf(session);
    expect(udf.pythonVer).toBe("3.10");
    expect(session.probes.slice(6)).toEqual(["3.12", "3.11", "3.10"]);
    expect(session.jobs).toHaveLength(1);
    expect(events).toContainEqual({ type: "python-version", version: "3.10" });
    expectRunnable(e, udf);

    // Found once, it is kept: no more probe jobs.
    await jobWithUdf(session);
    expect(session.probes).toHaveLength(9);
  });
});
