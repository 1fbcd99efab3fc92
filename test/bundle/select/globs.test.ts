import { describe, expect, test } from "vitest";
import { globOnDisk, globOverPaths } from "../../../src/bundle/select/globs.js";
import { makeTree } from "../helpers.js";

describe("globOnDisk", () => {
  test("a literal file path matches that file (no ENOTDIR from its directory variant)", async () => {
    const root = makeTree({ "conf/app.toml": "a = 1", "conf/other.toml": "", "data/x.csv": "" });
    expect(await globOnDisk(root, ["conf/app.toml"])).toEqual(["conf/app.toml"]);
  });

  test("a directory name means everything under it; a missing literal path matches nothing", async () => {
    const root = makeTree({ "data/a.csv": "", "data/sub/b.csv": "", "other.txt": "" });
    expect((await globOnDisk(root, ["data", "missing.txt"])).sort()).toEqual(["data/a.csv", "data/sub/b.csv"]);
  });
});

describe("globOverPaths", () => {
  test("literal files and directories match over the virtual tree", () => {
    const matched = globOverPaths("/p", ["conf/app.toml", "data/a.csv", "data/sub/b.csv"], ["conf/app.toml", "data"]);
    expect([...matched].sort()).toEqual(["conf/app.toml", "data/a.csv", "data/sub/b.csv"]);
  });
});
