// The package as a user gets it: `npm pack` (its prepare script builds dist/) from a staged copy of the
// project (so the working tree's dist/ is never rebuilt under other runs), one offline install from npm's
// cache into a temporary consumer, then the README's quickstart exactly as written there and the
// fixtures/pricetag example (copied out, its own `npm test`) against the already-running embedded server.
// Also checked in the tarball: no source maps, no frames or paths into src/ (not shipped), and every
// link in the shipped markdown resolves (an absolute URL or a shipped file).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../bundle/helpers.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const timings: Record<string, number> = {};
let consumer = "";
let unpacked = "";
let files: string[] = [];

function timed<T>(label: string, run: () => T): T {
  const start = Date.now();
  try {
    return run();
  } finally {
    timings[label] = Date.now() - start;
  }
}

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeout = 120_000): string {
  const run = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout });
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} in ${cwd} failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

// A project copy without node_modules and dist (tracked and untracked-but-not-ignored files, as git sees them).
function stageProject(): string {
  const stage = tempDir("sab-pack-");
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" }).split("\0");
  for (const file of listed.filter((f) => f && existsSync(join(repo, f)) && !f.startsWith("dist/"))) {
    mkdirSync(dirname(join(stage, file)), { recursive: true });
    cpSync(join(repo, file), join(stage, file));
  }
  symlinkSync(join(repo, "node_modules"), join(stage, "node_modules"), "dir");
  return stage;
}

/** The fenced block right after the first line of `markdown` containing `marker`. */
function blockAfter(markdown: string, marker: string): string {
  const at = markdown.indexOf(marker);
  expect(at, `README has "${marker}"`).toBeGreaterThanOrEqual(0);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(markdown.slice(at));
  return match![1]!;
}

beforeAll(() => {
  const stage = timed("stage", stageProject);
  const packed = tempDir("sab-tgz-");
  const out = timed("npm pack (build included)", () => sh("npm", ["pack", "--json", "--pack-destination", packed], stage));
  // The prepare script's own lines come first on stdout; the JSON report is last.
  const [info] = JSON.parse(out.slice(out.search(/^\[/m))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = info!.files.map((f) => f.path);
  const tarball = join(packed, info!.filename);
  unpacked = tempDir("sab-untar-");
  sh("tar", ["xzf", tarball, "-C", unpacked], unpacked);
  unpacked = join(unpacked, "package");

  // One install for both examples: they sit in subdirectories and resolve packages from here.
  consumer = tempDir("sab-consumer-");
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const vitestVersion = JSON.parse(readFileSync(join(repo, "fixtures/pricetag/package.json"), "utf8")).devDependencies.vitest as string;
  // From npm's cache: `npm ci` stores the tarballs but not the registry's version lists a plain install
  // resolves with, so the first run on a machine fetches those (--prefer-offline); later runs need no network.
  timed("npm install --prefer-offline", () => sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, `vitest@${vitestVersion}`], consumer));
}, 300_000);

describe("the packed tarball", () => {
  it("ships dist, the CLI, the docs it links to and no source maps or sources", () => {
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "bin/spark-autobundle.js", "dist/index.js", "dist/index.d.ts", "dist/vitest/index.js"]));
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
    const js = files.filter((f) => f.endsWith(".js"));
    for (const file of js) {
      const text = readFileSync(join(unpacked, file), "utf8");
      expect(text, file).not.toMatch(/sourceMappingURL/);
      // A path into src/ would point a user at a file that isn't there (stack frames, messages, imports).
      expect(text, file).not.toMatch(/["'`(/]src\/[a-z-]+\/[a-z-]+\.ts\b/);
      // A docs file named in code (a message, --help) must be a URL: docs/ is not shipped. Comments may name the repo's files.
      const code = text.split("\n").filter((line) => !/^\s*(\/\/|\/?\*)/.test(line));
      for (const line of code) for (const m of line.matchAll(/(\S*)docs\/[a-z-]+\.md/g)) expect(m[1], `${file}: ${line.trim()}`).toMatch(/^["'`(]?https:\/\//);
    }
  });

  it("every link in the shipped markdown is an absolute URL, an anchor, or a shipped file", () => {
    for (const doc of files.filter((f) => f.endsWith(".md"))) {
      const text = readFileSync(join(unpacked, doc), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const local = join(dirname(join(unpacked, doc)), target!.split("#")[0]!);
        expect(existsSync(local), `${doc} links to ${target}, which is not in the tarball`).toBe(true);
      }
    }
  });

  it("an error thrown by the installed package has its frames in dist/ files that exist", () => {
    const script = join(consumer, "frames.mjs");
    writeFileSync(script, 'import { SparkSession } from "spark-autobundle";\ntry { SparkSession.builder().remote("sc://host:notaport"); await SparkSession.builder().remote("sc://host:notaport").create(); } catch (e) { console.log(e.stack); }\n');
    const stack = sh(process.execPath, [script], consumer);
    const frames = [...stack.matchAll(/(\/[^\s():]+\.js):\d+:\d+/g)].map((m) => m[1]!).filter((f) => f.includes("node_modules/spark-autobundle/"));
    expect(frames.length, stack).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(relative(join(consumer, "node_modules/spark-autobundle"), frame)).toMatch(/^dist\//);
      expect(existsSync(frame)).toBe(true);
    }
  });
});

describe("the examples, from the installed tarball", () => {
  it("the README quickstart, as written, prints hello world", () => {
    const readme = readFileSync(join(unpacked, "README.md"), "utf8");
    const dir = join(consumer, "quickstart");
    mkdirSync(dir);
    const setup = blockAfter(readme, "In a new directory");
    const lines = setup.trim().split("\n");
    expect(lines[0]).toBe("npm init -y && npm pkg set type=module && npm install spark-autobundle");
    // The install happened once above, from the tarball; the rest runs as written.
    timed("quickstart setup", () => sh("sh", ["-c", ["npm init -y && npm pkg set type=module", ...lines.slice(1)].join("\n")], dir));
    writeFileSync(join(dir, "mylib/text.py"), blockAfter(readme, "`mylib/text.py`, your Python:"));
    writeFileSync(join(dir, "main.js"), blockAfter(readme, "`main.js`, run with `node main.js`:"));
    const out = timed("node main.js", () => sh(process.execPath, ["main.js"], dir));
    expect(out).toContain("hello world");
  });

  it("fixtures/pricetag, copied out, passes its own npm test", () => {
    const dir = join(consumer, "pricetag");
    cpSync(join(repo, "fixtures/pricetag"), dir, { recursive: true, filter: (src) => !/[\\/](node_modules|__pycache__)$/.test(src) });
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(["package.json", "README.md", "vitest.config.ts"]));
    // npm puts every ancestor's node_modules/.bin on PATH, so `vitest` resolves from the one install.
    const out = timed("pricetag npm test", () => sh("npm", ["test"], dir, { ...process.env, CI: "1", NO_COLOR: "1" }, 110_000));
    const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
    expect(plain).toMatch(/Tests\s+4 passed \(4\)/);
    expect(plain).not.toMatch(/failed/);
    console.log(`packaging timings (ms): ${JSON.stringify(timings)}`);
  });
});
