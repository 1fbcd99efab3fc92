// The committed src/gen must be exactly what `npm run gen` makes from proto/ (buf's part; the
// embedded sources in src/gen/embedded.ts are checked by embedded.test.ts, the function library in
// src/gen/functions.ts by functions.test.ts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return out;
}

describe("generated protobuf code", () => {
  it("is up to date with proto/ (run `npm run gen` if this fails)", () => {
    const out = mkdtempSync(join(tmpdir(), "sab-gen-"));
    execFileSync(join(repo, "node_modules/.bin/buf"), ["generate", "-o", out], {
      cwd: repo,
      env: { ...process.env, PATH: `${join(repo, "node_modules/.bin")}:${process.env.PATH}` },
    });
    const fresh = files(join(out, "src/gen"));
    const committed = files(join(repo, "src/gen"));
    committed.delete("embedded.ts");
    committed.delete("functions.ts"); // scripts/gen-functions.mjs's, checked by functions.test.ts
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [path, text] of fresh) expect(committed.get(path), `src/gen/${path} is stale`).toBe(text);
  });
});
