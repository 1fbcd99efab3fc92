// An eviction by another BundleCache on the same directory (another process's engine, with a small
// maxBytes) racing the engine's own lookup of the archive it is about to upload. The interleavings are
// forced at the file-system calls cache.ts makes (node:fs/promises is wrapped with one-shot hooks),
// because two real processes can't be made to meet at one exact step; the cache, the zips, the engine
// and its upload stream are real, only the session is a fake (test/helpers/watched-bundle-session.ts).
// The outcome that must hold whatever the interleaving: what the session is sent is a whole archive,
// the one the engine's build names; a missing file is never sent, and a job does not fail for it.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, utimesSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { create } from "@bufbuild/protobuf";
import { PlanSchema } from "../../../src/gen/spark/connect/base_pb.js";
import { col } from "../../../src/connect/sql/column/column.js";
import { BundleCache } from "../../../src/bundle/archive/cache.js";
import { installAutoBundle, type AutoBundle, type AutoBundleEvent } from "../../../src/bundle/hook.js";
import { RACY_WINDOW_MS } from "../../../src/bundle/watch/freshness.js";
import { fakeProbes } from "../../helpers/fake-bundle-session.js";
import { WatchedBundleSession } from "../../helpers/watched-bundle-session.js";
import { sleep } from "../watch/helpers.js";
import { makeTree, tempDir } from "../helpers.js";

type Hook = () => Promise<void>;
/** One-shot hooks by path: run right after a stat of it returns (its result already taken), or just before a utimes of it. */
const fsHooks = vi.hoisted(() => ({ afterStat: new Map<string, Hook>(), beforeUtimes: new Map<string, Hook>() }));

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const once = async (hooks: Map<string, Hook>, path: unknown) => {
    const hook = hooks.get(String(path));
    hooks.delete(String(path));
    await hook?.();
  };
  const stat = (async (path: string, options?: object) => {
    const result = await real.stat(path, options);
    await once(fsHooks.afterStat, path);
    return result;
  }) as typeof real.stat;
  const utimes = (async (path: string, atime: Date, mtime: Date) => {
    await once(fsHooks.beforeUtimes, path);
    return real.utimes(path, atime, mtime);
  }) as typeof real.utimes;
  return { ...real, default: { ...real, stat, utimes }, stat, utimes };
});

const PROJECT = {
  "pyproject.toml": '[project]\nname = "textkit"\n',
  "textkit/__init__.py": "",
  "textkit/text.py": "def shout(s):\n    return s.upper()\n",
};

interface Engine {
  session: WatchedBundleSession;
  engine: AutoBundle;
  events: AutoBundleEvent[];
  cacheDir: string;
  /** The archive of the first job, since aged past the eviction grace period. */
  archive: string;
}

/** An engine that ran one job, whose archive is now old enough to evict; then the server restarts, so the next job uploads it again. */
async function afterFirstJob(): Promise<Engine> {
  const session = new WatchedBundleSession();
  const cacheDir = tempDir("sab-evict-");
  const events: AutoBundleEvent[] = [];
  const engine = installAutoBundle(session, { root: makeTree(PROJECT), cacheDir, pythonVersion: "3.11", dependencies: false, watch: false, onEvent: (e) => events.push(e) }, fakeProbes());
  await sleep(RACY_WINDOW_MS + 100); // so the stat fingerprint vouches for the tree
  await job(session);
  const archive = engine.current!.zipPath;
  const hoursAgo = new Date(Date.now() - 3 * 3600_000);
  utimesSync(archive, hoursAgo, hoursAgo);
  session.changeSession();
  return { session, engine, events, cacheDir, archive };
}

async function job(session: WatchedBundleSession): Promise<void> {
  const expr = session.udf.python("textkit.text:shout", "string")(col("name")).expr;
  await session.runJob(create(PlanSchema, { opType: { case: "root", value: { relType: { case: "project", value: { expressions: [expr] } } } } }));
}

/** Another process's cache on the same directory, whose bound (1 byte) makes it evict every archive it may. */
const evictor = (cacheDir: string) => new BundleCache(cacheDir, 1);

/** The job's upload carried the bytes of a whole archive: its SHA-256 is the one its cache name was published with. */
function expectWholeUpload({ session, engine }: Engine): void {
  const { artifact, zipPath } = engine.current!;
  const sent = session.heldByCurrentSession;
  expect(sent).toEqual([artifact]);
  const bytes = session.uploadedBytes.get(artifact)!;
  expect(bytes.length).toBeGreaterThan(0);
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(zipPath.slice(-68, -4));
  expect(bytes.equals(readFileSync(zipPath))).toBe(true);
}

const lastBuild = (events: AutoBundleEvent[]) => events.filter((e) => e.type === "build").at(-1);

describe("an eviction racing the engine's cache lookup", () => {
  it("evicted after the lookup listed it, before it was checked: a miss, rebuilt, and the whole rebuild sent", async () => {
    const e = await afterFirstJob();
    let evicted = false;
    fsHooks.afterStat.set(e.archive, async () => {
      await evictor(e.cacheDir).evict();
      evicted = !existsSync(e.archive);
    });
    await job(e.session);
    expect(evicted).toBe(true); // the race happened
    expect(lastBuild(e.events)).toMatchObject({ fromCache: false });
    expectWholeUpload(e);
  });

  it("evicted after it was checked, before it was touched: a miss, rebuilt, and the whole rebuild sent", async () => {
    const e = await afterFirstJob();
    let evicted = false;
    fsHooks.beforeUtimes.set(e.archive, async () => {
      await evictor(e.cacheDir).evict();
      evicted = !existsSync(e.archive);
    });
    await job(e.session);
    expect(evicted).toBe(true);
    expect(lastBuild(e.events)).toMatchObject({ fromCache: false });
    expectWholeUpload(e);
  });

  it("an eviction that judged the archive old before the lookup touched it does not delete it under the upload", async () => {
    const e = await afterFirstJob();
    // The evictor reads the archive's age, then stalls (a slow disk, a busy process) until the
    // engine's lookup has verified and touched it and its upload is about to read it.
    let reached!: () => void;
    let release!: () => void;
    const judged = new Promise<void>((resolve) => (reached = resolve));
    const resume = new Promise<void>((resolve) => (release = resolve));
    fsHooks.afterStat.set(e.archive, async () => {
      reached();
      await resume;
    });
    const evicting = evictor(e.cacheDir).evict();
    await judged;
    e.session.beforeNextStatusCheck = async () => {
      release();
      await evicting;
    };
    await job(e.session); // without the fix: ARTIFACT_UNREADABLE, the job fails
    expect(lastBuild(e.events)).toMatchObject({ fromCache: true });
    expect(existsSync(e.archive)).toBe(true); // used a moment ago: within the grace period
    expectWholeUpload(e);
  });
});
