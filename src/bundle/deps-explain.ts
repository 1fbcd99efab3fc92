// Offline view of the dependencies for `ls --explain`: what is declared, and the latest cached
// resolution of exactly that set (made at a job against the server) with each package's reason.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { readDeclaredDeps, type DependencyOptions } from "./deps-declared.js";
import type { DepsResolution } from "./deps-resolve.js";

export interface DepsExplanation {
  declared: string[];
  sources: string[];
  /** undefined: not resolved yet (the first job against a server does it). */
  resolution: Omit<DepsResolution, "resolvedNow"> | undefined;
}

export function explainDeps(root: string, cacheDir: string, options: DependencyOptions = {}): DepsExplanation {
  const { requirements, sources } = readDeclaredDeps(root, options);
  const want = JSON.stringify([...requirements].sort());
  const dir = join(cacheDir, "deps");
  let best: { at: number; res: Omit<DepsResolution, "resolvedNow"> } | undefined;
  if (requirements.length && existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      if (!/^res-[0-9a-f]+\.json$/.test(name)) continue;
      const file = join(dir, name);
      const res = JSON.parse(readFileSync(file, "utf8")) as Omit<DepsResolution, "resolvedNow">;
      const at = statSync(file).mtimeMs;
      if (JSON.stringify(res.requirements) === want && (!best || at > best.at)) best = { at, res };
    }
  }
  return { declared: requirements, sources, resolution: best?.res };
}

/** Text lines for `ls --explain`. */
export function depsLines(x: DepsExplanation): string[] {
  if (!x.declared.length) return ["Dependencies: none declared (pyproject.toml [project].dependencies, requirements.txt)"];
  const lines = [`Dependencies (${x.declared.join(", ")}; from ${x.sources.join(", ")}):`];
  const res = x.resolution;
  if (!res) return [...lines, "  not resolved yet: the first job against the server runs pip for its Python and platform"];
  lines.push(`  artifact: ${res.artifact ?? "none (nothing to ship)"}` + (res.target ? ` (Python ${res.target.pythonVersion}, ${res.target.platforms[0]})` : ""));
  for (const p of res.packages) lines.push(`  ${`${p.name}==${p.version}`.padEnd(32)}  ${p.reason}`);
  return lines;
}
