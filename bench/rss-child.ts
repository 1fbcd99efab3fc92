// Child process for benchmark f: bundles one tree into a fresh cache dir and reports its peak RSS.
// Usage: rss-child.ts <root> <cacheDir>   → prints {"maxRssBytes": n, "archiveBytes": n}
import { buildBundle } from "../src/bundle/build.js";
import { LIMITS } from "./context.js";

const [root, cacheDir] = process.argv.slice(2);
if (!root || !cacheDir) throw new Error("usage: rss-child.ts <root> <cacheDir>");
const bundle = await buildBundle({ root, cacheDir, ...LIMITS });
// maxRSS is in KiB and covers the whole process, worker threads included.
console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, archiveBytes: bundle.bytes }));
