// Per-engine dependency shipping: what the workers are (python, platform, marker environment, installed
// distributions: asked once), and the resolution of the current declared deps (memoized by key): a
// lockfile's pins for the workers, or the requirements with their markers evaluated for the workers,
// plus local packages as source. Also says, per job, whether any input changed since (inputsUnchanged).
import { statSync } from "node:fs";
import type { SparkSession } from "../../connect/session.js";
import { detectPython } from "../../server/provision/requirements.js";
import { LOWEST_PYTHON_FLOOR } from "../../server/provision/spark-lines.js";
import { Fingerprint, RACY_WINDOW_MS } from "../watch/freshness.js";
import { readDeclaredDeps, normalizeName, type DeclaredDeps, type DependencyOptions } from "./declared.js";
import { lockError, type Lockfile } from "./lockfile-common.js";
import { readLocalPackage, type LocalPath } from "./local.js";
import { envFromTarget, evaluateMarker, type MarkerEnv } from "./markers.js";
import { localFacts, probeWorkers } from "./probe.js";
import { registerShippedDeps } from "./traceback-names.js";
import { ALWAYS_ON_SERVER, resolutionKey, resolveDeps, type DepsResolution, type DepsTarget, type PipInputs } from "./resolve.js";

/**
 * pip --platform tags for a sysconfig platform like "linux-x86_64" and the workers' libc
 * (platform.libc_ver()): every manylinux_2_N their glibc runs, newest first, so wheels built for a
 * newer glibc than 2.17 are found too (for x86, pip itself adds manylinux2010 and manylinux1).
 */
export function platformTags(sysPlatform: string, libc?: readonly string[]): string[] {
  const [os, ...rest] = sysPlatform.split("-");
  const arch = rest.join("_");
  if (os !== "linux") return [sysPlatform.replace(/[-.]/g, "_")];
  const glibcMinor = libc?.[0] === "glibc" ? /^2\.(\d+)/.exec(libc[1] ?? "")?.[1] : undefined;
  const newer: string[] = [];
  for (let minor = Number(glibcMinor ?? 17); minor > 17; minor--) newer.push(`manylinux_2_${minor}_${arch}`);
  return [...newer, `manylinux2014_${arch}`, `manylinux_2_17_${arch}`, `linux_${arch}`];
}

/** What one resolution was made from: requirement lines for pip, and how to call it. */
interface Planned {
  requirements: string[];
  pip: PipInputs;
  /** The local packages' trees, each taken before it was read (so an edit racing the read shows as a change). */
  trees: Fingerprint[];
}

export class DepsShipper {
  private target: Promise<DepsTarget> | undefined;
  /** The inputs as of the last current(): files read (stat stamps) and local package trees. */
  private inputs: { files: Map<string, string>; trees: Fingerprint[] } | undefined;
  private readonly resolved = new Map<string, Promise<DepsResolution>>();
  last: DepsResolution | undefined;

  constructor(
    private readonly session: Pick<SparkSession, "serverFacts" | "executeWithoutHooks">,
    private readonly root: string,
    private readonly cacheDir: string,
    private readonly options: DependencyOptions,
    private readonly pythonVersion: () => Promise<string>,
  ) {}

  /** The deps artifact for the current declared requirements; undefined when there is nothing to ship. */
  async current(): Promise<DepsResolution | undefined> {
    const declared = readDeclaredDeps(this.root, this.options);
    if (declared.requirements.length === 0 && !declared.lock && declared.localPaths.length === 0) {
      this.inputs = { files: stamps(declared.files), trees: [] };
      return (this.last = undefined);
    }
    const target = await this.workerTarget();
    const { requirements, pip, trees } = await this.plan(declared, target.env ?? envFromTarget(target.pythonVersion, "linux-x86_64"), new Set(target.serverHas));
    this.inputs = { files: stamps(declared.files), trees };
    if (requirements.length === 0 && !pip.local?.length && !pip.skipped?.length) return (this.last = undefined);
    const key = resolutionKey(requirements, target, pip);
    let pending = this.resolved.get(key);
    // Memoized: this engine resolved it before, so no pip ran for this call.
    if (pending) return (this.last = { ...(await pending), resolvedNow: false });
    {
      // This python only drives pip, which resolves for the workers' Python (target), so any line's floor will do.
      pending = detectPython(undefined, LOWEST_PYTHON_FLOOR).then((py) => resolveDeps(py.executable, requirements, target, this.cacheDir, Date.now(), pip)).then(registerShippedDeps);
      pending.catch(() => this.resolved.delete(key));
      this.resolved.set(key, pending);
    }
    return (this.last = await pending);
  }

  /**
   * False when a file the dependencies were read from, or a local package's tree, changed since the
   * last current(): the job must sync even if the project's own files did not change.
   */
  inputsUnchanged(): boolean {
    if (!this.inputs) return true;
    for (const [file, stamp] of this.inputs.files) if (stampOf(file) !== stamp) return false;
    return this.inputs.trees.every((tree) => tree.firstChange() === undefined);
  }

