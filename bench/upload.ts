// d. Upload throughput of one archive to the embedded server vs pyspark's spark.addArtifacts.
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { addArtifacts } from "../src/connect/rpc/artifacts.js";
import { SparkSession } from "../src/index.js";
import { freshDir, type BenchContext } from "./context.js";
import { interleaved, run, timed } from "./measure.js";
import { contender, errorRow, makeRow, type Row } from "./report.js";
import { randomStream } from "./tree.js";

/** An archive of `bytes` incompressible bytes (stored), so its size on the wire is what was asked. */
async function makeArchive(dir: string, bytes: number): Promise<string> {
  const blob = join(dir, "blob.bin");
  await pipeline(Readable.from(randomStream(bytes, 7)), createWriteStream(blob));
  const archive = join(dir, "upload.zip");
  await run("zip", ["-q", "-0", "-j", archive, blob]);
  return archive;
}

export async function uploadRows(ctx: BenchContext): Promise<Row[]> {
  const megabytes = ctx.quick ? 10 : 50;
  const title = `upload a ${megabytes} MB archive`;
  try {
    const archive = await makeArchive(freshDir(ctx, "upload-"), megabytes * 1e6);
    const size = statSync(archive).size;
    // As the engine uploads: every byte checked against the archive's SHA-256 while it streams.
    const sha256 = createHash("sha256").update(readFileSync(archive)).digest("hex");
    const server = await ctx.server();
    const pyspark = await ctx.pyspark();
    const spark = await SparkSession.builder().remote(server.url).create();
    const mbPerSecond = (ms: number) => size / 1e6 / (ms / 1000);
    try {
      const samples = await interleaved(ctx.plan, {
        ours: async () => mbPerSecond(await timed(() => addArtifacts(spark.client, [{ name: `pyfiles/bench-${randomUUID()}.zip`, path: archive, sha256 }]))),
        pyspark: async () => mbPerSecond((await pyspark.request({ cmd: "add", path: archive })).ms as number),
      });
      return [
        makeRow({ id: "d.upload", section: "d", title, unit: "MB/s", better: "higher", ours: contender("spark-autobundle", samples.ours), rival: contender("pyspark addArtifacts", samples.pyspark), targetRatio: 2 }),
      ];
    } finally {
      await spark.stop();
    }
  } catch (err) {
    return [errorRow("d.upload", "d", title, err)];
  }
}
