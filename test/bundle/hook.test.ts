// The session engine's decisions without Spark: real project trees, hashing, zips and cache; only the
// session is fake (test/helpers/fake-bundle-session.ts), so every RPC the engine makes is recorded.
import { createHash } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { PlanSchema, type Plan } from "../../src/gen/spark/connect/base_pb.js";
import type { CommonInlineUserDefinedFunction } from "../../src/gen/spark/connect/expressions_pb.js";
import { col } from "../../src/connect/sql/column/column.js";
import { installAutoBundle, type AutoBundle, type AutoBundleEvent, type AutoBundleOptions } from "../../src/bundle/hook.js";
import { overlayId, pyfileArtifact } from "../../src/bundle/overlay.js";
import { loaderModuleName } from "../../src/bundle/worker/loader.js";
import { RACY_WINDOW_MS } from "../../src/bundle/watch/freshness.js";
import type { DepsResolution } from "../../src/bundle/deps/resolve.js";
import { FakeBundleSession, FakeDeps, fakeProbes } from "../helpers/fake-bundle-session.js";
import { sleep, until } from "./watch/helpers.js";
import { makeTree, tempDir } from "./helpers.js";

const PROJECT = {
  "pyproject.toml": '[project]\nname = "textkit"\n',
  "textkit/__init__.py": "",
  "textkit/text.py": "def shout(s):\n    return s.upper()\n",
  // Enough bytes that a one-line edit elsewhere stays under the overlay threshold.
  "textkit/big.py": "def noop():\n    return None\n" + "# filler line for a realistic module size\n".repeat(100),
};

interface Engine {
  session: FakeBundleSession;
  engine: AutoBundle;
  events: AutoBundleEvent[];
  root: string;
}

/** An engine on a fake session over a fresh copy of `files`, old enough for the stat fingerprint to vouch for it. */
async function engineOver(files: Record<string, string>, options: AutoBundleOptions = {}, deps?: FakeDeps): Promise<Engine> {
  const root = makeTree(files);
  const session = new FakeBundleSession();
  const events: AutoBundleEvent[] = [];
  const engine = installAutoBundle(
    session,
    { root, cacheDir: tempDir("sab-hook-cache-"), pythonVersion: "3.11", dependencies: false, watch: false, onEvent: (e) => events.push(e), ...options },
    fakeProbes(deps),
  );
  // Files written within the racy window are never vouched for: without this, every job would rebuild.
  await sleep(RACY_WINDOW_MS + 100);
  return { session, engine, events, root };
}

/** A job whose plan calls textkit.text:shout by reference; returns the UDF message the hook fills. */
async function jobWithUdf(session: FakeBundleSession): Promise<{ command: Uint8Array; pythonVer: string }> {
  const shout = session.udf.python("textkit.text:shout", "string");
  const expr = shout(col("name")).expr;
  const plan: Plan = create(PlanSchema, { opType: { case: "root", value: { relType: { case: "project", value: { expressions: [expr] } } } } });
  await session.runJob(plan);
  return udfOf(expr.exprType.value as CommonInlineUserDefinedFunction);
}

function udfOf(fn: CommonInlineUserDefinedFunction): { command: Uint8Array; pythonVer: string } {
  if (fn.function.case !== "pythonUdf") throw new Error(`expected a Python UDF, got ${fn.function.case}`);
  return fn.function.value;
}

/** The UDF messages of the registration commands the engine ran itself. */
function registrations(session: FakeBundleSession): Array<{ name: string; command: Uint8Array }> {
  return session.executedWithoutHooks.map((plan) => {
    if (plan.opType.case !== "command" || plan.opType.value.commandType.case !== "registerFunction") throw new Error("expected a registerFunction command");
    const fn = plan.opType.value.commandType.value;
    return { name: fn.functionName, command: udfOf(fn).command };
  });
}

/** Pickled commands name their loader module in plain text. */
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

