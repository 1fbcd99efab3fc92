import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename, relative, sep } from "node:path";
import fg from "fast-glob";
import { BundleError } from "./errors.js";

export interface JarArtifact {
  /** Content-addressed: "jars/<name>-<hash12>.jar". */
  name: string;
  path: string;
  /** SHA-256 of the bytes the name was made from: the upload checks the file still has them. */
  sha256: string;
}

// Jars rarely change; re-hash only when size or mtime moved.
const hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

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
    for (const path of matches) {
      const sha256 = await digest(path);
      jars.push({ name: `jars/${basename(path, ".jar")}-${sha256.slice(0, 12)}.jar`, path, sha256 });
    }
  }
  return jars;
}

async function digest(path: string): Promise<string> {
  const info = await stat(path);
  const known = hashes.get(path);
  if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return known.sha256;
  const sha256 = createHash("sha256").update(await readFile(path)).digest("hex");
  hashes.set(path, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
  return sha256;
}

/**
 * A session's jars, found anew per job (a glob; hashed only when size or mtime moved): the session must
 * hold exactly the current ones. A rebuilt jar gets a new content-addressed name.
 */
export class SessionJars {
  /** Where each jar name came from, relative to the root, for messages. */
  private readonly paths = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly patterns: string[],
  ) {}

  async current(): Promise<JarArtifact[]> {
    if (this.patterns.length === 0) return [];
    const jars = await findJars(this.root, this.patterns);
    for (const jar of jars) this.paths.set(jar.name, relative(this.root, jar.path).split(sep).join("/"));
    return jars;
  }

  /** Whether the session (holding `held`) has exactly the current jars. */
  async allHeld(held: ReadonlySet<string>): Promise<boolean> {
    const heldJars = jarNames(held);
    if (this.patterns.length === 0 && heldJars.length === 0) return true;
    const current = new Set((await this.current()).map((jar) => jar.name));
    return [...current].every((name) => held.has(name)) && heldJars.every((name) => current.has(name));
  }

  /** The jars the session holds that are no longer the project's (rebuilt, renamed, removed), by path. */
  async changedSince(held: ReadonlySet<string>): Promise<string[]> {
    const heldJars = jarNames(held);
    if (heldJars.length === 0) return [];
    const current = new Set((await this.current()).map((jar) => jar.name));
    return [...new Set(heldJars.filter((name) => !current.has(name)).map((name) => this.paths.get(name) ?? name))];
  }
}

function jarNames(held: ReadonlySet<string>): string[] {
  return [...held].filter((name) => name.startsWith("jars/"));
}
