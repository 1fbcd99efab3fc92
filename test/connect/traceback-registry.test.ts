// What a worker's frame maps to, against real files on disk and a real wheel: the project's file (and
// whether it changed since the bundle), or a dependency's name and version.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatPythonFailure, registerBundleFiles, registerDependencies, registeredBundles, type FrameTarget, type ShippedFile } from "../../src/connect/python-traceback.js";
import { writeDeterministicZip } from "../../src/bundle/archive/zip.js";
import { zipEntryNames } from "../../src/shared/zip-names.js";

const dir = mkdtempSync(join(tmpdir(), "sab-tbreg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a project file and returns it as the bundle would have shipped it (content hash and stat). */
function shipped(rel: string, text: string): ShippedFile {
  const absPath = join(dir, rel);
  mkdirSync(join(absPath, ".."), { recursive: true });
  writeFileSync(absPath, text);
  const stat = statSync(absPath);
  return { zipPath: rel, absPath, sha256: createHash("sha256").update(text).digest("hex"), size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
}

const SOURCE = "def parse(s):\n    x = int(s)\n    return x / 0\n";
const WORKER = "/tmp/spark-1/userFiles-2/3";

describe("a project frame", () => {
  it("is the file on disk, with no note while the disk holds what ran", () => {
    const file = shipped("tbpkg/mod.py", SOURCE);
    registerBundleFiles("pyfiles/tbpkg-000000000001.zip", [file]);
    const target = registeredBundles("tbpkg-000000000001.zip", "tbpkg/mod.py") as FrameTarget;
    expect(target.file).toBe(file.absPath);
    expect(target.note).toBeUndefined();
    expect(target.sourceLine?.(3)).toBe("    return x / 0");
  });

  it("says the file changed on disk since the bundle ran, once its bytes differ", () => {
    const file = shipped("tbpkg/changed.py", SOURCE);
    registerBundleFiles("pyfiles/tbpkg-000000000002.zip", [file]);
    writeFileSync(file.absPath, SOURCE.replace("x / 0", "x / 1"));
    expect(registeredBundles("tbpkg-000000000002.zip", "tbpkg/changed.py")).toMatchObject({ note: "changed on disk since this bundle ran" });
  });

  it("does not call a touched file, or one saved with the same bytes, changed", () => {
    const file = shipped("tbpkg/touched.py", SOURCE);
    registerBundleFiles("pyfiles/tbpkg-000000000003.zip", [file]);
    utimesSync(file.absPath, new Date(), new Date(Date.now() + 5000));
    writeFileSync(file.absPath, SOURCE);
    expect((registeredBundles("tbpkg-000000000003.zip", "tbpkg/touched.py") as FrameTarget).note).toBeUndefined();
  });

  it("says so when the file was deleted", () => {
    const file = shipped("tbpkg/gone.py", SOURCE);
    registerBundleFiles("pyfiles/tbpkg-000000000004.zip", [file]);
    unlinkSync(file.absPath);
    expect(registeredBundles("tbpkg-000000000004.zip", "tbpkg/gone.py")).toMatchObject({ note: "deleted on disk since this bundle ran" });
  });
});

describe("a traceback through the registry", () => {
  const traceback = (zip: string, withSource: boolean) =>
    [
      "Traceback (most recent call last):",
      `  File "${WORKER}/${zip}/tbpkg/trace.py", line 3, in parse`,
      ...(withSource ? ["    return x / 0", "           ~~^~~"] : []),
      "ZeroDivisionError: division by zero",
    ].join("\n");

  it("keeps the line the worker printed (the shipped one) and notes a changed file after the frame", () => {
    const file = shipped("tbpkg/trace.py", SOURCE);
    registerBundleFiles("pyfiles/tbpkg-000000000005.zip", [file]);
    writeFileSync(file.absPath, "# edited since\n" + SOURCE);
    const out = formatPythonFailure(traceback("tbpkg-000000000005.zip", true), registeredBundles).split("\n");
    expect(out).toEqual([
      "ZeroDivisionError: division by zero",
      "Traceback (most recent call last):",
      `  File "${file.absPath}", line 3, in parse  (changed on disk since this bundle ran)`,
      "    return x / 0",
      "           ~~^~~",
    ]);
  });

  it("adds a missing source line from the disk only while the disk still holds the shipped bytes", () => {
    const file = shipped("tbpkg/trace.py", SOURCE);
    registerBundleFiles("pyfiles/tbpkg-000000000006.zip", [file]);
    const same = formatPythonFailure(traceback("tbpkg-000000000006.zip", false), registeredBundles).split("\n");
    expect(same.slice(2)).toEqual([`  File "${file.absPath}", line 3, in parse`, "    return x / 0"]);
    writeFileSync(file.absPath, SOURCE.replace("x / 0", "x // 0"));
    const changed = formatPythonFailure(traceback("tbpkg-000000000006.zip", false), registeredBundles).split("\n");
    expect(changed.slice(2)).toEqual([`  File "${file.absPath}", line 3, in parse  (changed on disk since this bundle ran)`]);
  });
});

describe("a dependency frame", () => {
  it("names the package and version, by its wheel's file list", async () => {
    // A real wheel (zip) whose top folder doesn't match its name, as python-dateutil's (dateutil/) doesn't.
    const wheel = join(dir, "python_dateutil-2.9.0-py2.py3-none-any.whl");
    await writeDeterministicZip(wheel, [], [
      { zipPath: "dateutil/parser/_parser.py", content: Buffer.from("raise ValueError\n") },
      { zipPath: "python_dateutil-2.9.0.dist-info/RECORD", content: Buffer.from("") },
    ]);
    expect(zipEntryNames(wheel)).toContain("dateutil/parser/_parser.py");
    registerDependencies("pyfiles/sab-deps-0123456789ab.zip", [
      { name: "python-dateutil", version: "2.9.0", wheel },
      { name: "six", version: "1.16.0" },
    ]);
    expect(registeredBundles("sab-deps-0123456789ab.zip", "dateutil/parser/_parser.py")).toEqual({ file: "python-dateutil 2.9.0: dateutil/parser/_parser.py" });
    // No wheel to read: a top-level module named like the package still names it.
    expect(registeredBundles("sab-deps-0123456789ab.zip", "six.py")).toEqual({ file: "six 1.16.0: six.py" });
    expect(registeredBundles("sab-deps-0123456789ab.zip", "other/x.py")).toEqual({ file: "sab-deps-0123456789ab.zip: other/x.py" });
  });

  it("reads a frame in the unpacked native archive the same way", () => {
    registerDependencies("archives/sab-native-0123456789ab.zip#sab-native-0123456789ab", [{ name: "numpy", version: "2.1.3" }]);
    const text = [
      "Traceback (most recent call last):",
      `  File "${WORKER}/sab-native-0123456789ab/numpy/_core/fromnumeric.py", line 57, in _wrapfunc`,
      "    return bound(*args, **kwds)",
      "ValueError: bad",
    ].join("\n");
    expect(formatPythonFailure(text, registeredBundles).split("\n")[2]).toBe('  File "numpy 2.1.3: numpy/_core/fromnumeric.py", line 57, in _wrapfunc');
  });

  it("reads no zip that isn't one", () => {
    const notZip = join(dir, "not.whl");
    writeFileSync(notZip, "plain text");
    expect(zipEntryNames(notZip)).toBeUndefined();
    expect(zipEntryNames(join(dir, "missing.whl"))).toBeUndefined();
  });
});
