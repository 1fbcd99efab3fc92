// Integration: Python data sources by reference (Spark 4.0+), on a real Spark Connect server.
// Projects are temp copies of fixtures/vectorlib, so tests can edit its modules.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { onSpark35 } from "../helpers/spark-line.js";
import { SparkConnectError, SparkSession, withAutoBundle } from "../../src/index.js";
import { copyFixture, tempDir } from "./helpers.js";

const sessions: SparkSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function session(root: string) {
  const s = withAutoBundle(await SparkSession.builder().remote(inject("sparkRemote")).create(), { root, cacheDir: tempDir("sab-cache-") });
  sessions.push(s);
  return s;
}

// Tests that don't edit the project share one session: each new session starts a Python daemon (~5 s a
// session in CI). The edit test gets its own.
let shared: Promise<SparkSession> | undefined;
const sharedSession = () => (shared ??= SparkSession.builder().remote(inject("sparkRemote")).create().then((s) => withAutoBundle(s, { root: copyFixture("vectorlib"), cacheDir: tempDir("sab-cache-") })));
afterAll(async () => {
  await (await shared)?.stop();
});

const read = async (s: SparkSession, name: string, count: number) =>
  (await s.read.format(name).option("count", String(count)).load().collect()).map((r) => `${r.id}:${r.text}`).sort();


describe.runIf(onSpark35)("spark.dataSource.register on Spark 3.5", () => {
  it("refuses before sending anything, naming the version it needs", async () => {
    const s = await session(copyFixture("vectorlib"));
    const err = await s.dataSource.register("vectorlib.sources:Greetings").catch((e: unknown) => e);
    expect(err).toMatchObject({ errorClass: "UNSUPPORTED_BY_SERVER_VERSION" });
    expect((err as Error).message).toContain("Spark 4.0+");
    expect((err as Error).message).toContain(`Spark ${inject("sparkVersion")}`);
  });
});

describe.skipIf(onSpark35)("spark.dataSource.register by reference", () => {
  it("registers under the class's own name() and reads its rows", async () => {
    const s = await sharedSession();
    expect(await s.dataSource.register("vectorlib.sources:Greetings")).toBe("greetings");
    expect(await read(s, "greetings", 3)).toEqual(["0:hello 0", "1:hello 1", "2:hello 2"]);
  });

  it("reads the edited code on the next job, without registering again by hand", async () => {
    const root = copyFixture("vectorlib");
    const s = await session(root);
    await s.dataSource.register("vectorlib.sources:Greetings");
    expect(await read(s, "greetings", 2)).toEqual(["0:hello 0", "1:hello 1"]);
    const file = join(root, "vectorlib/sources.py");
    writeFileSync(file, readFileSync(file, "utf8").replace('GREETING = "hello"', 'GREETING = "hi"'));
    expect(await read(s, "greetings", 2)).toEqual(["0:hi 0", "1:hi 1"]);
  });

  it("takes the inherited name() (the class name) when the class has none of its own", async () => {
    const s = await sharedSession();
    expect(await s.dataSource.register("vectorlib.sources:Unnamed")).toBe("Unnamed");
    expect(await read(s, "Unnamed", 5)).toEqual(["0:hello 0"]);
  });

  it("names the reference when the class is missing", async () => {
    const s = await sharedSession();
    const err = await s.dataSource.register("vectorlib.sources:Nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as Error).message).toContain("Nope");
  });

  it("needs withAutoBundle", async () => {
    const plain = await SparkSession.builder().remote(inject("sparkRemote")).create();
    sessions.push(plain);
    const err = await plain.dataSource.register("vectorlib.sources:Greetings").catch((e: unknown) => e);
    expect((err as SparkConnectError).errorClass).toBe("AUTOBUNDLE_NOT_ENABLED");
  });
});
