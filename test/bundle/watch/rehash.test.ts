// Watch-mode rebuilds go through the same stat cache as every build: after an edit only the edited
// file is hashed again. Counted at the source: every open() the bundler makes (node:fs wrapped).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { makeTree } from "../helpers.js";
import { trackProject, until, zipText } from "./helpers.js";

const opened = vi.hoisted(() => [] as string[]);
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  const openSync = (...args: Parameters<typeof actual.openSync>) => {
    opened.push(String(args[0]));
    return actual.openSync(...args);
  };
  return { ...actual, default: { ...actual, openSync }, openSync };
});

const files: Record<string, string> = { "mylib/__init__.py": "" };
for (let i = 0; i < 30; i++) files[`mylib/m${i}.py`] = `def f(x):\n    return x + ${i}\n`;
const root = makeTree(files);
const project = trackProject(root);
afterAll(() => project.tracker.close());

it("re-hashes only the edited file when rebuilding after a change", async () => {
  const ours = () => opened.filter((path) => path.startsWith(root + "/"));
  const m7 = join(root, "mylib/m7.py");
  const original = files["mylib/m7.py"]!;
  await until(() => project.updates().length === 1, "the first background build");
  expect(new Set(ours()).size).toBe(31); // the first build read everything

  writeFileSync(m7, "def f(x):\n    return 'seven'\n");
  await until(() => project.updates().length === 2, "the rebuild after the edit");
  expect(zipText(project.latest()!.zipPath, "mylib/m7.py")).toContain("'seven'");

  // Back to the first content: its archive is cached, so nothing is zipped and every read is hashing.
  opened.length = 0;
  writeFileSync(m7, original);
  await until(() => project.updates().length === 3, "the rebuild after the revert");
  expect(project.latest()!.hash).toBe(project.updates()[0]!.toHash);
  expect(ours()).toEqual([m7]);
});
