// `npm test`: the vitest projects one after another (unit, local, cluster, spark35), so each run
// holds only its own servers. One `vitest run` over all projects starts every project's global setup
// before the first test and keeps them all alive: 6-8 JVMs on a 2-core machine. Arguments are passed
// to every run (e.g. `npm test -- test/bundle`); a project with no matching file is skipped.
// The per-project JSON reports are merged into .test-results.json, which .ci/run summarises.
//
// A full run (no arguments) starts each embedded server in the background one project early: the default
// line while the unit project runs, 3.5 while the cluster project runs, and the first smoke-tested line
// while the spark35 project runs (the lines project starts each further line during the one before).
// Their JVM start-up (~20 s each on this 2-core machine) then overlaps tests, and the projects find them
// running. Each is stopped as soon as its project is done, if this run started it, so at most two
// embedded servers (or the cluster's JVMs and one) run at once.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const PROJECTS = ["unit", "local", "cluster", "spark35", "lines"];
const args = process.argv.slice(2);
const merged = { numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, success: true, projects: {}, testResults: [] };
let status = 0;

/** `server start` for `line` in the background; resolves to whether it started a server (false: one was running). */
function prestart(line) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "server", "start", "--spark", line, "--json"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve) =>
    child.on("close", (code) => {
      // A failed start is left to the project's own setup, which reports it properly.
      try {
        resolve(code === 0 && JSON.parse(out).server?.reused === false);
      } catch {
        resolve(false);
      }
    }),
  );
}

function stopServer(line) {
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "server", "stop", "--spark", line], { stdio: "ignore" });
}

const prestarting = args.length === 0 && !process.env.SPARK_REMOTE;
const { defaultLine, smokeLines } = sparkLines();
/** Which line to start in the background as a project begins, and which line's project it is. */
const START_DURING = { unit: defaultLine, cluster: "3.5", spark35: smokeLines[0] };
const USES = { local: defaultLine, spark35: "3.5", lines: smokeLines[0] };

/** The default line and the smoke-tested ones, from the source (test/setup/lines.ts chooses the same). */
function sparkLines() {
  const code = `import("./src/server/provision/spark-lines.ts").then((m) => console.log(JSON.stringify({ defaultLine: m.DEFAULT_SPARK_LINE, lines: m.SPARK_LINES })))`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { encoding: "utf8" });
  const { defaultLine, lines } = JSON.parse(run.stdout);
  return { defaultLine, smokeLines: lines.filter((l) => l !== defaultLine && l !== "3.5") };
}
/** Line → whether this run started its server (a promise while the start is under way). */
const prestarted = {};

async function stopIfStarted(project) {
  const line = USES[project];
  if (line !== undefined && prestarted[line] !== undefined && (await prestarted[line])) stopServer(line);
}

for (const project of PROJECTS) {
  if (prestarting && START_DURING[project]) prestarted[START_DURING[project]] = prestart(START_DURING[project]);
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
    await stopIfStarted(project);
    continue;
  }
  const result = JSON.parse(readFileSync(report, "utf8"));
  rmSync(report, { force: true });
  for (const key of ["numTotalTests", "numPassedTests", "numFailedTests", "numPendingTests", "numTodoTests"]) merged[key] += result[key] ?? 0;
  merged.success &&= code === 0 && result.success !== false;
  merged.testResults.push(...(result.testResults ?? []));
  merged.projects[project] = { exitCode: code, seconds, passed: result.numPassedTests, failed: result.numFailedTests, skipped: result.numPendingTests };
  console.log(`[${project}] ${result.numPassedTests} passed, ${result.numFailedTests} failed, ${result.numPendingTests} skipped in ${seconds} s`);
  await stopIfStarted(project);
}

writeFileSync(".test-results.json", JSON.stringify(merged));
process.exit(status);
