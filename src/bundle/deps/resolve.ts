// Resolves declared requirements with pip for the workers' Python and platform, and packs the
// pure-Python wheels into one content-addressed zip (imported from the zip), those with native code
// into another (an archive the workers unpack). Cached by (requirements, python, platform,
// server-has set): unchanged deps cost one small JSON read and one hash of the zip, no pip.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { normalizeName } from "./declared.js";
import { depsCacheFiles, depsZipIntact, packDepsZip, runPython, storedWheels, storeWheel, wheelsDir, type DepsZip } from "./wheels.js";
import { BundleError } from "../errors.js";
import { writeLocalWheel, type LocalPackage } from "./local.js";
import type { MarkerEnv } from "./markers.js";
import { cacheFailed, usableCacheDir } from "../archive/cache-dir.js";
import { debugLog } from "../../shared/debug.js";

const debug = debugLog("deps");

/** Always on a Spark Connect server's workers. */
export const ALWAYS_ON_SERVER = ["pyspark", "py4j"];

export interface DepsTarget {
  pythonVersion: string;
  platforms: string[];
  /** Normalized names of distributions the workers already have. */
  serverHas: string[];
  /** The workers' PEP 508 marker environment (not part of the key: python and platform stand for it). */
  env?: MarkerEnv;
}

export interface DepPackage {
  name: string;
  version: string;
  wheel: string;
  /** sha256 of the wheel in the store (deps/wheels/<sha256>.whl); shipped packages only. */
  sha256?: string;
  shipped: boolean;
  /** Shipped in the native archive (extension modules), not the zip. */
  native?: boolean;
  reason: string;
}

export interface DepsResolution {
  key: string;
  /** Absolute path of the zip; undefined when nothing needs shipping. */
  zipPath?: string;
  /** "pyfiles/sab-deps-<hash12>.zip". */
  artifact?: string;
  /** The archive of packages with native code for the workers' platform, when there are any. */
  native?: DepsZip;
  packages: DepPackage[];
  /** Sorted requirement lines and the target resolved for (read by `ls --explain`). */
  requirements?: string[];
  /** Digest of the declared inputs (DeclaredDeps.inputs), which `ls --explain` looks records up by. */
  inputs?: string;
  target?: DepsTarget;
  /** True: pip ran for this call (cold). */
  resolvedNow: boolean;
  /** True: the cached zip was lost or damaged and was rebuilt from stored wheels, without pip. */
  repacked?: boolean;
}

/** What pip is given besides the requirements: `-c` constraint lines and index options from the requirements files. */
export interface PipInputs {
  constraints?: readonly string[];
  pipOptions?: readonly string[];
  /** A lockfile's pins: exactly these, no dependencies of theirs (the lockfile already lists them). */
  noDeps?: boolean;
  /** sha256s a package's downloaded wheel must have (lockfile pins), by normalized name; and the file saying so. */
  hashes?: Readonly<Record<string, readonly string[]>>;
  hashesFrom?: string;
  /** Local packages shipped as source, in the same zip (their content hash is part of the key). */
  local?: readonly LocalPackage[];
  /** Locked packages the server has, recorded as skipped without asking pip. */
  skipped?: readonly { name: string; version: string }[];
  inputs?: string;
}

