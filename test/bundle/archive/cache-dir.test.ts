// A cache directory that can't be written: read-only mounts and full disks are real tmpfs mounts
// (root only, as in CI), a permission problem is a real directory run as user `nobody`.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildBundle } from "../../../src/bundle/archive/build.js";
import { BundleError } from "../../../src/bundle/errors.js";
import { type BundleEvent } from "../../../src/bundle/events.js";
import { runMain } from "../../cli/helpers.js";
import { makeTree, REPO_ROOT, tempDir } from "../helpers.js";

const mounted: string[] = [];
const isRoot = process.getuid?.() === 0;

/** A real tmpfs at a fresh directory; undefined where this process may not mount. */
function tmpfs(options: string): string | undefined {
  if (!isRoot) return undefined;
  const dir = tempDir("sab-mnt-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    return undefined; // no mount privilege in this container: the tests below skip
  }
  mounted.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of mounted.reverse()) execFileSync("umount", ["-l", dir]);
});

const canMount = ((probe) => {
  if (probe === undefined) return false;
  execFileSync("umount", [probe]);
  mounted.splice(mounted.indexOf(probe), 1);
  return true;
})(tmpfs("size=64k"));

async function build(root: string, cacheDir: string) {
  const events: BundleEvent[] = [];
  const bundle = await buildBundle({ root, cacheDir, onEvent: (e) => events.push(e) });
  return { bundle, warnings: events.flatMap((e) => (e.type === "warning" ? [e] : [])) };
}

/** Incompressible bytes, so a small tmpfs fills up. */
const bigProject = () => makeTree({ "app/__init__.py": "", "app/blob.bin": randomBytes(256 * 1024) });

describe.skipIf(!canMount)("read-only or full cache directory (real tmpfs mounts)", () => {
  test("read-only (EROFS): the build uses a private temp dir, warns once naming the dir and the fix, and keeps working", async () => {
    const ro = tmpfs("ro,size=1m")!;
    const root = makeTree({ "app/__init__.py": "", "app/core.py": "X = 1\n" });
    const first = await build(root, ro);
    expect(first.bundle.zipPath.startsWith(ro)).toBe(false);
    expect(existsSync(first.bundle.zipPath)).toBe(true);
    expect(first.warnings.map((w) => w.code)).toEqual(["cache-unwritable"]);
    expect(first.warnings[0]!.message).toMatch(new RegExp(`${ro} is not writable \\(EROFS.*private temp directory.*cacheDir.*SPARK_AUTOBUNDLE_HOME`));
    // Same process, same directory: no second warning, and the temp cache serves the archive.
    const second = await build(root, ro);
    expect(second.warnings).toEqual([]);
    expect(second.bundle.fromCache).toBe(true);
  });

  test("full disk (ENOSPC): CACHE_FAILED naming the directory and 'free space'; no half-written file left", async () => {
    const full = tmpfs("size=64k")!;
    const err = await build(bigProject(), full).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe("CACHE_FAILED");
    expect((err as Error).message).toContain(full);
    expect((err as Error).message).toMatch(/disk is full.*free space.*cacheDir.*SPARK_AUTOBUNDLE_HOME/);
    expect(readdirSync(full).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
  });

  test("read-only cache and a full temp dir: CACHE_FAILED naming the temp dir and 'free space'", async () => {
    const ro = tmpfs("ro,size=1m")!;
    const fullTmp = tmpfs("size=64k")!;
    const project = bigProject();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = fullTmp;
    try {
      const err = await build(project, ro).catch((e: unknown) => e);
      if (!(err instanceof BundleError)) throw err;
      expect((err as BundleError).code).toBe("CACHE_FAILED");
      expect((err as Error).message).toMatch(new RegExp(`${fullTmp}/spark-autobundle-cache-.*free space`));
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  test("the CLI: a full cache dir exits 4 with the cause and the fix, no stack trace", async () => {
    const full = tmpfs("size=64k")!;
    const root = bigProject();
    const run = await runMain(["bundle", "--root", root, "--cache-dir", full]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/error: Cannot write the bundle cache directory .*disk is full.*free space/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.skipIf(!isRoot)("a cache directory this user may not write (EACCES, as user nobody)", () => {
  test("the CLI warns once, bundles into a private temp dir, exits 0, and the temp dir is gone after exit", () => {
    const base = tempDir("sab-eacces-");
    const root = join(base, "proj");
    makeTree({ "app/__init__.py": "", "app/core.py": "X = 1\n" }, root);
    const cache = join(base, "cache");
    mkdirSync(cache, { mode: 0o755 }); // root's, so nobody can't write it
    const tmp = join(base, "tmp");
    mkdirSync(tmp);
    execFileSync("chmod", ["-R", "a+rX", base]);
    execFileSync("chmod", ["1777", tmp]);
    writeFileSync(join(base, "run.sh"), `"${join(REPO_ROOT, "node_modules/.bin/tsx")}" "${join(REPO_ROOT, "src/cli/main.ts")}" bundle --root "${root}" --cache-dir "${cache}" --json\necho "exit=$?"\n`);
    const out = execFileSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", join(base, "run.sh")], {
      encoding: "utf8",
      env: { ...process.env, HOME: "/tmp", TMPDIR: tmp },
    });
    expect(out).toContain("exit=0");
    const json = JSON.parse(out.split("\n")[0]!) as { zipPath: string; warnings: Array<{ code: string; message: string }> };
    expect(json.warnings.map((w) => w.code)).toEqual(["cache-unwritable"]);
    expect(json.warnings[0]!.message).toMatch(/not writable \(EACCES\).*cacheDir/);
    expect(json.zipPath.startsWith(`${tmp}/spark-autobundle-cache-`)).toBe(true);
    expect(existsSync(json.zipPath)).toBe(false); // removed when the process exited
    expect(readdirSync(tmp).filter((name) => name.startsWith("spark-autobundle-"))).toEqual([]);
  });
});
