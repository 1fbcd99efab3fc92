import { execFileSync } from "node:child_process";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { describe, expect, test } from "vitest";
import { BundleError } from "../../../src/bundle/errors.js";
import { callerFileFromStack, fileFromStackLine, findProjectRoot, PROJECT_MARKERS } from "../../../src/bundle/project/root.js";
import { makeTree, REPO_ROOT, tempDir } from "../helpers.js";

describe("findProjectRoot", () => {
  test("explicit root wins over the caller file, and accepts a file:// URL", () => {
    const a = makeTree({ "package.json": "{}", "x/run.ts": "" });
    const b = makeTree({ "pyproject.toml": "" });
    expect(findProjectRoot({ root: b, callerFile: join(a, "x/run.ts") })).toBe(b);
    expect(findProjectRoot({ root: pathToFileURL(b).href })).toBe(b);
  });

  test.each(PROJECT_MARKERS)("walks up from the caller file to the nearest %s", (marker) => {
    const root = tempDir();
    if (marker === ".git") mkdirSync(join(root, ".git"));
    else writeFileSync(join(root, marker), "");
    const caller = join(root, "deep/er/script.ts");
    makeTree({ "deep/er/script.ts": "" }, root);
    expect(findProjectRoot({ callerFile: caller })).toBe(root);
    expect(findProjectRoot({ callerFile: pathToFileURL(caller).href })).toBe(root);
  });

  test("the nearest marker wins over one further up", () => {
    const outer = makeTree({ "package.json": "{}", "inner/pyproject.toml": "", "inner/app/main.ts": "" });
    expect(findProjectRoot({ callerFile: join(outer, "inner/app/main.ts") })).toBe(join(outer, "inner"));
  });

  test("no marker anywhere: the error names what was looked for, where, and how to set root", () => {
    const start = join(tempDir(), "a/b");
    mkdirSync(start, { recursive: true });
    let caught: unknown;
    try {
      findProjectRoot({ callerFile: join(start, "main.ts") });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BundleError);
    const message = (caught as BundleError).message;
    expect((caught as BundleError).code).toBe("ROOT_NOT_FOUND");
    for (const marker of PROJECT_MARKERS) expect(message).toContain(marker);
    expect(message).toContain(start);
    expect(message).toContain("`root` option");
    expect(message).toContain('"sparkAutobundle"');
  });

  test("an explicit root that is not a directory is refused with the fix", () => {
    const file = join(makeTree({ "f.txt": "" }), "f.txt");
    expect(() => findProjectRoot({ root: file })).toThrow(/not a directory.*`root` option/);
  });
});

describe("callerFileFromStack", () => {
  test("under vitest, the first frame outside src/ is this test file", () => {
    expect(callerFileFromStack()).toBe(realpathSync(new URL(import.meta.url).pathname));
  });

  test("a tsx script is its own caller; skipFrames skips outside frames", () => {
    const rootTs = pathToFileURL(join(REPO_ROOT, "src/bundle/project/root.ts")).href;
    const dir = makeTree({
      "helper.mts": `import { callerFileFromStack } from ${JSON.stringify(rootTs)};\nexport const whoCalls = (skip: number) => callerFileFromStack(skip);\n`,
      "main.mts": `import { whoCalls } from "./helper.mts";\nconsole.log(JSON.stringify([whoCalls(0), whoCalls(1)]));\n`,
    });
    const out = execFileSync(join(REPO_ROOT, "node_modules/.bin/tsx"), [join(dir, "main.mts")], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual([join(dir, "helper.mts"), join(dir, "main.mts")]);
  });

  test("compiled dist code called from plain node ESM and CJS finds the caller", async () => {
    // A stand-in installed package: <pkg>/package.json + <pkg>/dist/bundle/root.js.
    const pkg = makeTree({ "package.json": JSON.stringify({ name: "spark-autobundle", type: "module" }) });
    await build({
      entryPoints: [join(REPO_ROOT, "src/bundle/project/root.ts")],
      outfile: join(pkg, "dist/bundle/root.js"),
      bundle: true,
      platform: "node",
      format: "esm",
      logLevel: "silent",
    });
    const rootJs = join(pkg, "dist/bundle/root.js");
    const app = makeTree({
      "esm.mjs": `import { callerFileFromStack } from ${JSON.stringify(pathToFileURL(rootJs).href)};\nconsole.log(callerFileFromStack());\n`,
      // require() of an ES module is unflagged from Node 20.19 (the engines floor).
      "cjs.cjs": `const { callerFileFromStack } = require(${JSON.stringify(rootJs)});\nconsole.log(callerFileFromStack());\n`,
    });
    for (const name of ["esm.mjs", "cjs.cjs"]) {
      const out = execFileSync(process.execPath, [join(app, name)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      expect(out.trim()).toBe(join(app, name));
    }
  });
});

describe("fileFromStackLine", () => {
  test.each([
    ["    at main (file:///home/u/app/run.ts:3:5)", "/home/u/app/run.ts"],
    ["    at file:///home/u/my%20app/run.mjs:1:1", "/home/u/my app/run.mjs"],
    ["    at Object.<anonymous> (/home/u/app/run.cjs:10:2)", "/home/u/app/run.cjs"],
    ["    at async Promise.all (index 0)", undefined],
    ["    at async main (/home/u/a b/c.js:1:2)", "/home/u/a b/c.js"],
    ["    at /home/u/app/x.js:1:2", "/home/u/app/x.js"],
    ["    at new Thing (C:\\Users\\u\\app\\x.js:1:2)", "C:\\Users\\u\\app\\x.js"],
    ["    at Module._compile (node:internal/modules/cjs/loader:1554:14)", undefined],
    ["    at eval (eval at run (/a/b.js:1:1), <anonymous>:1:1)", undefined],
    ["Error: boom", undefined],
  ])("%s", (line, expected) => {
    expect(fileFromStackLine(line)).toBe(expected);
  });
});
