import { describe, expect, it } from "vitest";
import { validateVitestOptions } from "../../src/vitest/options.js";

describe("validateVitestOptions", () => {
  it("accepts every documented option and returns a copy that survives structuredClone", () => {
    const given = {
      remote: " sc://spark.example.com:15002/;token=abc ",
      bundle: { exclude: ["notebooks/**"], pythonRoots: ["python"], maxFileBytes: 1024 },
      pythonVersion: "3.11",
      keepServer: true,
      watch: false,
    };
    const checked = validateVitestOptions(given);
    expect(checked).toEqual({ ...given, remote: "sc://spark.example.com:15002/;token=abc" });
    expect(structuredClone(checked)).toEqual(checked);
    expect(checked.bundle).not.toBe(given.bundle);
  });

  it("treats no options as defaults", () => {
    expect(validateVitestOptions(undefined)).toEqual({});
    expect(validateVitestOptions({ remote: undefined })).toEqual({});
  });

  it("names an unknown key and the known ones", () => {
    expect(() => validateVitestOptions({ remot: "sc://x" })).toThrow(/unknown key "remot"\. Known keys: remote, bundle/);
  });

  it("rejects wrong types with the expected form", () => {
    expect(() => validateVitestOptions("sc://x")).toThrow(/must be an object/);
    expect(() => validateVitestOptions({ remote: "" })).toThrow(/remote must be a non-empty string/);
    expect(() => validateVitestOptions({ watch: "yes" })).toThrow(/watch must be true or false/);
    expect(() => validateVitestOptions({ pythonVersion: "3" })).toThrow(/"major\.minor".*e\.g\. "3\.11"/);
  });

  it("checks bundle settings with the bundler's own rules", () => {
    expect(() => validateVitestOptions({ bundle: { exclude: "notebooks/**" } })).toThrow(/bundle\.exclude must be an array of strings/);
    expect(() => validateVitestOptions({ bundle: { onEvent: () => {} } })).toThrow(/unknown key "onEvent"/);
    expect(() => validateVitestOptions({ bundle: { watch: true } })).toThrow(/set the top-level `watch` option instead/);
  });
});
