// JVM code on a real server: a jar rebuilt while a session is open. Spark's session class loader
// keeps every jar the session was ever sent, in the order sent, and has no way to drop one, so the
// old classes would keep winning (issue 21 reproduced v1 after the rebuild). The engine must move to
// a new server-side session instead, or refuse with one clear error when that would lose state.
import { afterEach, describe, expect, inject, it } from "vitest";
import { autoBundleOf, lit, SparkConnectError, SparkSession, withAutoBundle, type AutoBundleEvent } from "../../src/index.js";
import { buildShoutJar, sparkJarsDir } from "../helpers/java-udf.js";
import { onSpark35 } from "../helpers/spark-line.js";
import { copyFixture, tempDir } from "./helpers.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function jarSession(root: string, events: AutoBundleEvent[]) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), {
    root,
    cacheDir: tempDir("sab-cache-"),
    jars: ["target/*.jar"],
    onEvent: (e) => events.push(e),
  });
  sessions.push(s);
  return s;
}

describe("a rebuilt jar in an open session", () => {
  const jars = () => sparkJarsDir(inject("sparkPython"));

  it("runs the new classes on the next job: Java UDFs old and new, SQL and Python alike", async () => {
    const root = copyFixture("srclayout");
    buildShoutJar(root, jars(), "!v1");
    const events: AutoBundleEvent[] = [];
    const s = await jarSession(root, events);
    await s.conf.set("spark.sql.shuffle.partitions", "7");
    const normalize = s.udf.python("textkit.text:normalize", "string");
    const shout = await s.udf.java("shout", "acme.Shout", "string");
    const [before] = await s.range(1).select(shout(lit("hey")).alias("v"), normalize(lit("  A  ")).alias("n")).collect();
    expect(before).toEqual({ v: "HEY!v1", n: "a" });
    expect(autoBundleOf(s)!.counters.artifacts).toBe(2); // the bundle and the jar
    const firstSession = s.sessionId;

    buildShoutJar(root, jars(), "!v2");
    const shout2 = await s.udf.java("shout2", "acme.Shout", "string");
    const [after] = await s.range(1).select(shout2(lit("hey")).alias("v"), shout(lit("ho")).alias("w"), normalize(lit("  B  ")).alias("n")).collect();
    // Before the fix: { v: "HEY!v1", w: "HO!v1" }: the first jar's classes, silently.
    expect(after).toEqual({ v: "HEY!v2", w: "HO!v2", n: "b" });
    const [sql] = await (await s.sql("SELECT shout('sql') AS v")).collect();
    expect(sql!.v).toBe("SQL!v2");
    // Runtime config set through spark.conf came along; the session id is new and reported.
    expect(await s.conf.get("spark.sql.shuffle.partitions")).toBe("7");
    expect(s.sessionId).not.toBe(firstSession);
    const renewed = events.filter((e) => e.type === "jar-changed");
    expect(renewed).toEqual([expect.objectContaining({ type: "jar-changed", jars: ["target/shout.jar"], previousSessionId: firstSession, sessionId: s.sessionId })]);

    // Unchanged jars: no further renewal, nothing uploaded again.
    const uploads = autoBundleOf(s)!.counters.uploads;
    await s.range(1).select(shout(lit("x")).alias("v")).collect();
    expect(events.filter((e) => e.type === "jar-changed")).toHaveLength(1);
    expect(autoBundleOf(s)!.counters.uploads).toBe(uploads);
  });

  // The refusal is the client's own decision (the same on every line): checked once, on 4.x.
  it.skipIf(onSpark35)("refuses with one clear error, naming the jar, when the session holds a temporary view", async () => {
    const root = copyFixture("srclayout");
    buildShoutJar(root, jars(), "!v1");
    const events: AutoBundleEvent[] = [];
    const s = await jarSession(root, events);
    const shout = await s.udf.java("shout", "acme.Shout", "string");
    await s.range(3).createOrReplaceTempView("nums");
    const firstSession = s.sessionId;

    buildShoutJar(root, jars(), "!v2");
    const err = await s.range(1).select(shout(lit("hey")).alias("v")).collect().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    const e = err as SparkConnectError;
    expect(e.errorClass).toBe("JAR_CHANGED");
    expect(e.message).toContain("target/shout.jar");
    expect(e.message).toMatch(/JVM classes can't be replaced inside a running Spark session/);
    expect(e.message).toContain('temporary view "nums"');
    expect(e.fix).toMatch(/new SparkSession/);
    // Nothing moved: the session (and its view) is the one in use.
    expect(s.sessionId).toBe(firstSession);
    // Still refused on the next job (never the old classes), until the user acts.
    const again = await s.range(1).select(shout(lit("hey")).alias("v")).collect().then(() => undefined, (x: unknown) => x);
    expect((again as SparkConnectError).errorClass).toBe("JAR_CHANGED");
  });
});
