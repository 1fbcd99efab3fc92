// The smoke set of every Spark line that is neither the default (the full suite runs there) nor 3.5 (its
// own project): a real embedded server of that line, started by the product's own code, runs the client
// core, the auto-bundle loop with an edit and a deletion, a dependency pin change, a pandas UDF and a
// Python data source. One auto-bundled session per line carries all of it: each new session starts a
// Python daemon, and CI has minutes, not hours (issue 23).
//
// Lines run one after another; the next line's server starts while this line's smoke runs, so its JVM
// start (~15-20 s) overlaps Spark jobs rather than adding to them.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { arrow_udf, col, count, lit, SparkConnectError, SparkSession, sum, withAutoBundle, type AutoBundleEvent } from "../../src/index.js";
import { ensureLocalServer, stopLocalServer, type LocalServer, type SparkLine } from "../../src/server/index.js";
import { addArtifacts, artifactRequests } from "../../src/connect/rpc/artifacts.js";
import { copyFixture, tempDir } from "../bundle/helpers.js";
import { useWheelhouse } from "../helpers/wheelhouse.js";

// The pin change resolves humanize 4.12.3, then 4.11.0, from the shared test wheelhouse, not PyPI.
useWheelhouse();

const lines = inject("smokeLines") as SparkLine[];
const starting = new Map<SparkLine, Promise<LocalServer>>();
const start = (line: SparkLine) => {
  let pending = starting.get(line);
  if (!pending) {
    // Without the wheelhouse's PIP_NO_INDEX/PIP_FIND_LINKS: a line provisioned here installs pyspark from PyPI.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PIP_")));
    pending = ensureLocalServer({ spark: line, env, onProgress: () => undefined });
    // Awaited by that line's beforeAll, which reports a failure; never an unhandled rejection here.
    pending.catch(() => undefined);
    starting.set(line, pending);
  }
  return pending;
};

function write(root: string, rel: string, text: string) {
  writeFileSync(join(root, rel), text);
}

