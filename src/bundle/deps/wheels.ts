// The dependency cache's files: wheels stored by content hash (deps/wheels/<sha256>.whl), the
// deterministic packer that turns wheels into one deps zip, and the checks that let a lost or
// damaged deps zip be rebuilt from stored wheels with no pip run and no network.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { PACK_WHEELS_PY } from "../../gen/embedded.js";
import { fileSha256 } from "../archive/cache.js";

/**
 * `sab-deps-<hash12>.zip` (pure wheels, imported from the zip) or `sab-native-<hash12>.zip` (wheels with
 * native code, an archive Spark unpacks beside the bundle): hash12 starts the zip's sha256.
 */
const DEPS_ZIP = /^sab-(?:deps|native)-([0-9a-f]{12})\.zip$/;

export type DepsZipKind = "deps" | "native";

export interface DepsZip {
  zipPath: string;
  /** "pyfiles/sab-deps-<hash12>.zip", or "archives/sab-native-<hash12>.zip#sab-native-<hash12>". */
  artifact: string;
  /** Native only: the directory the archive is unpacked into, in the session's working directory. */
  dir?: string;
}
const WHEEL = /^([0-9a-f]{64})\.whl$/;

export const wheelsDir = (depsDir: string) => join(depsDir, "wheels");

/** Moves a downloaded wheel into the store under its content hash and returns that hash. */
export async function storeWheel(depsDir: string, file: string): Promise<string> {
  const sha256 = (await fileSha256(file))!;
  mkdirSync(wheelsDir(depsDir), { recursive: true });
  // Same name, same bytes: replacing a concurrent writer's copy is harmless, and rename is atomic.
  renameSync(file, join(wheelsDir(depsDir), `${sha256}.whl`));
  return sha256;
}

/** Paths of the stored wheels, or undefined when one is missing or damaged (a damaged one is deleted). */
export async function storedWheels(depsDir: string, hashes: readonly (string | undefined)[]): Promise<string[] | undefined> {
  const paths: string[] = [];
  for (const sha256 of hashes) {
    if (!sha256) return undefined; // recorded before wheels were stored
    const path = join(wheelsDir(depsDir), `${sha256}.whl`);
    const actual = await fileSha256(path);
    if (actual !== sha256) {
      rmSync(path, { force: true });
      return undefined;
    }
    paths.push(path);
  }
  return paths;
}

/** True when the deps zip exists and hashes to its name; a damaged one is deleted. */
/** The hash12 a deps zip's SHA-256 starts with, from its name; undefined for other files. */
export function depsZipSha12(zipPath: string): string | undefined {
  return DEPS_ZIP.exec(basename(zipPath))?.[1];
}

export async function depsZipIntact(zipPath: string): Promise<boolean> {
  const expected = DEPS_ZIP.exec(basename(zipPath))?.[1];
  const actual = await fileSha256(zipPath);
  if (actual === undefined) return false;
  if (expected && actual.startsWith(expected)) return true;
  rmSync(zipPath, { force: true });
  return false;
}

/** Packs `wheels` into `tmpZip`, then publishes it in `depsDir` under its content name. */
export async function packDepsZip(pythonExe: string, depsDir: string, tmpZip: string, wheels: readonly string[], kind: DepsZipKind): Promise<DepsZip> {
  // python/pack_wheels.py: deterministic, so the same wheels give the same zip (and name).
  await runPython(pythonExe, ["-c", PACK_WHEELS_PY, tmpZip, ...wheels]);
  const stem = `sab-${kind}-${(await fileSha256(tmpZip))!.slice(0, 12)}`;
  const zipPath = join(depsDir, `${stem}.zip`);
  renameSync(tmpZip, zipPath);
  // zipimport can't load extension modules, so native wheels travel as an archive (unpacked).
  return kind === "deps" ? { zipPath, artifact: `pyfiles/${stem}.zip` } : { zipPath, artifact: `archives/${stem}.zip#${stem}`, dir: stem };
}

/** Files of the deps cache, for pruning: records, zips, stored wheels (id: hash) and writers' temp dirs (id: name). */
export function depsCacheFiles(depsDir: string): { path: string; kind: "record" | "zip" | "wheel" | "temp"; id: string; mtimeMs: number }[] {
  const out: ReturnType<typeof depsCacheFiles> = [];
  const add = (dir: string, name: string) => {
    const kind = name.startsWith("res-") && name.endsWith(".json") ? "record" : DEPS_ZIP.test(name) ? "zip" : WHEEL.test(name) ? "wheel" : name.startsWith("tmp-") ? "temp" : undefined;
    if (!kind) return;
    const path = join(dir, name);
    try {
      out.push({ path, kind, id: kind === "wheel" ? WHEEL.exec(name)![1]! : name, mtimeMs: statSync(path).mtimeMs });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // removed meanwhile by another process
    }
  };
  for (const name of readdirSafe(depsDir)) add(depsDir, name);
  for (const name of readdirSafe(wheelsDir(depsDir))) add(wheelsDir(depsDir), name);
  return out;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

export function runPython(exe: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(exe, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(`${exe} ${args.slice(0, 3).join(" ")} failed: ${err.message}`), { log: `${stdout}\n${stderr}` }));
      else resolve();
    });
  });
}

