import { resolve } from "node:path";
import { defaultCacheDir } from "../../bundle/archive/cache.js";
import { COMMON_OPTIONS, parseVerbArgs } from "../args.js";
import { checkCache } from "./cache-check.js";
import type { CliCommand, CliContext } from "../command.js";
import { checkJava, checkPip, checkPyspark, checkPython, checkServer, checkWorkerPython, type CheckResult } from "./doctor-checks.js";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.js";
import { styleFor, writeJson } from "../output.js";

const HELP = `Usage: spark-autobundle doctor [--remote URL] [--cache-dir DIR] [--json]

Check what spark-autobundle needs, each check reporting ok, warn or fail with a cause and a fix:
  java           Java 17+ (for the embedded server; only a warning when --remote is a cluster)
  python         Python 3.10+ (likewise)
  pip            pip for that Python, which resolves the project's third-party dependencies (a warning)
  pyspark        the embedded server's venv: installed, complete, pyspark importable at the pinned version
  server         the server answers: --remote, else $SPARK_REMOTE, else the embedded one if it runs
                 (doctor never starts a server)
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
  summary: "check Java, Python, pyspark, the server, the workers' Python and the bundle cache",
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
  const server = await checkServer(remote, env);
  try {
    const python = await checkPython(env, server.embeddedTarget);
    const checks = [
      await checkJava(env, server.embeddedTarget),
      python,
      await checkPip(python.executable, env),
      await checkPyspark(env),
      server.result,
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
