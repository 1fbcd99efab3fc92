import { resolve } from "node:path";
import { defaultCacheDir } from "../../bundle/archive/cache.js";
import { COMMON_OPTIONS, parseVerbArgs } from "../args.js";
import { checkCache } from "./cache-check.js";
import type { CliCommand, CliContext } from "../command.js";
import {
  checkJava,
  checkPip,
  checkPyspark,
  checkPython,
  checkServer,
  checkSparkLine,
  checkWorkerPython,
  embeddedLine,
  lineSetting,
  type CheckResult,
} from "./doctor-checks.js";
import { DEFAULT_SPARK_LINE, SPARK_LINES, sparkLineSpec } from "../../server/provision/spark-lines.js";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.js";
import { styleFor, writeJson } from "../output.js";

/** "3.9+ for 3.5 and 4.0, 3.10+ for 4.1 and 4.2, 3.11+ for 4.3", from the lines' specs. */
const PYTHON_FLOORS = (() => {
  const byFloor = new Map<string, string[]>();
  for (const line of SPARK_LINES) {
    const floor = sparkLineSpec(line).minPython.join(".");
    byFloor.set(floor, [...(byFloor.get(floor) ?? []), line]);
  }
  return [...byFloor].map(([floor, lines]) => `${floor}+ for ${lines.join(" and ")}`).join(", ");
})();

const HELP = `Usage: spark-autobundle doctor [--remote URL] [--cache-dir DIR] [--json]

Check what spark-autobundle needs, each check reporting ok, warn or fail with a cause and a fix:
  java           Java 17+ (for the embedded server; only a warning when --remote is a cluster)
  python         the Python the embedded server's Spark line needs (likewise):
                 ${PYTHON_FLOORS}
  pip            pip for that Python, which resolves the project's third-party dependencies (a warning)
  pyspark        the line's venv: installed, complete, pyspark importable at the line's pinned version
  server         the server answers: --remote, else $SPARK_REMOTE, else the embedded one if it runs
                 (doctor never starts a server)
  spark-line     the embedded server's line ($SPARK_AUTOBUNDLE_SPARK, else ${DEFAULT_SPARK_LINE}) against the
                 remote's Spark version: a warning when they differ, or the remote's line is not one
                 the embedded server runs
  worker-python  the Python version UDFs will state (override, embedded venv, or a probe job) vs the
                 local python's
  cache          the bundle cache: exists/creatable, writable, archives intact, no leftover temp
                 files, size within its limit

Options:
  --remote URL     Server to check: sc://host:port/;key=value, or "local" for the embedded one.
  --cache-dir DIR  Cache to check (default $SPARK_AUTOBUNDLE_HOME/bundles, else the user cache dir).
  --json           Print one JSON document on stdout: {"ok", "checks": [{id, status, message, fix?}]}.
  -h, --help       Show this help.

Exit code 0 when no check fails (warnings allowed), 1 when one does.
${EXIT_CODES_HELP}`;

export const doctorCommand: CliCommand = {
  name: "doctor",
  summary: "check Java, Python, pyspark, the server, its Spark line, the workers' Python and the bundle cache",
  help: HELP,
  async run(args, context) {
    const values = parseVerbArgs(args, { ...COMMON_OPTIONS, remote: { type: "string" }, "cache-dir": { type: "string" } }, HELP, context);
    if (!values) return ExitCode.OK;
    const checks = await runChecks(values.remote, values["cache-dir"], context);
    const failed = checks.some((c) => c.status === "fail");
    if (values.json) writeJson(context, { ok: !failed, checks });
    else printChecks(checks, context);
    return failed ? ExitCode.FAILURE : ExitCode.OK;
  },
};

async function runChecks(remote: string | undefined, cacheDirFlag: string | undefined, context: CliContext): Promise<CheckResult[]> {
  const env = context.env;
  const setting = lineSetting(env);
  const server = await checkServer(remote, env, setting.kind === "line" ? setting.line : undefined);
  try {
    // The version the server check already read: a remote's, when one answered.
    const remoteVersion = server.remote !== undefined ? server.session?.version : undefined;
    // An invalid or unmatched setting is the spark-line check's finding; the rest check the default line.
    const line = embeddedLine(setting, remoteVersion) ?? DEFAULT_SPARK_LINE;
    const python = await checkPython(env, server.embeddedTarget, line);
    const checks = [
      await checkJava(env, server.embeddedTarget),
      python,
      await checkPip(python.executable, env),
      await checkPyspark(env, line),
      server.result,
      checkSparkLine(setting, server, remoteVersion),
      await checkWorkerPython(server, python.version, env),
      await checkCache(cacheDirFlag !== undefined ? resolve(context.cwd, cacheDirFlag) : defaultCacheDir(env)),
    ];
    return checks.map(({ id, status, message, fix, details }) => ({ id, status, message, ...(fix ? { fix } : {}), ...(details ? { details } : {}) }));
  } finally {
    await server.session?.stop();
  }
}

function printChecks(checks: readonly CheckResult[], context: CliContext): void {
  const style = styleFor(context.stdout, context.env);
  const label = { ok: style.green("ok  "), warn: style.yellow("warn"), fail: style.red("FAIL") };
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${label[c.status]}  ${c.id.padEnd(width)}  ${c.message}`);
    if (c.fix && c.status !== "ok") lines.push(`      ${" ".repeat(width)}  ${style.dim(`fix: ${c.fix}`)}`);
  }
  const counts = (["fail", "warn"] as const).map((s) => `${checks.filter((c) => c.status === s).length} ${s === "fail" ? "failed" : "warnings"}`);
  lines.push("", counts.join(", "));
  context.stdout.write(`${lines.join("\n")}\n`);
}
