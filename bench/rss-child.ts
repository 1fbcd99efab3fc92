// Child process for benchmark f: bundles one tree into a fresh cache dir and reports its peak RSS.
// Usage: rss-child.ts <root> <cacheDir>
//   → prints {"maxRssBytes": n, "archiveBytes": n, "stages": {"imported": n, "scanned": n}}
import { buildBundle } from "../src/bundle/archive/build.js";
import { LIMITS } from "./context.js";

/** maxRSS is in KiB and covers the whole process, worker threads included. */
const peakBytes = () => process.resourceUsage().maxRSS * 1024;

const [root, cacheDir] = process.argv.slice(2);
if (!root || !cacheDir) throw new Error("usage: rss-child.ts <root> <cacheDir>");
// Peak so far at each stage: where the memory goes (runtime, selection + hashing, then zipping).
const stages = { imported: peakBytes(), scanned: 0 };
const bundle = await buildBundle({
  root,
  cacheDir,
  ...LIMITS,
  onEvent: (event) => {
    if (event.type === "scan") stages.scanned = peakBytes(); // files selected and hashed, nothing zipped yet
  },
});
console.log(JSON.stringify({ maxRssBytes: peakBytes(), archiveBytes: bundle.bytes, stages }));
