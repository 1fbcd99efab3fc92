import { chmodSync, cpSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { hashFiles } from "../../../src/bundle/archive/hash.js";
import { detectLayout } from "../../../src/bundle/project/layout.js";
import { BundleError } from "../../../src/bundle/errors.js";
import { selectFiles } from "../../../src/bundle/select/select.js";
import { checkZipPath, writeDeterministicZip } from "../../../src/bundle/archive/zip.js";
import { copyFixture, makeTree, python, tempDir } from "../helpers.js";

async function zipOf(root: string, extras: { zipPath: string; content: Buffer }[] = [], pythonRoots?: string[]) {
  const { files, hash12 } = await hashFiles(await selectFiles(root, detectLayout(root, pythonRoots), { useGit: false }));
  const out = join(tempDir(), "bundle.zip");
  const result = await writeDeterministicZip(out, files, extras);
  return { out, bytes: readFileSync(out), result, hash12 };
}

describe("deterministic zip", () => {
  test("same tree → byte-identical archive, also from a copy with other mtimes in another directory", async () => {
    const root = copyFixture("flatlib");
    chmodSync(join(root, "weblog/parse.py"), 0o755);
    const first = await zipOf(root);
    const second = await zipOf(root);
    const copy = join(tempDir(), "other", "place");
    cpSync(root, copy, { recursive: true });
    for (const rel of ["weblog/__init__.py", "weblog/geo/data/countries.json"]) utimesSync(join(copy, rel), new Date(2010, 5, 5), new Date(2011, 6, 6));
    const fromCopy = await zipOf(copy);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(fromCopy.bytes.equals(first.bytes)).toBe(true);
    expect(first.result.bytes).toBe(first.bytes.length);
    expect(first.result.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test("Python's zipfile sees sorted entries, the fixed timestamp, fixed modes, and directory entries", async () => {
    const root = copyFixture("flatlib");
    chmodSync(join(root, "weblog/parse.py"), 0o755);
    const { out } = await zipOf(root);
    const listing = JSON.parse(python(
      `import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, i.date_time, oct(i.external_attr >> 16)] for i in z.infolist()]))`,
      [out],
    )) as [string, number[], string][];
    expect(listing.map(([name]) => name)).toEqual([
      "weblog/", "weblog/__init__.py", "weblog/geo/", "weblog/geo/__init__.py", "weblog/geo/data/",
      "weblog/geo/data/countries.json", "weblog/geo/lookup.py", "weblog/parse.py",
    ]);
    expect(new Set(listing.map(([, date]) => date.join(",")))).toEqual(new Set(["1980,1,1,0,0,0"]));
    const modes = Object.fromEntries(listing.map(([name, , mode]) => [name, mode]));
    expect(modes["weblog/"]).toBe("0o40755");
    expect(modes["weblog/parse.py"]).toBe("0o100755");
    expect(modes["weblog/__init__.py"]).toBe("0o100644");
  });

  test("the zip imports in real Python, including importlib.resources data and the extra loader entry", async () => {
    const root = copyFixture("flatlib");
    const loader = { zipPath: "_sab_loader_0123456789ab.py", content: Buffer.from("MARK = 'loaded'\n") };
    const { out } = await zipOf(root, [loader]);
    const result = JSON.parse(python(
      `import json, sys
sys.path.insert(0, sys.argv[1])
import importlib.resources, weblog, weblog.geo, _sab_loader_0123456789ab as loader
line = '203.0.113.9 - - [02/Jan/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 512'
print(json.dumps({
  "from_zip": weblog.__file__.startswith(sys.argv[1]),
  "day": weblog.day_of(line), "bytes": weblog.bytes_of(line), "bad": weblog.parse_line("nope"),
  "country": weblog.geo.country_of("203.0.113.9"),
  "data": json.loads(importlib.resources.files("weblog.geo").joinpath("data/countries.json").read_text())["prefixes"]["10.1."],
  "loader": loader.MARK,
}))`,
      [out],
    ));
    expect(result).toEqual({ from_zip: true, day: "2024-01-02", bytes: 512, bad: null, country: "AU", data: "NL", loader: "loaded" });
  });

  test("namespace packages and src-layout packages import from the zip", async () => {
    const ns = makeTree({ "py/nsp/mod.py": "VALUE = 7\n" });
    const { out: nsZip } = await zipOf(ns, [], ["py"]);
    const { out: srcZip } = await zipOf(copyFixture("srclayout"));
    const printed = python(
      `import sys
sys.path[:0] = sys.argv[1:3]
import nsp.mod, textkit
print(nsp.mod.VALUE, textkit.normalize("  Hello   World "), textkit.slug("Hello, Wörld!"))`,
      [nsZip, srcZip],
    );
    expect(printed.trim()).toBe("7 hello world hello-world");
  });

  test("unsafe or clashing entry names are refused", async () => {
    for (const bad of ["/abs.py", "../up.py", "a//b.py", "a\\b.py", "./x.py", "C:/x.py"]) {
      expect(() => checkZipPath(bad)).toThrow(BundleError);
    }
    const root = makeTree({ "m.py": "" });
    await expect(zipOf(root, [{ zipPath: "m.py", content: Buffer.from("") }])).rejects.toThrow(/both named "m\.py"/);
  });
});
