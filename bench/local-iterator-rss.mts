// Peak RSS while streaming spark.range(10_000_000) through toLocalIterator (rows decoded batch by batch).
// Usage: npx tsx bench/local-iterator-rss.mts   (SPARK_REMOTE=sc://... for a running server; else the embedded one)
// Pass "collect" to measure collect() of the same rows afterwards (needs a few GiB).
import { SparkSession } from "../src/index.js";
const spark = await SparkSession.builder().remote(process.env.SPARK_REMOTE ?? "local").create();
let peak = 0;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const timer = setInterval(sample, 20);
const before = process.memoryUsage().rss;
const t0 = Date.now();
let n = 0, sum = 0n;
for await (const row of spark.range(10_000_000).toLocalIterator()) {
  n++; sum += row.id as bigint;
  if ((n & 0xffff) === 0) sample();
}
clearInterval(timer); sample();
console.log(JSON.stringify({ rows: n, sumOk: sum === 49999995000000n, rssBeforeMiB: Math.round(before / 2 ** 20), peakRssMiB: Math.round(peak / 2 ** 20), seconds: (Date.now() - t0) / 1000 }));
if (process.argv[2] === "collect") {
  peak = 0; const t = setInterval(sample, 20);
  const rows = await spark.range(10_000_000).collect();
  clearInterval(t); sample();
  console.log(JSON.stringify({ collectRows: rows.length, collectPeakRssMiB: Math.round(peak / 2 ** 20) }));
}
await spark.stop();