export function resolutionKey(requirements: readonly string[], target: DepsTarget, pip: PipInputs = {}): string {
  const inputs: Record<string, unknown> = { r: [...requirements].sort(), py: target.pythonVersion, pl: [...target.platforms].sort(), has: [...target.serverHas].sort() };
  // Only when present, so the keys (and cached resolutions) of plain requirement lists stay what they were.
  if (pip.constraints?.length) inputs.c = [...pip.constraints].sort();
  if (pip.pipOptions?.length) inputs.o = [...pip.pipOptions];
  if (pip.noDeps) inputs.nd = true;
  if (pip.hashes && Object.keys(pip.hashes).length) inputs.h = Object.entries(pip.hashes).sort(([a], [b]) => (a < b ? -1 : 1));
  if (pip.local?.length) inputs.l = pip.local.map((l) => `${l.name}@${l.version}:${l.hash}`).sort();
  if (pip.skipped?.length) inputs.s = pip.skipped.map((p) => `${p.name}==${p.version}`).sort();
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

/** Resolves (or reads the cached resolution of) `requirements` for `target`. */
export async function resolveDeps(pythonExe: string, requirements: readonly string[], target: DepsTarget, cacheDir: string, now = Date.now(), pip: PipInputs = {}): Promise<DepsResolution> {
  // The bundle build (first in every sync) already warned if the cache dir is unwritable; same fallback here.
  const dir = join((await usableCacheDir(cacheDir)).dir, "deps");
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw cacheFailed(dir, err);
  }
  const key = resolutionKey(requirements, target, pip);
  const record = join(dir, `res-${key.slice(0, 24)}.json`);
  const saved = readRecord(record);
  if (saved) {
    // Touched on use: pruning keeps what was used lately.
    utimesSync(record, new Date(now), new Date(now));
    if (await zipsIntact(saved)) {
      debug("dependencies from the cached resolution %s: %s", record, saved.artifact ?? "nothing to ship");
      return { ...saved, resolvedNow: false };
    }
    const repacked = await repackFromStore(pythonExe, dir, record, saved);
    if (repacked) return { ...repacked, resolvedNow: false, repacked: true };
  }
  const work = mkdtempSync(join(dir, "tmp-"));
  debug("running pip for %s (Python %s, %s)", requirements.join(", "), target.pythonVersion, target.platforms[0]);
  try {
    if (requirements.length) await pipDownload(pythonExe, requirements, target, work, pip);
    const packages = classify(readdirSync(work).filter((f) => f.endsWith(".whl")), target);
    for (const p of packages) {
      if (!p.shipped) continue;
      p.sha256 = await storeWheel(dir, join(work, p.wheel));
      checkLockedHash(p, pip);
    }
    for (const local of pip.local ?? []) {
      const wheel = await writeLocalWheel(local, work);
      const sha256 = await storeWheel(dir, wheel);
      packages.push({ name: normalizeName(local.name), version: local.version, wheel: basename(wheel), sha256, shipped: true, reason: `shipped: local package ${local.dir} (its source, ${local.files.length} file${local.files.length === 1 ? "" : "s"})` });
    }
    for (const p of pip.skipped ?? []) packages.push({ name: p.name, version: p.version, wheel: "", shipped: false, reason: "skipped: the server has it (the lockfile's version is not shipped)" });
    const result = { key, ...(await packShipped(pythonExe, dir, work, packages)), packages, requirements: [...requirements].sort(), inputs: pip.inputs, target };
    writeRecord(record, work, result);
    pruneDeps(dir, now);
    return { ...result, resolvedNow: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A lockfile pinned this package's wheel hashes: the one pip found must be one of them. */
function checkLockedHash(p: DepPackage, pip: PipInputs): void {
  const allowed = pip.hashes?.[p.name];
  if (!allowed?.length || allowed.includes(p.sha256!)) return;
  throw new BundleError(
    "DEPS_FAILED",
    `${pip.hashesFrom ?? "The lockfile"} pins ${p.name} ${p.version} to wheels with sha256 ${allowed.slice(0, 3).join(", ")}${allowed.length > 3 ? ", …" : ""}, but the wheel pip found (${p.wheel}) has sha256 ${p.sha256}: not the file that was locked. ` +
      `Fix: check which index served it (--index-url, --find-links, PIP_* settings) or regenerate the lockfile, or set dependencies.lockfile: false, or dependencies: false.`,
  );
}

/** The pure zip and the native archive of the shipped packages (each only when it has packages). */
async function packShipped(pythonExe: string, dir: string, work: string, packages: readonly DepPackage[]): Promise<{ zipPath?: string; artifact?: string; native?: DepsZip }> {
  const pure = packages.filter((p) => p.shipped && !p.native);
  const native = packages.filter((p) => p.shipped && p.native);
  const zip = pure.length ? await packDepsZip(pythonExe, dir, join(work, "deps.zip"), wheelPaths(dir, pure), "deps") : {};
  return native.length ? { ...zip, native: await packDepsZip(pythonExe, dir, join(work, "native.zip"), wheelPaths(dir, native), "native") } : zip;
}

/** Both zips intact (or absent by design); a damaged one is deleted. */
async function zipsIntact(saved: SavedResolution): Promise<boolean> {
  for (const zip of [saved.zipPath, saved.native?.zipPath]) if (zip && !(await depsZipIntact(zip))) return false;
  return true;
}

/** A deps zip went missing or was damaged: rebuild from the stored wheels (no pip, no network). */
async function repackFromStore(pythonExe: string, dir: string, record: string, saved: SavedResolution): Promise<SavedResolution | undefined> {
  const shipped = saved.packages.filter((p) => p.shipped);
  if (!(await storedWheels(dir, shipped.map((p) => p.sha256)))) return undefined;
  const work = mkdtempSync(join(dir, "tmp-"));
  try {
    const repacked = { ...saved, ...(await packShipped(pythonExe, dir, work, saved.packages)) };
    writeRecord(record, work, repacked);
    return repacked;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export type SavedResolution = Omit<DepsResolution, "resolvedNow" | "repacked">;

const wheelPaths = (dir: string, shipped: readonly DepPackage[]) => shipped.map((p) => join(wheelsDir(dir), `${p.sha256}.whl`));

/** undefined when absent or unreadable as a record (then deleted, and resolved again). */
export function readRecord(path: string): SavedResolution | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const saved = JSON.parse(text) as SavedResolution;
    if (Array.isArray(saved.packages)) return saved;
  } catch {
    // Damaged on disk (records are written by rename, so not by us): resolve again.
  }
  rmSync(path, { force: true });
  return undefined;
}

/** Temp + rename: a crash never leaves a half-written record. */
function writeRecord(path: string, work: string, result: SavedResolution): void {
  writeFileSync(join(work, "res.json"), JSON.stringify(result));
  renameSync(join(work, "res.json"), path);
}

/** A resolution unused this long is deleted, with the zip and wheels no other resolution needs. */
export const DEPS_MAX_IDLE_MS = 30 * 24 * 60 * 60 * 1000;
/** Unreferenced files younger than this may be a concurrent writer's, not yet in its record. */
const PRUNE_GRACE_MS = 60 * 60 * 1000;

/** Runs after a cold resolution (rare), never on the per-job path. */
export function pruneDeps(dir: string, now = Date.now()): void {
  const files = depsCacheFiles(dir);
  const live = new Set<string>();
  for (const f of files) {
    if (f.kind !== "record") continue;
    if (now - f.mtimeMs > DEPS_MAX_IDLE_MS) {
      rmSync(f.path, { force: true });
      continue;
    }
    const saved = readRecord(f.path);
    for (const zip of [saved?.zipPath, saved?.native?.zipPath]) if (zip) live.add(basename(zip));
    for (const p of saved?.packages ?? []) if (p.sha256) live.add(p.sha256);
  }
  for (const f of files) {
    if (f.kind === "record" || live.has(f.id) || now - f.mtimeMs < PRUNE_GRACE_MS) continue;
    rmSync(f.path, { recursive: true, force: true });
  }
}

/** name-version-python-abi-platform.whl → shipped (pure), shipped native (pip chose it for the workers' platform), or skipped (the server has it). */
export function classify(wheels: readonly string[], target: DepsTarget): DepPackage[] {
  const has = new Set(target.serverHas.map(normalizeName));
  return [...wheels].sort().map((wheel) => {
    const parts = wheel.slice(0, -4).split("-");
    const [name = wheel, version = "?"] = parts;
    const abi = parts[parts.length - 2];
    const platform = parts[parts.length - 1];
    const norm = normalizeName(name);
    if (has.has(norm)) return { name: norm, version, wheel, shipped: false, reason: "skipped: the server has it" };
    if (abi !== "none" || platform !== "any") return { name: norm, version, wheel, shipped: true, native: true, reason: `shipped: native code (${abi}, ${platform}), as an archive unpacked on the workers` };
    return { name: norm, version, wheel, shipped: true, reason: "shipped: pure Python, not on the server" };
  });
}

async function pipDownload(pythonExe: string, requirements: readonly string[], target: DepsTarget, dest: string, pip: PipInputs): Promise<void> {
  const args = ["-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--only-binary=:all:", "--implementation", "cp", "--python-version", target.pythonVersion];
  if (pip.noDeps) args.push("--no-deps");
  for (const platform of target.platforms) args.push("--platform", platform);
  // Through a requirements file, as the project wrote them: pip reads index options, --hash pins and
  // markers there exactly as it would from the project's own file. Written in the private work dir
  // (`dest`), where only the .whl files are read back.
  const file = join(dest, "sab-requirements.txt");
  const lines = [...(pip.pipOptions ?? []), ...requirements];
  if (pip.constraints?.length) {
    writeFileSync(join(dest, "sab-constraints.txt"), `${pip.constraints.join("\n")}\n`);
    lines.unshift(`-c ${join(dest, "sab-constraints.txt")}`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
  args.push("-d", dest, "-r", file);
  try {
    await runPython(pythonExe, args);
  } catch (err) {
    // Only on failure: tell "no pip at all" apart from a requirement pip could not satisfy.
    const pipWorks = await runPython(pythonExe, ["-m", "pip", "--version"]).then(() => true, () => false);
    if (!pipWorks) {
      throw new BundleError(
        "DEPS_FAILED",
        `Cannot resolve the dependencies: ${pythonExe} has no pip. Fix: install it (\`${pythonExe} -m ensurepip\`), or point SPARK_AUTOBUNDLE_PYTHON at a Python 3.10+ that has pip, or set dependencies: false.`,
        { cause: err },
      );
    }
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