describe.each(lines.map((line, i) => ({ line, next: lines[i + 1] })))("Spark $line smoke", ({ line, next }) => {
  let server: LocalServer;
  let spark: SparkSession;
  let root: string;
  const events: AutoBundleEvent[] = [];

  beforeAll(async () => {
    server = await start(line);
    if (next) void start(next);
    root = copyFixture("vectorlib");
    write(root, "vectorlib/smoke.py", 'def shout(s):\n    return s.upper() + "!"\n');
    write(root, "vectorlib/extra.py", 'def tag(_):\n    return "extra"\n');
    write(root, "vectorlib/hv.py", "def hv(_):\n    import humanize\n    return humanize.__version__\n");
    pinHumanize(root, "4.12.3");
    spark = withAutoBundle(await SparkSession.builder().remote(server.url).create(), { root, cacheDir: tempDir("sab-cache-"), onEvent: (e) => events.push(e) });
  });

  afterAll(async () => {
    await spark?.stop();
    if (server && !server.reused && process.env.SPARK_AUTOBUNDLE_KEEP_SERVER !== "1") await stopLocalServer({ spark: line, pid: server.pid });
  });

  it("runs the line's pinned Spark, with the Python its workers state", async () => {
    expect(server.spark).toBe(line);
    expect(spark.version.startsWith(`${line}.`)).toBe(true);
    expect(server.pythonVersion).toMatch(/^3\.\d+$/);
  });

  it("client core: createDataFrame, SQL, a join, an aggregate, and an error class from the server", async () => {
    const people = spark.createDataFrame(
      [
        { id: 1, name: "ada", team: "a" },
        { id: 2, name: "bob", team: "b" },
        { id: 3, name: "cy", team: "a" },
      ],
      "id int, name string, team string",
    );
    const teams = await spark.sql("SELECT * FROM VALUES ('a', 'Alpha'), ('b', 'Beta') AS t(team, label)");
    const rows = await people
      .join(teams, "team")
      .groupBy("label")
      .agg(count(lit(1)).alias("n"), sum(col("id")).alias("ids"))
      .orderBy("label")
      .collect();
    expect(rows.map((r) => [r.label, r.n, r.ids])).toEqual([
      ["Alpha", 2n, 4n],
      ["Beta", 1n, 2n],
    ]);
    const err = await people.select(col("nope")).collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkConnectError);
    expect((err as SparkConnectError).errorClass).toMatch(/^UNRESOLVED_COLUMN/);
  });

  it("the protocol facts the design rests on: an artifact name takes no other bytes, each chunk's CRC is checked", async () => {
    const dir = tempDir("sab-facts-");
    const [one, two] = [join(dir, "one.bin"), join(dir, "two.bin")];
    writeFileSync(one, "first bytes\n");
    writeFileSync(two, "other bytes\n");
    const name = `files/sab-fact-${randomUUID()}.txt`;
    await addArtifacts(spark.client, [{ name, path: one }]);
    await addArtifacts(spark.client, [{ name, path: one }]); // the same bytes again: accepted on 4.x (3.5 refuses)
    await expect(addArtifacts(spark.client, [{ name, path: two }])).rejects.toMatchObject({ errorClass: "ARTIFACT_ALREADY_EXISTS" });

    const big = join(dir, "crc.zip");
    writeFileSync(big, randomBytes(100_000));
    const requests = [...artifactRequests([{ name: `pyfiles/crc-${randomUUID()}.zip`, path: big }], 32 * 1024)];
    const second = requests[2]!.payload!.value as { crc: bigint };
    second.crc = (second.crc + 1n) % 2n ** 32n;
    expect((await spark.client.addArtifacts(requests)).artifacts.map((x) => x.isCrcSuccessful)).toEqual([false]);
  });

  it("auto-bundle loop: an edit runs on the next job, a deleted module is gone from the workers", async () => {
    const shout = spark.udf.python("vectorlib.smoke:shout", "string");
    const tag = spark.udf.python("vectorlib.extra:tag", "string");
    const both = async () => (await spark.range(1).select(shout(lit("hi")).alias("s"), tag(lit(0)).alias("t")).collect())[0];
    expect(await both()).toMatchObject({ s: "HI!", t: "extra" });

    write(root, "vectorlib/smoke.py", 'def shout(s):\n    return s.upper() + "?"\n');
    const [edited] = await spark.range(1).select(shout(lit("hi")).alias("s")).collect();
    expect(edited?.s).toBe("HI?");

    rmSync(join(root, "vectorlib/extra.py"));
    const gone = await spark.range(1).select(tag(lit(0))).collect().catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(SparkConnectError);
    expect((gone as Error).message).toMatch(/No module named 'vectorlib\.extra'/);
  });

  it("a dependency pin change: the same session's workers import the new version", async () => {
    const hv = spark.udf.python("vectorlib.hv:hv", "string");
    const versions = async () => new Set((await spark.range(0, 4, 1, 2).select(hv(lit(0)).alias("v")).collect()).map((r) => r.v));
    expect(await versions()).toEqual(new Set(["4.12.3"]));
    pinHumanize(root, "4.11.0");
    expect(await versions()).toEqual(new Set(["4.11.0"]));
    const shipped = events.flatMap((e) => (e.type === "deps" ? e.shipped : []));
    expect(shipped).toEqual(expect.arrayContaining(["humanize==4.12.3", "humanize==4.11.0"]));
  });

  it("a pandas UDF, an arrow UDF (4.1+) and a Python data source, all from the project", async () => {
    const withVat = spark.udf.pandas("vectorlib.prices:with_vat", "double");
    const priced = await spark.range(0, 3).select(withVat(col("id").cast("double").multiply(lit(100))).alias("gross")).collect();
    expect(priced.map((r) => r.gross)).toEqual([0, 121, 242]);

    // arrow_udf is a Spark 4.1 kind: 4.0 would fail planning with an INTERNAL_ERROR, so it is refused before sending.
    const plusOne = arrow_udf("vectorlib.batches:plus_one", "double");
    const arrowed = spark.range(0, 2).select(plusOne(col("id").cast("double")).alias("v")).collect();
    if (line === "4.0") await expect(arrowed).rejects.toMatchObject({ errorClass: "UNSUPPORTED_BY_SERVER_VERSION" });
    else expect((await arrowed).map((r) => r.v)).toEqual([1, 2]);

    expect(await spark.dataSource.register("vectorlib.sources:Greetings")).toBe("greetings");
    const greetings = await spark.read.format("greetings").option("count", "2").load().collect();
    expect(greetings.map((r) => `${r.id}:${r.text}`).sort()).toEqual(["0:hello 0", "1:hello 1"]);
  });
});

/** vectorlib declares its dependencies in pyproject.toml: here humanize at `version` only (pandas and pyarrow are the server's). */
function pinHumanize(root: string, version: string) {
  const file = join(root, "pyproject.toml");
  const text = readFileSync(file, "utf8").replace(/dependencies = \[.*\]/, `dependencies = ["humanize==${version}"]`);
  writeFileSync(file, text);
}
