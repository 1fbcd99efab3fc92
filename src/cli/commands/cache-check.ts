// `doctor`'s look at the bundle cache: reads only, never repairs (the next build does that).
import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { access, readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { DEFAULT_CACHE_MAX_BYTES } from "../../bundle/archive/cache.js";
import { formatBytes } from "../../shared/bytes.js";
import type { CheckResult } from "./doctor-checks.js";

/** The archive naming of src/bundle/archive/cache.ts: `<key>-<size>-<sha256 of the archive>.zip`. */
const ARCHIVE_NAME = /^([0-9a-f]{64})-(\d+)-([0-9a-f]{64})\.zip$/;
/** cache.ts removes temp files older than this as a crashed writer's; younger ones may be in use. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface CacheFindings {
  dir: string;
  exists: boolean;
  archives: number;
  bytes: number;
  maxBytes: number;
  /** Archives whose size or checksum does not match their name. */
  damaged: string[];
  /** Archives this user cannot read. */
  unreadable: string[];
  /** Temp files of writers that died (older than an hour). */
  staleTemps: string[];
  /** Each problem found, in the order printed (the check's message and fix join them all). */
  problems: CacheProblem[];
}

export interface CacheProblem {
  status: "warn" | "fail";
  message: string;
  fix: string;
}

export async function checkCache(dir: string, maxBytes = DEFAULT_CACHE_MAX_BYTES, now = Date.now()): Promise<CheckResult & { details: CacheFindings }> {
  const findings: CacheFindings = { dir, exists: true, archives: 0, bytes: 0, maxBytes, damaged: [], unreadable: [], staleTemps: [], problems: [] };
  const result = (status: CheckResult["status"], message: string, fix?: string) => ({
    id: "cache",
    status,
    message,
    ...(fix !== undefined ? { fix } : {}),
    details: findings,
  });

  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      return result("fail", `cannot read the cache directory ${dir}: ${(err as Error).message}`, `fix its permissions, or point $SPARK_AUTOBUNDLE_HOME / --cache-dir somewhere readable and writable`);
    }
    findings.exists = false;
    const parent = await nearestExisting(dir);
    if (!(await isWritable(parent))) {
      return result("fail", `the cache directory ${dir} does not exist and ${parent} is not writable, so it cannot be created`, `make ${parent} writable, or point $SPARK_AUTOBUNDLE_HOME / --cache-dir somewhere writable`);
    }
    return result("ok", `${dir} does not exist yet; the first build creates it`);
  }
  // Every problem is collected (not only the first): fixing one and re-running to meet the next is a poor loop.
  const problems: CacheProblem[] = [];
  if (!(await isWritable(dir))) {
    problems.push({ status: "warn", message: `the cache directory ${dir} is not writable, so builds use a private temp directory and nothing is cached between runs`, fix: `make it writable (e.g. \`chmod u+rwx "${dir}"\`), or point --cache-dir / the \`cacheDir\` option / $SPARK_AUTOBUNDLE_HOME somewhere writable` });
  }

  for (const name of names) {
    const path = join(dir, name);
    if (name.startsWith(".tmp-")) {
      const s = await stat(path);
      if (now - s.mtimeMs > STALE_TEMP_MS) findings.staleTemps.push(name);
      continue;
    }
    const match = ARCHIVE_NAME.exec(name);
    if (!match) continue;
    findings.archives++;
    const s = await stat(path);
    findings.bytes += s.size;
    const sha256 = s.size === Number(match[2]) ? await sha256Of(path) : "size differs";
    if (sha256 === undefined) findings.unreadable.push(name);
    else if (sha256 !== match[3]) findings.damaged.push(name);
  }

  const summary = `${findings.archives} archive${findings.archives === 1 ? "" : "s"}, ${formatBytes(findings.bytes)} of the ${formatBytes(findings.maxBytes)} limit, in ${dir}`;
  if (findings.unreadable.length > 0) {
    problems.push({ status: "fail", message: `${findings.unreadable.length} archive(s) cannot be read: ${findings.unreadable.slice(0, 3).join(", ")}`, fix: `fix the permissions in ${dir} (e.g. \`chmod -R u+rw "${dir}"\`), or delete those files` });
  }
  if (findings.damaged.length > 0) {
    problems.push({ status: "warn", message: `${findings.damaged.length} damaged archive(s) (size or checksum differs from the name): ${findings.damaged.slice(0, 3).join(", ")}`, fix: `nothing to do: a build that needs one deletes and rebuilds it; or delete them by hand in ${dir}` });
  }
  if (findings.staleTemps.length > 0) {
    problems.push({ status: "warn", message: `${findings.staleTemps.length} leftover temp file(s) of interrupted builds (${findings.staleTemps.slice(0, 3).join(", ")})`, fix: `the next build removes them; or delete them by hand: rm "${dir}"/.tmp-*` });
  }
  if (findings.bytes > findings.maxBytes) {
    problems.push({ status: "warn", message: "over the size limit", fix: "the next build evicts the least recently used archives (those used in the last 10 minutes stay); or delete the directory to start afresh" });
  }
  findings.problems = problems;
  if (problems.length === 0) return result("ok", summary);
  const status = problems.some((p) => p.status === "fail") ? "fail" : "warn";
  return result(status, `${problems.map((p) => p.message).join("; ")}: ${summary}`, problems.map((p) => p.fix).join("; "));
}

/** undefined when this user may not read the file. */
async function sha256Of(path: string): Promise<string | undefined> {
  const hash = createHash("sha256");
  try {
    await pipeline(createReadStream(path), hash);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return undefined;
    throw err;
  }
  return hash.digest("hex");
}

async function isWritable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") return false;
    throw err;
  }
}

async function nearestExisting(dir: string): Promise<string> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      await stat(current);
      return current;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || dirname(current) === current) throw err;
    }
  }
}
