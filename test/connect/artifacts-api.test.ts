// spark.addArtifacts's name rules (pyspark's kinds, content-addressed names, reserved and clashing
// names) without a server; the real-server round trip is in rpc/artifacts-stream.spark.test.ts.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { artifactTarget, parseArtifactPath, SessionArtifacts, splitArtifactArgs, type ArtifactSessionPort } from "../../src/connect/artifacts-api.js";
import { tempDir } from "../bundle/helpers.js";

const SHA = "0123456789abcdef".repeat(4);

describe("artifactTarget: pyspark's kinds, content-addressed names", () => {
  it.each([
    ["/p/mod.py", { pyfile: true }, "pyfile", "mod.py", "pyfiles/0123456789ab/mod.py"],
    ["/p/lib.zip", { pyfile: true }, "pyfile", "lib.zip", "pyfiles/0123456789ab/lib.zip"],
    ["/p/lib.egg", { pyfile: true }, "pyfile", "lib.egg", "pyfiles/0123456789ab/lib.egg"],
    ["/p/data.txt", { file: true }, "file", "data.txt", "files/0123456789ab/data.txt"],
    ["/p/a.zip#dir", { archive: true }, "archive", "dir", "archives/0123456789ab/a.zip#dir"],
    ["/p/a.tar.gz", { archive: true }, "archive", "a.tar.gz", "archives/0123456789ab/a.tar.gz#a.tar.gz"],
    ["/p/udfs.jar", {}, "jar", "udfs.jar", "jars/udfs-0123456789ab.jar"],
    // pyspark falls through to the jar rule when the flag's suffixes don't match.
    ["/p/udfs.jar", { archive: false, file: false }, "jar", "udfs.jar", "jars/udfs-0123456789ab.jar"],
  ] as const)("%s %o → %s %s", (spec, options, kind, visible, name) => {
    expect(artifactTarget(spec, options, SHA)).toMatchObject({ kind, visible, name, path: resolve(spec.split("#")[0]!) });
  });

  it("a # is the archive's directory only for archives; elsewhere it is part of the file name", () => {
    expect(artifactTarget("/p/a#1.txt", { file: true }, SHA)).toMatchObject({ visible: "a#1.txt", name: "files/0123456789ab/a#1.txt" });
    expect(parseArtifactPath("/p/x.zip#d", true)).toEqual({ path: resolve("/p/x.zip"), fragment: "d" });
    expect(() => parseArtifactPath("/p/x#y.zip#d", true)).toThrow(/can't contain one too/);
    expect(() => parseArtifactPath("/p/x.zip#a/b", true)).toThrow(/plain name/);
  });

  it("file: URLs are local paths (fragment included); other schemes are refused, Windows drives are paths", () => {
    const url = `${pathToFileURL("/p/my data.zip").href}#d`;
    expect(parseArtifactPath(url, true)).toEqual({ path: resolve("/p/my data.zip"), fragment: "d" });
    expect(() => parseArtifactPath("https://x/y.zip", true)).toThrow(/only local files/);
    expect(parseArtifactPath("C:\\Users\\a b\\x.zip", true).fragment).toBeUndefined();
  });

  it("refuses unsupported formats with the options that would take them", () => {
    expect(() => artifactTarget("/p/data.csv", {}, SHA)).toThrow(expect.objectContaining({ errorClass: "UNSUPPORTED_OPERATION", message: expect.stringContaining("{ file: true }") }));
    expect(() => artifactTarget("/p/x.txt", { pyfile: true }, SHA)).toThrow(/pyfile: \.py, \.zip/);
    expect(() => artifactTarget("/p/x.rar", { archive: true }, SHA)).toThrow(/archive: \.zip/);
  });

  it("refuses the auto-bundle's names (sab-*, _sab_*, <name>-<hash12>.zip), whatever the kind", () => {
    for (const [spec, options] of [
      ["/p/sab-deps-0123456789ab.zip", { pyfile: true }],
      ["/p/_sab_loader_0123456789ab.py", { pyfile: true }],
      ["/p/mylib-0123456789ab.zip", { pyfile: true }],
      ["/p/x.zip#sab-native-0123456789ab", { archive: true }],
      ["/p/sab-requirements.txt", { file: true }],
    ] as const) {
      expect(() => artifactTarget(spec, options, SHA), spec).toThrow(expect.objectContaining({ errorClass: "ARTIFACT_NAME_RESERVED" }));
    }
    expect(artifactTarget("/p/mylib-v2.zip", { pyfile: true }, SHA).visible).toBe("mylib-v2.zip");
  });
});

describe("splitArtifactArgs", () => {
  it("takes paths (or an array of them) and one trailing options object", () => {
    expect(splitArtifactArgs(["a.py", "b.py", { pyfile: true }])).toEqual({ paths: ["a.py", "b.py"], options: { pyfile: true } });
    expect(splitArtifactArgs([["a.py", "b.py"], { pyfile: true }])).toEqual({ paths: ["a.py", "b.py"], options: { pyfile: true } });
    expect(splitArtifactArgs(["x.jar"])).toEqual({ paths: ["x.jar"], options: {} });
    expect(() => splitArtifactArgs([{ pyfile: true }, "a.py"] as never)).toThrow(/paths \(strings\)/);
  });
});

describe("SessionArtifacts: refusals before anything is sent", () => {
  // A transport that fails the test if called: these calls must be refused client-side.
  const port: ArtifactSessionPort = {
    client: {
      artifactStatuses: () => Promise.reject(new Error("no RPC expected")),
      addArtifacts: () => Promise.reject(new Error("no RPC expected")),
    } as never,
    onSessionChange: () => () => undefined,
    addPlanHook: () => () => undefined,
  };

  it("two kinds at once, no path, a missing file (named), a directory", async () => {
    const artifacts = new SessionArtifacts(port);
    const dir = tempDir();
    await expect(artifacts.add(["a.py"], { pyfile: true, file: true })).rejects.toMatchObject({ errorClass: "INVALID_MULTIPLE_ARGUMENT_CONDITIONS" });
    await expect(artifacts.add([], {})).rejects.toThrow(/at least one path/);
    await expect(artifacts.add([join(dir, "gone.txt")], { file: true })).rejects.toMatchObject({ errorClass: "ARTIFACT_UNREADABLE", message: expect.stringContaining(join(dir, "gone.txt")) });
    await expect(artifacts.add([dir], { file: true })).rejects.toThrow(/is a directory/);
  });

  it("two different files under one visible name in one call (files and pyfiles share the workers' directory)", async () => {
    const [a, b] = [tempDir(), tempDir()];
    writeFileSync(join(a, "same.zip"), "one");
    writeFileSync(join(b, "same.zip"), "two");
    await expect(new SessionArtifacts(port).add([join(a, "same.zip"), join(b, "same.zip")], { pyfile: true })).rejects.toMatchObject({
      errorClass: "ARTIFACT_ALREADY_EXISTS",
      message: expect.stringContaining(join(a, "same.zip")),
    });
  });

  it("copyFromLocalToFs: a destination with a scheme, or relative, is refused", async () => {
    const artifacts = new SessionArtifacts(port);
    await expect(artifacts.copyFromLocalToFs("x", "hdfs:///data/x")).rejects.toMatchObject({ errorClass: "NO_SCHEMA_AND_DRIVER_DEFAULT_SCHEME" });
    await expect(artifacts.copyFromLocalToFs("x", "data/x")).rejects.toThrow(/absolute path/);
  });
});
