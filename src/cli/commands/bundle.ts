import type { BundleResult } from "../../bundle/archive/build.js";
import { formatBytes } from "../../shared/bytes.js";
import { COMMON_OPTIONS, parseVerbArgs, PROJECT_OPTIONS } from "../args.js";
import type { CliCommand, CliContext } from "../command.js";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.js";
import { printWarnings, styleFor, warningsJson, writeJson } from "../output.js";
import { resolveProject } from "../project.js";
import { buildSessionBundle } from "../session-bundle.js";

const HELP = `Usage: spark-autobundle bundle [--root DIR] [--cache-dir DIR] [--json]

Build the project's bundle (or find it in the cache) exactly as a job would, without uploading it.
Prints its content hash, size, file count and the archive's path in the cache.

Options:
  --root DIR       Project root (default: discovered from the cwd, as for \`ls\`).
  --cache-dir DIR  Bundle cache (default: "sparkAutobundle.cacheDir", else
                   $SPARK_AUTOBUNDLE_HOME/bundles, else the user cache dir).
  --json           Print one JSON document on stdout.
  -h, --help       Show this help.

${EXIT_CODES_HELP}`;

export const bundleCommand: CliCommand = {
  name: "bundle",
  summary: "build the bundle into the cache; print its hash, size, file count and path",
  help: HELP,
  async run(args, context) {
    const values = parseVerbArgs(args, { ...COMMON_OPTIONS, ...PROJECT_OPTIONS }, HELP, context);
    if (!values) return ExitCode.OK;
    const project = resolveProject(values, context);
    const bundle = await buildSessionBundle({ root: project.root, cacheDir: project.cacheDir });
    if (values.json) writeJson(context, { ok: true, ...bundleJson(bundle), cacheDir: project.cacheDir, warnings: warningsJson(bundle.warnings) });
    else printBundle(bundle, context);
    return ExitCode.OK;
  },
};

/** The bundle as every verb's JSON shows it. */
export function bundleJson(bundle: BundleResult) {
  const { hash, hash12, files, bytes, zipPath, fromCache, projectName, root } = bundle;
  return { hash, hash12, files, bytes, zipPath, fromCache, projectName, root };
}

function printBundle(bundle: BundleResult, context: CliContext): void {
  const style = styleFor(context.stdout, context.env);
  const files = `${bundle.files} file${bundle.files === 1 ? "" : "s"}`;
  context.stdout.write(
    [
      `${style.bold(`Bundle ${bundle.hash12}`)} ${bundle.projectName}: ${files}, ${formatBytes(bundle.bytes)} ${style.dim(bundle.fromCache ? "(from cache)" : "(built)")}`,
      `  hash:  ${bundle.hash}`,
      `  cache: ${bundle.zipPath}`,
      "",
    ].join("\n"),
  );
  printWarnings(bundle.warnings, context);
}
