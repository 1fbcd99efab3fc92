// Running fixture projects under a real vitest subprocess, against the current source.
//
// A fixture's vitest.config.ts imports "spark-autobundle/vitest" as a user would. Vite loads config
// files with Node's own resolution (no aliases) and Node 20 cannot import .ts, so the name must
// reach built JS. In the repo it does by package self-reference (the repo's package.json is the
// nearest one and exports "./vitest" → dist). Tests rebuild that shape in a temp dir: package.json,
// dist/ transpiled from the current src/, node_modules linked, the fixture under fixtures/. The
// shared dist/ is never touched.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import fg from "fast-glob";
import { afterAll } from "vitest";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const VITEST_BIN = join(REPO_ROOT, "node_modules", "vitest", "vitest.mjs");

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A temp copy of the package (dist/ from the current src/), removed after the test file. Returns its dir. */
export async function builtPackage(): Promise<string> {
  const pkg = join(tempDir("sab-pkg-"), "spark-autobundle");
  mkdirSync(pkg, { recursive: true });
  cpSync(join(REPO_ROOT, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(pkg, "node_modules"), "dir");
  const entryPoints = await fg("src/**/*.ts", { cwd: REPO_ROOT, absolute: true, ignore: ["**/*.d.ts"] });
  await build({ entryPoints, outdir: join(pkg, "dist"), outbase: join(REPO_ROOT, "src"), format: "esm", platform: "node", target: "node20", logLevel: "error" });
  return pkg;
}

/**
 * fixtures/<name> copied where it can import the built package. One with a package.json of its own
 * that depends on spark-autobundle (pricetag: a standalone example) goes beside the package, with it and
 * vitest in its node_modules as `npm install` would put them (beside, not inside: inside, that link
 * would make a directory loop).
 * The others go into the package at fixtures/<as> and resolve it by self-reference, as in the repo.
 */
export function fixtureIn(pkg: string, name: string, as = name): string {
  const manifest = join(REPO_ROOT, "fixtures", name, "package.json");
  const standalone = existsSync(manifest) && "spark-autobundle" in ((JSON.parse(readFileSync(manifest, "utf8")) as { devDependencies?: object }).devDependencies ?? {});
  const dest = join(standalone ? dirname(pkg) : pkg, "fixtures", as);
  cpSync(join(REPO_ROOT, "fixtures", name), dest, { recursive: true, filter: (src) => !/(__pycache__|node_modules)$/.test(src) });
  if (standalone) {
    mkdirSync(join(dest, "node_modules"), { recursive: true });
    symlinkSync(pkg, join(dest, "node_modules", "spark-autobundle"), "dir");
    symlinkSync(join(REPO_ROOT, "node_modules", "vitest"), join(dest, "node_modules", "vitest"), "dir");
  }
  return dest;
}

export interface JsonReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{
    name: string;
    status: string;
    message: string;
    assertionResults: Array<{ title: string; status: string; failureMessages: string[]; meta: Record<string, unknown> }>;
  }>;
}

export interface VitestRun {
  code: number | null;
  output: string;
  report: JsonReport | undefined;
}

/** The environment a child vitest gets: ours minus this worker's own VITEST_* markers. */
export function childEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("VITEST")) env[key] = value;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** `vitest run` in `cwd` with the default and JSON reporters; resolves when it exits. */
export function runVitest(cwd: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<VitestRun> {
  const reportFile = join(tempDir("sab-report-"), "report.json");
  const child = spawn(process.execPath, [VITEST_BIN, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${reportFile}`, ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output, report: readReport(reportFile) }));
  });
}

function readReport(file: string): JsonReport | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as JsonReport;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // vitest failed before reporting; the output says why
    throw err;
  }
}
