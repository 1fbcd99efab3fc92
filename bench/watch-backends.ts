// Which file watcher backs watch mode: chokidar 5 or node's recursive fs.watch, measured.
// Run: npx tsx bench/watch-backends.ts [sizes...]   (default: 1000 10000)
// Each backend × size runs in a fresh child process so RSS and inotify counts are its own.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, unlinkSync, writeFileSync, watch as fsWatch } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, sep } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { watch as chokidarWatch } from "chokidar";

type Backend = "chokidar" | "fs.watch";
const BACKENDS: Backend[] = ["chokidar", "fs.watch"];
const FILES_PER_PACKAGE = 20;
const NODE_MODULES_FILES = 2000;
const EVENT_TIMEOUT_MS = 3000;

interface Result {
  backend: Backend;
  files: number;
  readyMs: number;
  /** Longest the event loop was blocked while starting (jobs and timers wait this long). */
  stallMs: number;
  /** Write → first event naming the file (what the engine's dirty flag sees). */
  latency: { median: number; max: number; missed: number };
  rssMiB: number;
  inotifyWatches: number;
  checks: Record<string, string>;
}

/** A flat Python project: pkgNNN/__init__.py + modules, a node_modules and a .git to prune. */
function makeTree(files: number): string {
  const root = mkdtempSync(join(tmpdir(), `sab-watchbench-${files}-`));
  for (let i = 0; i < files; i++) {
    const dir = join(root, `pkg${String(Math.floor(i / FILES_PER_PACKAGE)).padStart(4, "0")}`);
    if (i % FILES_PER_PACKAGE === 0) mkdirSync(dir);
    writeFileSync(join(dir, i % FILES_PER_PACKAGE === 0 ? "__init__.py" : `mod${i}.py`), `def f${i}(x):\n    return x + ${i}\n`);
  }
  for (let i = 0; i < NODE_MODULES_FILES; i++) {
    const dir = join(root, "node_modules", `dep${Math.floor(i / 20)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.js`), `module.exports = ${i};\n`);
  }
  mkdirSync(join(root, ".git", "objects"), { recursive: true });
  writeFileSync(join(root, ".git", "index"), "x");
  return root;
}

const pruned = (path: string) => path.includes(`${sep}node_modules`) || path.includes(`${sep}.git`);

/** Starts a backend; `signal` gets absolute paths as early as the backend can tell. */
async function start(backend: Backend, root: string, signal: (path: string) => void, errors: Error[]): Promise<() => Promise<void>> {
  if (backend === "chokidar") {
    const w = chokidarWatch(root, { persistent: false, ignoreInitial: true, ignored: (p) => pruned(p) });
    w.on("raw", (_event, evPath, details) => {
      const watched = (details as { watchedPath: string }).watchedPath;
      if (evPath) signal(basename(watched) === evPath ? watched : join(watched, evPath));
    });
    w.on("all", (_event, path) => signal(path));
    w.on("error", (e) => errors.push(e as Error));
    await new Promise<void>((resolve) => w.once("ready", resolve));
    return () => w.close();
  }
  // Node 20 on Linux: a JS implementation that walks the tree synchronously inside this call.
  const w = fsWatch(root, { recursive: true, persistent: false }, (_event, name) => {
    if (name) signal(join(root, name.toString()));
  });
  w.on("error", (e) => errors.push(e));
  return async () => w.close();
}

function inotifyWatchCount(): number {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // the readdir's own fd, closed
      throw err;
    }
    if (target !== "anon_inode:inotify") continue;
    count += readFileSync(`/proc/self/fdinfo/${fd}`, "utf8").split("\n").filter((l) => l.startsWith("inotify wd:")).length;
  }
  return count;
}

const rssMiB = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
};

