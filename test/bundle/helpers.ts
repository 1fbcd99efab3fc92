// Shared helpers for bundle tests: throwaway trees, fixture copies, real git and python.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = join(REPO_ROOT, "fixtures");

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the test file. */
export function tempDir(prefix = "sab-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Files by relative path; a value { link } makes a symlink. Returns the root. */
export function makeTree(files: Record<string, string | Buffer | { link: string }>, root = tempDir()): string {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof content === "object" && !Buffer.isBuffer(content)) symlinkSync(content.link, path);
    else writeFileSync(path, content);
  }
  return root;
}

/** A copy of fixtures/<name> (Python parts) in a temp dir, without caches. */
export function copyFixture(name: string): string {
  const dest = join(tempDir(`sab-${name}-`), name);
  cpSync(join(FIXTURES, name), dest, {
    recursive: true,
    filter: (src) => !/(__pycache__|node_modules)$/.test(src),
  });
  return dest;
}

/** git with no user/system config, so the machine's global excludes never leak into a test. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...ISOLATED_GIT_ENV },
  });
}

export const ISOLATED_GIT_ENV = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", XDG_CONFIG_HOME: "/nonexistent" };

/** Runs python3 with the given code and returns stdout. */
export function python(code: string, args: string[] = []): string {
  return execFileSync("python3", ["-c", code, ...args], { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
}
