// src/gen/embedded.ts must be exactly what scripts/gen-embedded.mjs makes from the .py and .java files
// under src/, and each embedded Python source must compile, as Python 3.9 too (the oldest the workers
// may run). Behaviour is tested where each source is used (the loader, probes, wheels, provisioning).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EMBEDDED_FILES } from "../../src/gen/embedded.js";
import { runPython } from "../helpers/python.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

describe("embedded sources", () => {
  it("are up to date with their files (run `npm run gen:embedded` if this fails)", () => {
    const fresh = execFileSync(process.execPath, [join(repo, "scripts/gen-embedded.mjs"), "--stdout"], { cwd: repo, encoding: "utf8" });
    const committed = readFileSync(join(repo, "src/gen/embedded.ts"), "utf8");
    // Per file first, for a message that names the stale one.
    for (const [path, text] of Object.entries(EMBEDDED_FILES)) {
      expect(text, `${path} changed since src/gen/embedded.ts was generated`).toBe(readFileSync(join(repo, path), "utf8").replace(/\r\n/g, "\n"));
    }
    expect(committed === fresh, "src/gen/embedded.ts is stale (a source file was added, removed or renamed)").toBe(true);
  });

  it("compile with Python, as Python 3.9 syntax too", () => {
    const python = Object.fromEntries(Object.entries(EMBEDDED_FILES).filter(([path]) => path.endsWith(".py")));
    const check = [
      "import ast, json, sys",
      "failed = {}",
      "for path, source in json.load(sys.stdin).items():",
      "    try:",
      "        compile(source, path, 'exec', dont_inherit=True)",
      "        ast.parse(source, path, feature_version=(3, 9))",
      "    except SyntaxError as error:",
      "        failed[path] = str(error)",
      "print(json.dumps(failed))",
    ].join("\n");
    expect(JSON.parse(runPython(check, JSON.stringify(python)))).toEqual({});
  });
});
