// `npm test`: the vitest projects one after another (unit, local, cluster, spark35), so each run
// holds only its own servers. One `vitest run` over all projects starts every project's global setup
// before the first test and keeps them all alive: 6-8 JVMs on a 2-core machine. Arguments are passed
// to every run (e.g. `npm test -- test/bundle`); a project with no matching file is skipped.
// The per-project JSON reports are merged into .test-results.json, which .ci/run summarises.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const PROJECTS = ["unit", "local", "cluster", "spark35"];
const args = process.argv.slice(2);
const merged = { numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, success: true, projects: {}, testResults: [] };
let status = 0;

for (const project of PROJECTS) {
  const report = `.test-results-${project}.json`;
  rmSync(report, { force: true });
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    ["node_modules/vitest/vitest.mjs", "run", "--project", project, "--passWithNoTests", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args],
    { stdio: "inherit" },
  );
  const code = run.status ?? 1;
  if (code !== 0) status = code;
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(report)) {
    // vitest died before reporting (a global setup failed): count it as a failure, never as "no tests".
    merged.success = false;
    merged.numFailedTests += 1;
    merged.projects[project] = { exitCode: code, seconds, reported: false };
    continue;
  }
  const result = JSON.parse(readFileSync(report, "utf8"));
  rmSync(report, { force: true });
  for (const key of ["numTotalTests", "numPassedTests", "numFailedTests", "numPendingTests", "numTodoTests"]) merged[key] += result[key] ?? 0;
  merged.success &&= code === 0 && result.success !== false;
  merged.testResults.push(...(result.testResults ?? []));
  merged.projects[project] = { exitCode: code, seconds, passed: result.numPassedTests, failed: result.numFailedTests, skipped: result.numPendingTests };
  console.log(`[${project}] ${result.numPassedTests} passed, ${result.numFailedTests} failed, ${result.numPendingTests} skipped in ${seconds} s`);
}

writeFileSync(".test-results.json", JSON.stringify(merged));
process.exit(status);
