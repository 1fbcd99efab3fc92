import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { inject } from "vitest";
import { homeLayout, resolveHome, venvPython } from "../../src/server/home/paths.js";

/**
 * The Python interpreter (with pyspark installed) tests must use: the one the global Spark setup
 * provides, else $SPARK_AUTOBUNDLE_TEST_PYTHON, else the embedded server's provisioned venv.
 * Throws rather than letting tests skip silently.
 */
export function pysparkPython(): string {
  // Cast: the "sparkPython" key is declared by the global setup, which unit runs don't load.
  const provided = (inject as (key: string) => unknown)("sparkPython");
  if (typeof provided === "string" && provided !== "") return provided;
  const fromEnv = process.env.SPARK_AUTOBUNDLE_TEST_PYTHON;
  if (fromEnv) return fromEnv;
  const provisioned = venvPython(homeLayout(resolveHome()).venvDir);
  if (existsSync(provisioned)) return provisioned;
  throw new Error(
    "No Python with pyspark for tests: the vitest global setup did not provide 'sparkPython' and " +
      "SPARK_AUTOBUNDLE_TEST_PYTHON is unset, and no venv is provisioned yet. Fix: run `npm test` once, or set " +
      "SPARK_AUTOBUNDLE_TEST_PYTHON=/path/to/venv/bin/python (a venv with pyspark installed).",
  );
}

/**
 * Runs `code` with pysparkPython(), feeding `stdin`, and returns stdout.
 * Throws with the interpreter's stderr when it exits non-zero.
 */
export function runPython(code: string, stdin = ""): string {
  const python = pysparkPython();
  const result = spawnSync(python, ["-c", code], {
    input: stdin,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONIOENCODING: "utf-8" },
  });
  if (result.error) throw new Error(`could not start ${python}: ${result.error.message}`, { cause: result.error });
  if (result.status !== 0) {
    throw new Error(`${python} exited with ${result.status ?? result.signal}:\n${result.stderr}`);
  }
  return result.stdout;
}