  /** The declared deps as pip inputs for these workers. */
  private async plan(declared: DeclaredDeps, env: MarkerEnv, serverHas: Set<string>): Promise<Planned> {
    const base = { constraints: declared.constraints, pipOptions: declared.pipOptions, inputs: declared.inputs };
    if (!declared.lock) {
      // Markers are evaluated for the workers here (pip would judge them for this machine).
      const requirements = declared.requirements.flatMap((line) => forWorkers(line, env));
      const localPaths = declared.localPaths.filter((l) => !l.marker || evaluateMarker(l.marker, env, `${l.where}: "${l.line}"`));
      const trees = localPaths.map((l) => this.tree(l));
      const local = await Promise.all(localPaths.map(readLocalPackage));
      // A local package's own dependencies come along, as pip installing it would bring them.
      for (const l of local) for (const dep of l.dependencies) if (!requirements.includes(dep)) requirements.push(dep);
      return { requirements, pip: { ...base, local }, trees };
    }
    const pins = lockedPins(declared.lock, env, this.options.groups ?? [], serverHas);
    const trees = pins.localPaths.map((l) => this.tree(l));
    return { requirements: pins.requirements, pip: { ...base, ...pins.pip, local: await Promise.all(pins.localPaths.map(readLocalPackage)) }, trees };
  }

  private tree(local: LocalPath): Fingerprint {
    return Fingerprint.take({ root: local.path, cacheDir: this.cacheDir });
  }

  private workerTarget(): Promise<DepsTarget> {
    this.target ??= this.discoverTarget();
    this.target.catch(() => (this.target = undefined));
    return this.target;
  }

  private async discoverTarget(): Promise<DepsTarget> {
    const pythonVersion = await this.pythonVersion();
    const extra = (this.options.serverHas ?? []).map(normalizeName);
    const local = this.session.serverFacts?.pythonExecutable;
    // A local server's workers (the embedded one's) run that python on this machine: ask it directly;
    // any other server: one tiny job (once per engine).
    const probe = local ? await localFacts(local) : await probeWorkers(this.session, pythonVersion);
    const serverHas = new Set([...ALWAYS_ON_SERVER, ...extra, ...probe.dists.map(normalizeName)]);
    const env = probe.env ?? envFromTarget(pythonVersion, probe.platform);
    return { pythonVersion, platforms: this.options.platforms ?? platformTags(probe.platform, probe.libc), serverHas: [...serverHas].sort(), env };
  }
}

/**
 * What a lockfile pins for these workers, as pip inputs: registry packages as name==version (no
 * dependencies: the lockfile lists them all) with their wheel hashes, local wheels by path, local
 * directories as source, what the server has as skipped. A package that can't ship is an error naming it.
 */
export function lockedPins(lock: Lockfile, env: MarkerEnv, groups: readonly string[], serverHas: ReadonlySet<string>): { requirements: string[]; pip: PipInputs; localPaths: LocalPath[] } {
  const picked = lock.select(env, groups);
  const skipped = picked.filter((p) => serverHas.has(p.name) && !p.local).map((p) => ({ name: p.name, version: p.version }));
  const ship = picked.filter((p) => !serverHas.has(p.name) || p.local);
  for (const p of ship) {
    if (p.unsupported) throw lockError(lock.rel, `${p.name} ${p.version} is ${p.unsupported}, which can't ship to the workers`, `lock it from an index that has wheels (edit its source in ${lock.rel} and lock again), or add it to dependencies.serverHas if the workers have it`);
  }
  const registry = ship.filter((p) => !p.local && !p.wheelFile);
  const localPaths: LocalPath[] = ship.filter((p) => p.local).map((p) => ({ path: p.local!, line: `${p.name} ${p.version} (${p.local})`, where: lock.rel, name: p.name, version: p.version }));
  return {
    requirements: [...registry.map((p) => `${p.name}==${p.version}`), ...ship.flatMap((p) => (p.wheelFile ? [p.wheelFile] : []))],
    pip: {
      pipOptions: [...new Set(registry.flatMap((p) => (p.index ? [`--extra-index-url ${p.index}`] : [])))],
      noDeps: true,
      hashes: Object.fromEntries(registry.filter((p) => p.hashes.length).map((p) => [p.name, p.hashes])),
      hashesFrom: lock.rel,
      skipped,
    },
    localPaths,
  };
}

/**
 * A requirement line for the workers: dropped when its marker is false there, else without the marker
 * (so pip, judging markers for this machine, can't drop it); `--hash` options stay.
 */
export function forWorkers(line: string, env: MarkerEnv): string[] {
  const at = line.search(/\s--hash[=\s]/);
  const [req, options] = at < 0 ? [line, ""] : [line.slice(0, at), line.slice(at)];
  // A URL may hold ";" only when not followed by a space-separated marker (PEP 508 wants " ;" after a URL).
  const split = /@/.test(req) ? req.search(/\s;/) : req.indexOf(";");
  if (split < 0) return [line];
  const marker = req.slice(split).replace(/^\s*;/, "").trim();
  if (!evaluateMarker(marker, env, `the requirement "${line}"`)) return [];
  return [`${req.slice(0, split).trim()}${options}`];
}

const stampOf = (file: string) => {
  const s = statSync(file, { throwIfNoEntry: false });
  return s ? `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}` : "missing";
};
/** Recorded after the read: a file stamped within the racy window may have changed since, so it is not vouched for (as in freshness.ts). */
const recorded = (file: string) => {
  const s = statSync(file, { throwIfNoEntry: false });
  return s && Math.max(s.mtimeMs, s.ctimeMs) >= Date.now() - RACY_WINDOW_MS ? "racy" : stampOf(file);
};
const stamps = (files: readonly string[]) => new Map(files.map((f) => [f, recorded(f)]));
