// Options given in code are checked up front, like package.json's: each bad one named with the fix.
import { homedir } from "node:os";
import { describe, expect, test } from "vitest";
import { buildBundle } from "../../../src/bundle/archive/build.js";
import { BundleError } from "../../../src/bundle/errors.js";
import { installAutoBundle } from "../../../src/bundle/hook.js";
import { resolveBundleSettings } from "../../../src/bundle/project/config.js";
import { FakeBundleSession } from "../../helpers/fake-bundle-session.js";
import { makeTree, tempDir } from "../helpers.js";

function errorOf(fn: () => unknown): BundleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BundleError) return err;
    throw err;
  }
  throw new Error("expected a BundleError");
}

describe("explicit options are validated", () => {
  const root = makeTree({ "app/__init__.py": "" });

  test.each([
    ["include", "app/*.py", /`include` must be an array of strings, e.g. \["pkg\/\*\*"\]; got the string "app\/\*\.py"/],
    ["exclude", "tests", /`exclude` must be an array of strings/],
    ["pythonRoots", "src", /`pythonRoots` must be an array of strings/],
    ["jars", "lib/a.jar", /`jars` must be an array of strings/],
    ["maxFileBytes", -1, /`maxFileBytes` must be a positive integer number of bytes.*got -1/],
    ["maxBundleBytes", 1.5, /`maxBundleBytes` must be a positive integer/],
    ["maxFileBytes", "10", /`maxFileBytes` must be a positive integer/],
    ["cacheDir", "", /`cacheDir` must be a non-empty string path/],
    ["watch", "yes", /`watch` must be true or false/],
    ["onEvent", "log", /`onEvent` must be a function/],
    ["pythonVersion", "3", /`pythonVersion` must be "major\.minor", e\.g\. "3\.11"/],
    ["dependencies", "requirements.txt", /`dependencies` must be false or an object/],
  ])("%s = %j is refused, naming the option and the fix", (key, value, message) => {
    const err = errorOf(() => resolveBundleSettings({ root, [key]: value } as never));
    expect(err.code).toBe("BAD_CONFIG");
    expect(err.message).toMatch(message);
  });

  test("several bad options: one error naming each of them", () => {
    const err = errorOf(() => resolveBundleSettings({ root, include: "a", maxFileBytes: 0 } as never));
    expect(err.message).toMatch(/`include` must be.*\n.*`maxFileBytes` must be/s);
  });

  test("buildBundle and withAutoBundle refuse them before any work (no odd glob error about \"/\")", async () => {
    await expect(buildBundle({ root, include: "app/*.py" } as never)).rejects.toThrow(/`include` must be an array of strings/);
    expect(() => installAutoBundle(new FakeBundleSession(), { root, maxFileBytes: -5 }, { pythonVersion: async () => "3.11", deps: () => { throw new Error("unused"); } })).toThrow(/`maxFileBytes` must be a positive integer/);
  });
});

describe("a project root that is a whole file system or home directory", () => {
  test.each([
    ["/", "the file system root"],
    [homedir(), "your home directory"],
  ])("root %s is refused with BAD_CONFIG naming how to set root", (dir, what) => {
    const err = errorOf(() => resolveBundleSettings({ root: dir }));
    expect(err.code).toBe("BAD_CONFIG");
    expect(err.message).toContain(what);
    expect(err.message).toMatch(/`root` option.*sparkAutobundle\.root/);
    expect(err.message).not.toMatch(/chmod|\/proc/);
  });

  test("found by walking up from the caller (a package.json in $HOME): refused the same way", () => {
    const home = tempDir("sab-home-");
    makeTree({ "package.json": "{}", "scripts/job.mjs": "" }, home);
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const err = errorOf(() => resolveBundleSettings({ callerFile: `${home}/scripts/job.mjs` }));
      expect(err.message).toContain("your home directory");
    } finally {
      process.env.HOME = saved;
    }
  });
});