describe("AutoBundle on a fake session", () => {
  it("runs an unchanged project's next job with no RPC at all, and says it is up to date", async () => {
    const { session, engine, events } = await engineOver(PROJECT);
    await session.udf.register("shout", session.udf.python("textkit.text:shout", "string"));
    const bundle = engine.current!;
    expect(session.uploaded).toEqual([pyfileArtifact("textkit", bundle.hash12)]);
    const [rpcs, syncs, seen] = [session.rpcs, engine.syncStats.syncs, events.length];

    const { command } = await jobWithUdf(session);
    expect(session.rpcs).toBe(rpcs); // no upload, no held-marker check, no re-registration
    expect(engine.syncStats.syncs).toBe(syncs); // not even a rebuild: the stat fingerprint vouched for the tree
    expect(events.slice(seen)).toEqual([{ type: "up-to-date", hash: bundle.hash }]);
    expect(text(command)).toContain(loaderModuleName(bundle.hash12));
  });

  it("ships a small edit as an overlay on the held base, and points UDFs at the overlay's loader", async () => {
    const { session, engine, events, root } = await engineOver(PROJECT);
    await jobWithUdf(session);
    const base = engine.current!;
    expect(session.uploads).toEqual([[pyfileArtifact("textkit", base.hash12)]]);

    writeFileSync(join(root, "textkit/text.py"), "def shout(s):\n    return s.upper() + '!'\n");
    const udf = await jobWithUdf(session);
    const version = engine.current!;
    expect(version.hash).not.toBe(base.hash);
    const id = overlayId(base.hash, version.hash);
    // Only the overlay travels: the base is held already.
    expect(session.uploads.slice(1)).toEqual([[pyfileArtifact("textkit", id)]]);
    expect(events).toContainEqual({ type: "overlay", hash: version.hash, base: base.hash, artifact: pyfileArtifact("textkit", id), changed: 1, deleted: 0 });
    expect(text(udf.command)).toContain(loaderModuleName(id));
    expect(text(udf.command)).not.toContain(loaderModuleName(version.hash12));
    expect(udf.pythonVer).toBe("3.11");
  });

  it("after a session change uploads the full bundle again and registers SQL UDFs again", async () => {
    const { session, engine, root } = await engineOver(PROJECT);
    await session.udf.register("shout", session.udf.python("textkit.text:shout", "string"));
    const v1 = engine.current!;
    expect(registrations(session)).toEqual([]); // registered by the job itself, after the sync

    // A small edit, then the server restarts: its new session holds neither the base nor anything else.
    writeFileSync(join(root, "textkit/text.py"), "def shout(s):\n    return s.upper() + '?'\n");
    session.changeSession();
    await jobWithUdf(session);
    const v2 = engine.current!;
    expect(v2.hash).not.toBe(v1.hash);
    // The full archive of v2, not an overlay on a base the new session lacks.
    expect(session.uploads.slice(1)).toEqual([[pyfileArtifact("textkit", v2.hash12)]]);
    expect(v2.overlay).toBeUndefined();
    const again = registrations(session);
    expect(again.map((r) => r.name)).toEqual(["shout"]);
    expect(text(again[0]!.command)).toContain(loaderModuleName(v2.hash12));

    // An unchanged tree after another change: the same full artifact is sent again.
    session.changeSession();
    await jobWithUdf(session);
    expect(session.uploads.slice(2)).toEqual([[pyfileArtifact("textkit", v2.hash12)]]);
    expect(registrations(session).map((r) => r.name)).toEqual(["shout", "shout"]);
  });

  it("registers SQL UDFs again when only the dependency artifacts change", async () => {
    const dir = tempDir("sab-hook-deps-");
    // Named by their bytes' SHA-256, as real deps zips are (the upload checks the bytes against the name).
    const resolution = (version: string): DepsResolution => {
      const content = `deps ${version}`;
      const id = createHash("sha256").update(content).digest("hex").slice(0, 12);
      const zipPath = join(dir, `sab-deps-${id}.zip`);
      writeFileSync(zipPath, content);
      return { key: id, zipPath, artifact: `pyfiles/sab-deps-${id}.zip`, packages: [{ name: "humanize", version, shipped: true }] as DepsResolution["packages"], resolvedNow: true };
    };
    const deps = new FakeDeps();
    const [a, b] = [resolution("1"), resolution("2")];
    deps.resolution = a;
    const files = { ...PROJECT, "deps/requirements.txt": "humanize==1\n" };
    const { session, engine, root } = await engineOver(files, { dependencies: { requirements: ["deps/requirements.txt"] } }, deps);
    await session.udf.register("shout", session.udf.python("textkit.text:shout", "string"));
    const bundle = engine.current!;
    expect(session.uploaded).toEqual([pyfileArtifact("textkit", bundle.hash12), a.artifact]);

    // Editing the requirements is a change the engine sees; the new resolution has another artifact.
    writeFileSync(join(root, "deps/requirements.txt"), "humanize==2\n");
    deps.resolution = b;
    const udf = await jobWithUdf(session);
    expect(engine.current!.hash).toBe(bundle.hash); // the project's code did not change
    expect(session.uploads.slice(1)).toEqual([[b.artifact]]);
    expect(text(udf.command)).toContain(b.artifact!.slice("pyfiles/".length));
    // The registered UDF's command named the old deps zip: it is registered again, naming the new one.
    const again = registrations(session);
    expect(again.map((r) => r.name)).toEqual(["shout"]);
    expect(text(again[0]!.command)).toContain(b.artifact!.slice("pyfiles/".length));
  });

  it("reads the root's package.json again for each build, and reports each build warning once per engine", async () => {
    const { session, engine, events, root } = await engineOver({ ...PROJECT, "textkit/.env": "TOKEN=x\n" });
    await jobWithUdf(session);
    const warnings = () => events.filter((e) => e.type === "warning");
    expect(warnings()).toEqual([expect.objectContaining({ code: "secret-skipped", path: "textkit/.env" })]);
    expect(engine.current!.hashedFiles.map((f) => f.zipPath)).toContain("textkit/big.py");

    // Settings edited mid-session reach the next build; the same skipped secret is not news again.
    writeFileSync(join(root, "package.json"), JSON.stringify({ sparkAutobundle: { exclude: ["textkit/big.py"] } }));
    await jobWithUdf(session);
    expect(engine.current!.hashedFiles.map((f) => f.zipPath)).toEqual(["textkit/__init__.py", "textkit/text.py"]);
    expect(engine.current!.warnings).toHaveLength(1); // each build's result still lists its own warnings
    expect(warnings()).toHaveLength(1);
  });

  it("does not count a sync as current when the session changed while it ran", async () => {
    const { session, engine, events } = await engineOver(PROJECT);
    // The held-marker check is the sync's first RPC; its answer comes from a restarted server.
    session.onNextStatusCheck = () => session.changeSession();
    await jobWithUdf(session);
    expect(session.statusChecks).toHaveLength(1);
    const [syncs, seen] = [engine.syncStats.syncs, events.length];

    // Nothing changed on disk, but the sync began in the old session: the next job checks again.
    await jobWithUdf(session);
    expect(engine.syncStats.syncs).toBe(syncs + 1);
    expect(events.slice(seen).map((e) => e.type)).toContain("scan");

    // That sync began in the current session: from now on the fast path holds.
    await jobWithUdf(session);
    expect(engine.syncStats.syncs).toBe(syncs + 1);
  });

  it("moves to a new server-side session when a held jar is rebuilt or removed, never for an unchanged or added one", async () => {
    const { session, engine, events, root } = await engineOver(
      { ...PROJECT, "target/a.jar": "jar a v1", "package.json": JSON.stringify({ sparkAutobundle: { jars: ["target/*.jar"] } }) },
    );
    await session.runJob(create(PlanSchema, {}));
    const firstJar = session.uploaded.find((n) => n.startsWith("jars/a-"))!;
    expect(firstJar).toBeDefined(); // package.json's jars count, like the option's
    const first = session.sessionId;

    // Added: appended to the same session (its classes can't shadow anything already loaded).
    writeFileSync(join(root, "target/b.jar"), "jar b v1");
    await session.runJob(create(PlanSchema, {}));
    expect(session.sessionId).toBe(first);
    expect(events.filter((e) => e.type === "jar-changed")).toEqual([]);

    // Rebuilt: a new session, sent the bundle and only the current jars.
    writeFileSync(join(root, "target/a.jar"), "jar a v2, longer");
    const before = session.uploads.length;
    await session.runJob(create(PlanSchema, {}));
    expect(session.sessionId).not.toBe(first);
    const resent = session.uploads.slice(before).flat();
    expect(resent.filter((n) => n.startsWith("jars/")).sort()).toEqual([expect.stringMatching(/^jars\/a-/), expect.stringMatching(/^jars\/b-/)]);
    expect(resent).not.toContain(firstJar);
    expect(resent).toContain(pyfileArtifact("textkit", engine.current!.hash12));
    expect(events.filter((e) => e.type === "jar-changed")).toEqual([{ type: "jar-changed", jars: ["target/a.jar"], previousSessionId: first, sessionId: session.sessionId }]);

    // Unchanged: no move, no RPC.
    const [rpcs, second] = [session.rpcs, session.sessionId];
    await session.runJob(create(PlanSchema, {}));
    expect([session.sessionId, session.rpcs]).toEqual([second, rpcs]);

    // Removed: its classes would still be served, so a new session too.
    rmSync(join(root, "target/b.jar"));
    await session.runJob(create(PlanSchema, {}));
    expect(session.sessionId).not.toBe(second);
    expect(events.filter((e) => e.type === "jar-changed").at(-1)).toMatchObject({ jars: ["target/b.jar"] });
  });

  it("fails the job with the session's refusal when it can't move, and keeps failing until the user acts", async () => {
    const { session, root } = await engineOver({ ...PROJECT, "target/a.jar": "jar a v1" }, { jars: ["target/*.jar"] });
    await session.runJob(create(PlanSchema, {}));
    session.moveBlockedBy = 'temporary view "v"';
    writeFileSync(join(root, "target/a.jar"), "jar a v2, longer");
    const jobs = session.jobs.length;
    for (let i = 0; i < 2; i++) {
      const err = await session.runJob(create(PlanSchema, {})).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ errorClass: "JAR_CHANGED", message: expect.stringContaining("target/a.jar") });
      expect((err as Error).message).toMatch(/JVM classes can't be replaced inside a running Spark session/);
    }
    expect(session.jobs.length).toBe(jobs); // neither ran on the old classes
    expect(session.sessionId).toBe("client-session-1");
  });

  it("in watch mode, a rebuilt jar the session can't move for is a watch-error naming it, before any job", async () => {
    const { session, engine, events, root } = await engineOver({ ...PROJECT, "target/a.jar": "jar a v1" }, { jars: ["target/*.jar"], watch: true });
    try {
      await session.runJob(create(PlanSchema, {}));
      session.moveBlockedBy = "its pinned session id";
      writeFileSync(join(root, "target/a.jar"), "jar a v2, longer");
      await until(() => events.some((e) => e.type === "watch-error"), "a watch-error for the rebuilt jar");
      const error = events.find((e): e is Extract<AutoBundleEvent, { type: "watch-error" }> => e.type === "watch-error")!;
      expect(error.line).toContain("target/a.jar");
      expect(error.error).toMatchObject({ errorClass: "JAR_CHANGED" });
    } finally {
      await engine.close();
    }
  });
});
