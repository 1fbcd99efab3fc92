// Offline view of the dependencies for `ls --explain`: what is declared, and the latest cached
// resolution of exactly that set (made at a job against the server) with each package's reason.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { readDeclaredDeps, type DependencyOptions } from "./declared.js";
import { readRecord, type SavedResolution } from "./resolve.js";

export interface DepsExplanation {
  /** `dependencies: false`: nothing is shipped. */
  off?: boolean;
  declared: string[];
  sources: string[];
  /** Lines the requirements files hold that ship nothing (`-e .`), and why. */
  notes?: string[];
  /** The lockfile whose pins ship (relative to the root), when one is in use. */
  lockfile?: string;
  /** Index options and constraints given to pip. */
  pipOptions?: string[];
  constraints?: string[];
  /** undefined: not resolved yet (the first job against a server does it). */
  resolution: SavedResolution | undefined;
}

export function explainDeps(root: string, cacheDir: string, options: DependencyOptions | false = {}): DepsExplanation {
  if (options === false) return { off: true, declared: [], sources: [], resolution: undefined };
  const { requirements, sources, notes, pipOptions, constraints, lock, localPaths, inputs } = readDeclaredDeps(root, options);
  const want = JSON.stringify([...requirements].sort());
  const anything = requirements.length > 0 || lock !== undefined || localPaths.length > 0;
  const dir = join(cacheDir, "deps");
  let best: { at: number; res: SavedResolution } | undefined;
  if (anything && existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      if (!/^res-[0-9a-f]+\.json$/.test(name)) continue;
      const file = join(dir, name);
      const res = readRecord(file);
      if (!res) continue;
      const at = statSync(file).mtimeMs;
      // Records made since the inputs digest existed match on it; older ones on their requirement lines.
      const same = res.inputs !== undefined ? res.inputs === inputs : JSON.stringify(res.requirements) === want;
      if (same && (!best || at > best.at)) best = { at, res };
    }
  }
  return { declared: requirements, sources, notes, pipOptions, constraints, lockfile: lock?.rel, resolution: best?.res };
}

/** Text lines for `ls --explain`. */
export function depsLines(x: DepsExplanation): string[] {
  if (x.off) return ["Dependencies: not shipped (dependencies: false)"];
  if (!x.declared.length && !x.lockfile && !x.notes?.some((n) => n.includes("shipped as source"))) return ["Dependencies: none declared (pyproject.toml [project].dependencies, requirements.txt)", ...(x.notes ?? []).map((note) => `  ${note}`)];
  const lines = [x.lockfile ? `Dependencies (the versions ${x.sources.join(", ")} pins, for the workers):` : `Dependencies (${x.declared.join(", ")}; from ${x.sources.join(", ")}):`];
  if (x.constraints?.length) lines.push(`  constraints: ${x.constraints.join(", ")}`);
  if (x.pipOptions?.length) lines.push(`  pip options: ${x.pipOptions.join(" ")}`);
  for (const note of x.notes ?? []) lines.push(`  ${note}`);
  const res = x.resolution;
  if (!res) return [...lines, "  not resolved yet: the first job against the server runs pip for its Python and platform"];
  lines.push(`  artifact: ${res.artifact ?? "none (nothing to ship)"}` + (res.target ? ` (Python ${res.target.pythonVersion}, ${res.target.platforms[0]})` : ""));
  if (res.native) lines.push(`  native archive: ${res.native.artifact} (unpacked on the workers)`);
  for (const p of res.packages) lines.push(`  ${`${p.name}==${p.version}`.padEnd(32)}  ${p.reason}`);
  return lines;
}
