// The plugin as vitest itself resolves it, in subprocesses (no Spark needed): the fixture projects
// import "spark-autobundle/vitest" from a package built from the current source (see helpers.ts).
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import fg from "fast-glob";
import { beforeAll, describe, expect, it } from "vitest";
import { builtPackage, childEnv, fixtureIn, REPO_ROOT, runVitest } from "./helpers.js";

const run = promisify(execFile);
const INSPECT = join(REPO_ROOT, "test", "vitest", "inspect-config.mjs");

interface Inspected {
  forceRerunTriggers: string[];
  globalSetup: string[];
  testTimeout: number;
  provided: Record<string, unknown>;
  watchesAwaitedDir?: boolean;
}

/** Files on disk the plugin's (absolute) triggers match; fast-glob mis-expands them mixed with vitest's relative defaults. */
const triggeredFiles = async (config: Inspected) => (await fg(config.forceRerunTriggers.filter((t) => isAbsolute(t)), { absolute: true })).sort();

async function inspect(root: string, awaitedDir?: string): Promise<Inspected> {
  const { stdout } = await run(process.execPath, [INSPECT, root, ...(awaitedDir ? [awaitedDir] : [])], { env: childEnv() });
  return JSON.parse(stdout) as Inspected;
}

function write(root: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

let pkg: string;
beforeAll(async () => {
  pkg = await builtPackage();
});

describe("sparkAutobundle() as vitest resolves it", () => {
  it("adds the globalSetup, a Spark-sized timeout, and the project's Python files to the re-run triggers", async () => {
    const project = fixtureIn(pkg, "pricetag");
    const config = await inspect(project);
    expect(config.globalSetup).toEqual([join(pkg, "dist", "vitest", "setup.js")]);
    expect(config.testTimeout).toBe(60_000);
    expect(config.provided).toEqual({ sparkAutobundleOptions: {} });
    // vitest's own defaults stay.
    expect(config.forceRerunTriggers).toEqual(expect.arrayContaining(["**/package.json/**", "**/{vitest,vite}.config.*/**"]));
    expect(await triggeredFiles(config)).toEqual(
      ["pricetag/__init__.py", "pricetag/amounts.py", "pricetag/data/currencies.json", "pricetag/labels.py"].map((f) => join(project, f)),
    );
  });

  it("watches a Python root outside vitest's root (monorepo web/ + py/)", async () => {
    const repo = join(pkg, "fixtures", "mono");
    write(repo, {
      "web/vitest.config.ts": `import { defineConfig } from "vitest/config";\nimport { sparkAutobundle } from "spark-autobundle/vitest";\nexport default defineConfig({ plugins: [sparkAutobundle({ bundle: { root: "../py" } })] });\n`,
      "py/pyproject.toml": '[project]\nname = "shop"\n',
      "py/shop/__init__.py": "",
      "py/shop/prices.py": "def net(x):\n    return x\n",
    });
    const config = await inspect(join(repo, "web"), join(repo, "py"));
    expect(config.watchesAwaitedDir).toBe(true);
    expect(await triggeredFiles(config)).toEqual([join(repo, "py/shop/__init__.py"), join(repo, "py/shop/prices.py")]);
  });

  it("leaves triggers and a configured timeout alone with watch: false", async () => {
    const project = write(join(pkg, "fixtures", "nowatch"), {
      "vitest.config.ts": `import { defineConfig } from "vitest/config";\nimport { sparkAutobundle } from "spark-autobundle/vitest";\nexport default defineConfig({ plugins: [sparkAutobundle({ watch: false })], test: { testTimeout: 5000 } });\n`,
      "pyproject.toml": '[project]\nname = "nowatch"\n',
      "tool.py": "",
    });
    const config = await inspect(project);
    expect(config.forceRerunTriggers).toEqual(["**/package.json/**", "**/{vitest,vite}.config.*/**"]);
    expect(config.testTimeout).toBe(5000);
    expect(config.provided).toEqual({ sparkAutobundleOptions: { watch: false } });
  });
});

describe("sparkTest outside its setup", () => {
  it("imports cleanly where vitest.config runs (no test worker), and sparkTest says where it belongs", async () => {
    const code = `const m = await import("spark-autobundle/vitest");
console.log(typeof m.sparkAutobundle);
try { m.sparkTest("x", () => {}); } catch (e) { console.log(e.message); }`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: pkg, env: childEnv() });
    const [pluginType, message] = stdout.trim().split("\n");
    expect(pluginType).toBe("function");
    expect(message).toMatch(/sparkTest was called outside a vitest test file.*Fix: use it only in test files/);
  });

  it("fails a test that uses `spark` without the plugin, naming the fix; tests without `spark` still run", async () => {
    const project = write(join(pkg, "fixtures", "noplugin"), {
      "vitest.config.ts": `import { defineConfig } from "vitest/config";\nexport default defineConfig({ test: { include: ["*.test.ts"] } });\n`,
      "x.test.ts": `import { expect } from "vitest";\nimport { sparkTest } from "spark-autobundle/vitest";\n` +
        `sparkTest("needs spark", async ({ spark }) => { expect(spark).toBeDefined(); });\n` +
        `sparkTest("plain", () => { expect(1 + 1).toBe(2); });\n`,
    });
    const result = await runVitest(project, childEnv({ NO_COLOR: "1" }));
    expect(result.code).toBe(1);
    const tests = result.report!.testResults[0]!.assertionResults;
    expect(tests.map((t) => [t.title, t.status])).toEqual([["needs spark", "failed"], ["plain", "passed"]]);
    expect(tests[0]!.failureMessages.join("\n")).toMatch(/sparkTest has no Spark server.*Fix: add the plugin to vitest\.config\.ts.*plugins: \[sparkAutobundle\(\)\]/s);
  });
});
