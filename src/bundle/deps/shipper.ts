// Per-engine dependency shipping: what the workers are (python, platform, installed
// distributions: asked once), and the resolution of the current declared deps (memoized by key).
import type { SparkSession } from "../../connect/session.js";
import { detectPython } from "../../server/provision/requirements.js";
import { readDeclaredDeps, normalizeName, type DependencyOptions } from "./declared.js";
import { localFacts, probeWorkers } from "./probe.js";
import { ALWAYS_ON_SERVER, resolutionKey, resolveDeps, type DepsResolution, type DepsTarget } from "./resolve.js";

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

export class DepsShipper {
  private target: Promise<DepsTarget> | undefined;
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
    if (declared.requirements.length === 0) return (this.last = undefined);
    const target = await this.workerTarget();
    const pip = { constraints: declared.constraints, pipOptions: declared.pipOptions };
    const key = resolutionKey(declared.requirements, target, pip);
    let pending = this.resolved.get(key);
    // Memoized: this engine resolved it before, so no pip ran for this call.
    if (pending) return (this.last = { ...(await pending), resolvedNow: false });
    {
      pending = detectPython().then((py) => resolveDeps(py.executable, declared.requirements, target, this.cacheDir, Date.now(), pip));
      pending.catch(() => this.resolved.delete(key));
      this.resolved.set(key, pending);
    }
    return (this.last = await pending);
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
    return { pythonVersion, platforms: this.options.platforms ?? platformTags(probe.platform, probe.libc), serverHas: [...serverHas].sort() };
  }
}
