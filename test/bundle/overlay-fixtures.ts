// Real bundle zips for overlay tests: full bundles and overlays written by the production code
// (hashFiles, writeDeterministicZip, OverlayPlanner, writeOverlay) from small in-memory trees.
import { copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BundleCache } from "../../src/bundle/archive/cache.js";
import { hashFiles, type ContentHash } from "../../src/bundle/archive/hash.js";
import { loaderEntries, loaderModuleName } from "../../src/bundle/worker/loader.js";
import { OverlayPlanner, pyfileArtifact, writeOverlay } from "../../src/bundle/overlay.js";
import type { SelectedFile } from "../../src/bundle/select/select.js";
import { writeDeterministicZip } from "../../src/bundle/archive/zip.js";
import { makeTree, tempDir } from "./helpers.js";

const WORDS = "self data value result items index count total name path config record batch row parse load save merge split filter apply lookup table cache key schema field offset".split(" ");

/** ~2 KiB of plausible Python that deflates about 3× like real source (seeded, so stable). */
export function plausibleModule(seed: number): string {
  let state = seed + 1;
  const word = () => WORDS[(state = (state * 1103515245 + 12345) % 2 ** 31) % WORDS.length]!;
  const lines = [`"""Module ${seed}."""`, "import json", ""];
  for (let i = 0; i < 14; i++) {
    lines.push(`def ${word()}_${word()}_${i}(first_${word()}, second_${word()}=${state % 97}):`, `    """${word()} the ${word()} of ${word()}."""`);
    lines.push(`    ${word()}_${word()} = ${word()}.${word()}(${word()}, ${state % 1000})`, `    return [${word()} for ${word()} in ${word()} if ${word()}]`, "");
  }
  return lines.join("\n");
}

/** A project tree written to a temp dir and hashed like buildBundle does. */
export async function hashedTree(files: Record<string, string>): Promise<ContentHash> {
  const root = makeTree(files);
  const selected: SelectedFile[] = Object.keys(files).map((zipPath) => {
    const absPath = join(root, zipPath);
    const s = statSync(absPath);
    return { absPath, zipPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, executable: false };
  });
  return hashFiles(selected);
}

/** Writes `<dir>/<project>-<hash12>.zip`: every file plus the version's loader, as the engine ships it. */
export async function fullZip(dir: string, project: string, tree: ContentHash): Promise<string> {
  const path = join(dir, `${project}-${tree.hash12}.zip`);
  await writeDeterministicZip(path, tree.files, loaderEntries(project)(tree.hash12, tree.files.map((f) => f.zipPath)));
  return path;
}

export interface OverlayZip {
  path: string;
  /** The overlay's id: its zip basename and loader module carry it. */
  id: string;
  loaderModule: string;
  bytes: number;
}

/** Writes the overlay turning `base` into `next` to `<dir>/<project>-<id>.zip`, as the engine would. */
export async function overlayZip(dir: string, project: string, base: ContentHash, next: ContentHash): Promise<OverlayZip> {
  const planner = new OverlayPlanner(project, 1); // any size of change: these tests are about the worker
  const baseArtifact = pyfileArtifact(project, base.hash12);
  planner.synced({ hash: base.hash, artifact: baseArtifact, loaderModule: loaderModuleName(base.hash12) }, baseResult(base));
  const plan = planner.plan(next, new Set([baseArtifact]));
  if (!plan.overlay) throw new Error(`expected an overlay plan from ${base.hash12} to ${next.hash12}`);
  const written = await writeOverlay(new BundleCache(tempDir("sab-ovl-cache-")), plan, next);
  const name = plan.artifact.slice("pyfiles/".length);
  copyFileSync(written.path, join(dir, name));
  return { path: join(dir, name), id: name.slice(project.length + 1, -".zip".length), loaderModule: plan.loaderModule, bytes: written.bytes };
}

function baseResult(tree: ContentHash) {
  return { hash: tree.hash, hash12: tree.hash12, zipPath: "", files: tree.files.length, bytes: 0, projectName: "", root: "", fromCache: false, warnings: [], hashedFiles: tree.files };
}
