// g. Third-party dependencies: resolving and packing a declared set for the workers' Python, cold
// (fresh cache) and warm (a new engine, unchanged deps), against doing it by hand each run
// (`pip download` for the target, then unpacking the wheels into a zip).
import { join } from "node:path";
import { resolveDeps, type DepsTarget } from "../src/bundle/deps/resolve.js";
import { platformTags } from "../src/bundle/deps/shipper.js";
import { detectPython } from "../src/server/provision/requirements.js";
import { freshDir, type BenchContext } from "./context.js";
import { interleaved, run, timed } from "./measure.js";
import { contender, errorRow, makeRow, type Row } from "./report.js";

/** Two pure packages and one with native code (markupsafe's C speedups). */
const REQUIREMENTS = ["humanize==4.12.3", "toolz==1.0.0", "markupsafe==3.0.2"];

const BY_HAND = `
import glob, subprocess, sys, zipfile
dest, out, py, plats, reqs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), sys.argv[5:]
cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:", "--python-version", py, "-d", dest]
for p in plats: cmd += ["--platform", p]
subprocess.run(cmd + reqs, check=True)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for wheel in sorted(glob.glob(dest + "/*.whl")):
        with zipfile.ZipFile(wheel) as w:
            for info in w.infolist():
                z.writestr(info, w.read(info.filename))
`;

export async function depsRows(ctx: BenchContext): Promise<Row[]> {
  const title = `dependency resolution, ${REQUIREMENTS.length} packages (1 native)`;
  try {
    const py = await detectPython();
    const facts = (await run(py.executable, ["-c", "import json, platform, sysconfig; print(json.dumps([sysconfig.get_platform(), list(platform.libc_ver())]))"])).stdout;
    const [sysPlatform, libc] = JSON.parse(facts) as [string, string[]];
    const target: DepsTarget = { pythonVersion: `${py.version.major}.${py.version.minor}`, platforms: platformTags(sysPlatform, libc), serverHas: ["pyspark", "py4j"] };
    const byHand = async () => {
      const dir = freshDir(ctx, "by-hand-");
      return (await run(py.executable, ["-c", BY_HAND, join(dir, "wheels"), join(dir, "deps.zip"), target.pythonVersion, target.platforms.join(","), ...REQUIREMENTS])).ms;
    };
    const warmCache = freshDir(ctx, "deps-warm-");
    await resolveDeps(py.executable, REQUIREMENTS, target, warmCache);
    const samples = await interleaved(ctx.plan, {
      cold: () => timed(() => resolveDeps(py.executable, REQUIREMENTS, target, freshDir(ctx, "deps-cold-"))),
      warm: () => timed(() => resolveDeps(py.executable, REQUIREMENTS, target, warmCache)),
      byHand,
    });
    const rival = contender("pip download + zip, by hand", samples.byHand);
    const note = "pip's HTTP cache warm for both; within one engine an unchanged set costs nothing (memoized)";
    return [
      makeRow({ id: "g.deps.cold", section: "g", title: `${title}, cold`, unit: "ms", better: "lower", ours: contender("spark-autobundle", samples.cold), rival, note }),
      makeRow({ id: "g.deps.warm", section: "g", title: `${title}, unchanged (new engine)`, unit: "ms", better: "lower", ours: contender("spark-autobundle", samples.warm), rival, note: "a record read and the zips' hashes checked; no pip" }),
    ];
  } catch (err) {
    return [errorRow("g.deps", "g", title, err)];
  }
}
