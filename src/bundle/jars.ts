import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import fg from "fast-glob";
import { BundleError } from "./errors.js";

export interface JarArtifact {
  /** Content-addressed: "jars/<name>-<hash12>.jar". */
  name: string;
  path: string;
}

// Jars rarely change; re-hash only when size or mtime moved.
const hashes = new Map<string, { size: number; mtimeMs: number; hash12: string }>();

/** The jars matched by `patterns` (globs relative to root), each named by its content. */
export async function findJars(root: string, patterns: string[]): Promise<JarArtifact[]> {
  const jars: JarArtifact[] = [];
  for (const pattern of patterns) {
    const matches = (await fg(pattern, { cwd: root, absolute: true, onlyFiles: true, dot: false })).sort();
    if (matches.length === 0) {
      throw new BundleError(
        "BAD_CONFIG",
        `The jars pattern "${pattern}" matched no files under ${root}. Build the jar first, or fix the pattern (globs are relative to the project root, e.g. "target/*.jar").`,
      );
    }
    for (const path of matches) jars.push({ name: `jars/${basename(path, ".jar")}-${await hash12(path)}.jar`, path });
  }
  return jars;
}

async function hash12(path: string): Promise<string> {
  const info = await stat(path);
  const known = hashes.get(path);
  if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return known.hash12;
  const digest = createHash("sha256").update(await readFile(path)).digest("hex").slice(0, 12);
  hashes.set(path, { size: info.size, mtimeMs: info.mtimeMs, hash12: digest });
  return digest;
}
