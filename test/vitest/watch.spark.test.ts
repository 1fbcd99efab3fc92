// `vitest --watch` on the pricetag fixture: editing a .py file re-runs the tests, with the new code.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, inject, it } from "vitest";
import { builtPackage, childEnv, fixtureIn, VITEST_BIN } from "./helpers.js";

/** Resolves once `predicate(output)` holds; rejects if the process exits first or after `ms`. */
function waitForOutput(read: () => string, exited: () => boolean, predicate: (output: string) => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (predicate(read())) return resolve();
      if (exited()) return reject(new Error(`vitest exited early:\n${read()}`));
      if (Date.now() > deadline) return reject(new Error(`gave up waiting after ${ms / 1000} s:\n${read()}`));
      setTimeout(poll, 250);
    };
    poll();
  });
}

it("re-runs the tests with the edited Python when a .py file changes", async () => {
  const project = fixtureIn(await builtPackage(), "pricetag");
  const child = spawn(process.execPath, [VITEST_BIN, "--watch", "test/labels.test.ts"], {
    cwd: project,
    env: childEnv({ SPARK_REMOTE: inject("sparkRemote"), SPARK_AUTOBUNDLE_PYTHON_VERSION: inject("sparkPythonVersion") || undefined, NO_COLOR: "1" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let exited = false;
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<void>((resolve) => child.on("close", () => ((exited = true), resolve())));
  const runsDone = (text: string) => text.split("press h to show help").length - 1;
  try {
    await waitForOutput(() => output, () => exited, (text) => runsDone(text) >= 1, 180_000);
    expect(output).toContain("Tests  2 passed");

    const labels = join(project, "pricetag", "labels.py");
    const source = readFileSync(labels, "utf8");
    const joinWords = 'return " ".join(_NOT_WORD.sub(" ", plain).split())';
    expect(source).toContain(joinWords);
    writeFileSync(labels, source.replace(joinWords, joinWords.replace('" ".join', '"-".join')));

    await waitForOutput(() => output, () => exited, (text) => runsDone(text) >= 2, 180_000);
    const rerun = output.slice(output.indexOf("RERUN"));
    expect(rerun).toMatch(/RERUN\s+pricetag\/labels\.py/);
    // The failing assertion shows what the edited function returned: the new code ran.
    expect(rerun).toContain("creme-brulee-4-100g");
  } finally {
    child.kill("SIGTERM");
    await closed;
  }
}, 420_000);