async function child(backend: Backend, files: number): Promise<Result> {
  const root = makeTree(files);
  const errors: Error[] = [];
  const waiters: Array<{ match: (p: string) => boolean; resolve: (ms: number) => void; t0: number }> = [];
  const signal = (path: string) => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.match(path)) {
        waiters.splice(i, 1);
        w.resolve(performance.now() - w.t0);
      }
    }
  };
  /** Runs `act`, then waits for an event whose path satisfies `match`: ms, or -1 on timeout. */
  const expectEvent = (match: (p: string) => boolean, act: () => void) =>
    new Promise<number>((resolve) => {
      const waiter = { match, resolve, t0: 0 };
      waiters.push(waiter);
      waiter.t0 = performance.now();
      act();
      setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1), resolve(-1);
      }, EVENT_TIMEOUT_MS).unref();
    });
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const rssBefore = rssMiB();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  await new Promise((r) => setTimeout(r, 20)); // the histogram only counts ticks after its first one
  const t0 = performance.now();
  const close = await start(backend, root, signal, errors);
  const readyMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20)); // let the histogram see a synchronous start's stall
  loop.disable();
  const stallMs = loop.max / 1e6;
  const rss = rssMiB() - rssBefore;
  const inotifyWatches = inotifyWatchCount();

  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const file = join(root, `pkg${String(i * 2).padStart(4, "0")}`, "__init__.py");
    latencies.push(await expectEvent((p) => p === file, () => writeFileSync(file, `# edit ${i}\n`)));
    await pause(20);
  }
  const seen = latencies.filter((ms) => ms >= 0).sort((a, b) => a - b);

  const checks: Record<string, string> = {};
  const verdict = (steps: number[]) => (steps.every((ms) => ms >= 0) ? "ok" : `MISSED step ${steps.findIndex((ms) => ms < 0) + 1}/${steps.length}`);
  const pkg = (n: number) => join(root, `pkg${String(n).padStart(4, "0")}`);

  // Atomic save (write temp in the same dir, rename over) three times, then a plain write.
  const target = join(pkg(1), "__init__.py");
  const atomic = (tmpDir: string) => () => {
    const tmp = join(tmpDir, `.__init__.py.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, `# atomic ${Math.random()}\n`);
    renameSync(tmp, target);
  };
  const is = (path: string) => (p: string) => p === path;
  const steps: number[] = [];
  for (let i = 0; i < 3; i++) steps.push(await expectEvent(is(target), atomic(pkg(1)))), await pause(150);
  steps.push(await expectEvent(is(target), () => writeFileSync(target, "# plain after atomic\n")));
  checks["atomic rename (same dir) ×3 + write"] = verdict(steps);

  // Temp file outside the watched tree (editors that write to a temp dir), renamed in.
  const outside = mkdtempSync(join(tmpdir(), "sab-watchbench-out-"));
  const target3 = join(pkg(3), "__init__.py");
  const extSteps: number[] = [];
  for (let i = 0; i < 3; i++) {
    extSteps.push(await expectEvent(is(target3), () => (writeFileSync(join(outside, "t"), `# ext ${i}\n`), renameSync(join(outside, "t"), target3))));
    await pause(150);
  }
  checks["atomic rename (temp outside) ×3"] = verdict(extSteps);

  // vim (backupcopy=no/auto): swap file, 4913 probe, file→file~, write new, drop backup; then a plain write.
  const vimFile = join(pkg(5), "__init__.py");
  const vimSteps: number[] = [];
  writeFileSync(join(pkg(5), ".__init__.py.swp"), "swap");
  await pause(150);
  for (let i = 0; i < 2; i++) {
    vimSteps.push(
      await expectEvent(is(vimFile), () => {
        writeFileSync(join(pkg(5), "4913"), "");
        unlinkSync(join(pkg(5), "4913"));
        renameSync(vimFile, `${vimFile}~`);
        writeFileSync(vimFile, `# vim ${i}\n`);
        unlinkSync(`${vimFile}~`);
      }),
    );
    await pause(150);
  }
  vimSteps.push(await expectEvent(is(vimFile), () => writeFileSync(vimFile, "# plain after vim\n")));
  unlinkSync(join(pkg(5), ".__init__.py.swp"));
  checks["vim save ×2 + write"] = verdict(vimSteps);

  // New nested dirs with files written right away, then an edit inside.
  const fresh = join(root, "newpkg", "sub");
  const newSteps = [
    await expectEvent(is(join(fresh, "m.py")), () => (mkdirSync(fresh, { recursive: true }), writeFileSync(join(fresh, "m.py"), "x = 1\n"))),
  ];
  await pause(150);
  newSteps.push(await expectEvent(is(join(fresh, "m.py")), () => writeFileSync(join(fresh, "m.py"), "x = 2\n")));
  checks["new nested dir + file, then edit"] = verdict(newSteps);

  // Deleted dir, then recreated under the same name and edited.
  const gone = pkg(7);
  const delSteps = [await expectEvent((p) => p === gone || p.startsWith(gone + sep), () => rmSync(gone, { recursive: true }))];
  await pause(150);
  delSteps.push(await expectEvent(is(join(gone, "__init__.py")), () => (mkdirSync(gone), writeFileSync(join(gone, "__init__.py"), "y = 1\n"))));
  await pause(150);
  delSteps.push(await expectEvent(is(join(gone, "__init__.py")), () => writeFileSync(join(gone, "__init__.py"), "y = 2\n")));
  checks["deleted dir, recreated, edited"] = verdict(delSteps);
  checks["watcher errors"] = errors.length === 0 ? "none" : errors.map((e) => e.message).join("; ");

  await close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  const median = seen.length ? seen[Math.floor(seen.length / 2)]! : -1;
  return { backend, files, readyMs, stallMs, latency: { median, max: seen.at(-1) ?? -1, missed: latencies.length - seen.length }, rssMiB: rss, inotifyWatches, checks };
}

function main(): void {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const results: Result[] = [];
  for (const files of sizes.length ? sizes : [1000, 10000]) {
    for (const backend of BACKENDS) {
      const run = spawnSync(process.execPath, [...process.execArgv, "--expose-gc", fileURLToPath(import.meta.url), "--child", backend, String(files)], { encoding: "utf8" });
      if (run.status !== 0) throw new Error(`bench child ${backend}/${files} failed (${run.status ?? run.signal}):\n${run.stderr}`);
      results.push(JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Result);
    }
  }
  const f1 = (n: number) => n.toFixed(1);
  console.log(`node ${process.version}, ${process.platform}; each tree also has node_modules (${NODE_MODULES_FILES} files) and .git\n`);
  console.log("| backend | .py files | ready ms | max loop stall ms | write→event median / max ms | RSS MiB | inotify watches |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of results) {
    const missed = r.latency.missed ? ` (${r.latency.missed} missed)` : "";
    console.log(`| ${r.backend} | ${r.files} | ${f1(r.readyMs)} | ${f1(r.stallMs)} | ${f1(r.latency.median)} / ${f1(r.latency.max)}${missed} | ${f1(r.rssMiB)} | ${r.inotifyWatches} |`);
  }
  console.log("\n| backend | .py files | " + Object.keys(results[0]!.checks).join(" | ") + " |");
  console.log("|---|---|" + Object.keys(results[0]!.checks).map(() => "---").join("|") + "|");
  for (const r of results) console.log(`| ${r.backend} | ${r.files} | ${Object.values(r.checks).join(" | ")} |`);
}

if (process.argv[2] === "--child") {
  const keepAlive = setInterval(() => {}, 1000); // the watchers under test are persistent:false
  const result = await child(process.argv[3] as Backend, Number(process.argv[4]));
  clearInterval(keepAlive);
  console.log(JSON.stringify(result));
} else {
  main();
}
