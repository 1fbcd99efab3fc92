// Resolves declared requirements with pip for the workers' Python and platform, and packs the
// pure-Python wheels into one content-addressed zip. Cached by (requirements, python, platform,
// server-has set): unchanged deps cost one small JSON read, no pip.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { normalizeName } from "./deps-declared.js";
import { BundleError } from "./options.js";

/** Always on a Spark Connect server's workers. */
export const ALWAYS_ON_SERVER = ["pyspark", "py4j"];

export interface DepsTarget {
  pythonVersion: string;
  platforms: string[];
  /** Normalized names of distributions the workers already have. */
  serverHas: string[];
}

export interface DepPackage {
  name: string;
  version: string;
  wheel: string;
  shipped: boolean;
  reason: string;
}

export interface DepsResolution {
  key: string;
  /** Absolute path of the zip; undefined when nothing needs shipping. */
  zipPath?: string;
  /** "pyfiles/sab-deps-<hash12>.zip". */
  artifact?: string;
  packages: DepPackage[];
  /** Sorted requirement lines and the target resolved for (read by `ls --explain`). */
  requirements?: string[];
  target?: DepsTarget;
  /** True: pip ran for this call (cold). */
  resolvedNow: boolean;
}

export function resolutionKey(requirements: readonly string[], target: DepsTarget): string {
  const body = JSON.stringify({ r: [...requirements].sort(), py: target.pythonVersion, pl: [...target.platforms].sort(), has: [...target.serverHas].sort() });
  return createHash("sha256").update(body).digest("hex");
}

/** Resolves (or reads the cached resolution of) `requirements` for `target`. */
export async function resolveDeps(pythonExe: string, requirements: readonly string[], target: DepsTarget, cacheDir: string): Promise<DepsResolution> {
  const dir = join(cacheDir, "deps");
  mkdirSync(dir, { recursive: true });
  const key = resolutionKey(requirements, target);
  const record = join(dir, `res-${key.slice(0, 24)}.json`);
  if (existsSync(record)) {
    const saved = JSON.parse(readFileSync(record, "utf8")) as Omit<DepsResolution, "resolvedNow">;
    if (!saved.zipPath || existsSync(saved.zipPath)) return { ...saved, resolvedNow: false };
  }
  const work = mkdtempSync(join(dir, "tmp-"));
  try {
    await pipDownload(pythonExe, requirements, target, work);
    const packages = classify(readdirSync(work).filter((f) => f.endsWith(".whl")), target);
    const native = packages.filter((p) => !p.shipped && p.reason.startsWith("native"));
    if (native.length) {
      const names = native.map((p) => `${p.name} ${p.version} (${p.wheel})`).join(", ");
      throw new BundleError(
        "DEPS_NATIVE",
        `Dependencies with native code can't be shipped as zips: ${names} for ${target.platforms[0]}, Python ${target.pythonVersion}. ` +
          `Fix: install them on the cluster's workers (then list them in dependencies.serverHas), or drop them from the declared dependencies.`,
      );
    }
    const shipped = packages.filter((p) => p.shipped);
    let zipPath: string | undefined;
    let artifact: string | undefined;
    if (shipped.length) {
      const tmpZip = join(work, "deps.zip");
      await runPython(pythonExe, ["-c", PACK_WHEELS, tmpZip, ...shipped.map((p) => join(work, p.wheel))]);
      const hash = createHash("sha256").update(readFileSync(tmpZip)).digest("hex").slice(0, 12);
      zipPath = join(dir, `sab-deps-${hash}.zip`);
      if (!existsSync(zipPath)) renameSync(tmpZip, zipPath);
      artifact = `pyfiles/sab-deps-${hash}.zip`;
    }
    const result = { key, zipPath, artifact, packages, requirements: [...requirements].sort(), target };
    // Temp + rename: a crash never leaves a half-written record.
    writeFileSync(join(work, "res.json"), JSON.stringify(result));
    renameSync(join(work, "res.json"), record);
    return { ...result, resolvedNow: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** name-version-python-abi-platform.whl → shipped (pure), skipped (server has it) or native. */
export function classify(wheels: readonly string[], target: DepsTarget): DepPackage[] {
  const has = new Set(target.serverHas.map(normalizeName));
  return [...wheels].sort().map((wheel) => {
    const parts = wheel.slice(0, -4).split("-");
    const [name = wheel, version = "?"] = parts;
    const abi = parts[parts.length - 2];
    const platform = parts[parts.length - 1];
    const norm = normalizeName(name);
    if (has.has(norm)) return { name: norm, version, wheel, shipped: false, reason: "skipped: the server has it" };
    if (abi !== "none" || platform !== "any") return { name: norm, version, wheel, shipped: false, reason: `native code (${abi}, ${platform})` };
    return { name: norm, version, wheel, shipped: true, reason: "shipped: pure Python, not on the server" };
  });
}

async function pipDownload(pythonExe: string, requirements: readonly string[], target: DepsTarget, dest: string): Promise<void> {
  const args = ["-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--only-binary=:all:", "--implementation", "cp", "--python-version", target.pythonVersion];
  for (const platform of target.platforms) args.push("--platform", platform);
  args.push("-d", dest, ...requirements);
  try {
    await runPython(pythonExe, args);
  } catch (err) {
    const log = (err as { log?: string }).log ?? String(err);
    throw new BundleError(
      "DEPS_FAILED",
      `pip could not resolve the dependencies [${requirements.join(", ")}] for Python ${target.pythonVersion} on ${target.platforms.join(", ")}. ` +
        `Fix the requirement named in pip's log below (a typo, a version that does not exist, no wheel for this platform), or set dependencies: false.\n` +
        `pip's log (tail):\n${log.slice(-3000)}`,
      { cause: err },
    );
  }
}

function runPython(exe: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(exe, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(`${exe} ${args.slice(0, 3).join(" ")} failed: ${err.message}`), { log: `${stdout}\n${stderr}` }));
      else resolve();
    });
  });
}

// Unpacks wheels into one zip: sorted entries, fixed times, so the same wheels give the same bytes.
const PACK_WHEELS = `
import sys, zipfile
out, wheels = sys.argv[1], sys.argv[2:]
entries = {}
for w in wheels:
    with zipfile.ZipFile(w) as z:
        for info in z.infolist():
            if not info.is_dir():
                entries[info.filename] = z.read(info.filename)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(entries):
        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, entries[name])
`;
