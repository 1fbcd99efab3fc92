import { relative, sep } from "node:path";
import { formatBytes } from "../../shared/bytes.js";
import { depsLines, explainDeps } from "../../bundle/deps/explain.js";
import { COMMON_OPTIONS, parseVerbArgs, PROJECT_OPTIONS } from "../args.js";
import type { CliCommand, CliContext } from "../command.js";
import { EXIT_CODES_HELP, ExitCode, exitCodeOf } from "../exit-codes.js";
import { describeReason, listProject, type ProjectListing } from "../listing.js";
import { errorJson, printWarnings, styleFor, warningsJson, writeJson } from "../output.js";
import { resolveProject } from "../project.js";

const HELP = `Usage: spark-autobundle ls [--root DIR] [--cache-dir DIR] [--explain] [--json]

List the files the bundle would hold: path inside the zip, size, and totals. Nothing is built or uploaded.

Options:
  --root DIR       Project root (default: the nearest directory above the cwd with package.json,
                   pyproject.toml, setup.py, setup.cfg or .git; "sparkAutobundle" settings apply).
  --cache-dir DIR  Bundle cache, where --explain finds the dependency resolution (default: the engine's).
  --explain        Also list what is left out and why (gitignored, always-excluded dirs, not a
                   package, outside the Python roots, tests, \`exclude\`, secrets, too large, …),
                   and the third-party dependencies: the deps artifact, each package shipped or skipped, and why.
  --json           Print one JSON document on stdout.
  -h, --help       Show this help.

${EXIT_CODES_HELP}`;

export const lsCommand: CliCommand = {
  name: "ls",
  summary: "list the files that would be bundled (--explain: and what is left out, and why)",
  help: HELP,
  async run(args, context) {
    const values = parseVerbArgs(args, { ...COMMON_OPTIONS, root: PROJECT_OPTIONS.root, "cache-dir": PROJECT_OPTIONS["cache-dir"], explain: { type: "boolean" } }, HELP, context);
    if (!values) return ExitCode.OK;
    const project = resolveProject(values, context);
    const listing = await listProject(project, values.explain === true);
    const deps = values.explain === true ? explainDeps(listing.root, project.cacheDir, project.settings.dependencies) : undefined;
    const exitCode = listing.error ? exitCodeOf(listing.error) : ExitCode.OK;
    if (values.json) writeJson(context, { ...lsJson(listing, exitCode), ...(deps ? { dependencies: { ...deps, resolution: deps.resolution ?? null } } : {}) });
    else printListing(listing, context);
    if (deps && !values.json) context.stdout.write(`\n${depsLines(deps).join("\n")}\n`);
    if (listing.error) context.stderr.write(`error: ${listing.error.message}\n`);
    return exitCode;
  },
};

function lsJson(listing: ProjectListing, exitCode: number) {
  const bytes = listing.files.reduce((sum, f) => sum + f.size, 0);
  return {
    ok: listing.error === undefined,
    ...(listing.error ? { exitCode, error: errorJson(listing.error) } : {}),
    root: listing.root,
    layout: listing.layout.source,
    pythonRoots: listing.layout.roots.map((r) => relative(listing.root, r.dir).split(sep).join("/") || "."),
    files: listing.files,
    totals: { files: listing.files.length, bytes },
    warnings: warningsJson(listing.warnings),
    ...(listing.excluded ? { excluded: listing.excluded } : {}),
  };
}

function printListing(listing: ProjectListing, context: CliContext): void {
  const style = styleFor(context.stdout, context.env);
  const sizes = listing.files.map((f) => formatBytes(f.size));
  const sizeWidth = Math.max(0, ...sizes.map((s) => s.length));
  const pathWidth = Math.max(0, ...listing.files.map((f) => f.zipPath.length));
  const lines = listing.files.map((f, i) => {
    const from = f.source === f.zipPath ? "" : style.dim(`  ← ${f.source}`);
    return `${f.zipPath.padEnd(pathWidth)}  ${sizes[i]!.padStart(sizeWidth)}${from}`;
  });
  const total = listing.files.reduce((sum, f) => sum + f.size, 0);
  const roots = listing.layout.roots.map((r) => relative(listing.root, r.dir).split(sep).join("/") || ".").join(", ");
  lines.push(style.bold(`${listing.files.length} file${listing.files.length === 1 ? "" : "s"}, ${formatBytes(total)}`) + style.dim(` (root ${listing.root}, ${listing.layout.source} layout, Python roots: ${roots})`));
  if (listing.excluded) {
    lines.push("", style.bold(`Left out (${listing.excluded.length}):`));
    const width = Math.max(0, ...listing.excluded.map((e) => e.path.length));
    for (const entry of listing.excluded) {
      lines.push(`  ${style.yellow(entry.path.padEnd(width))}  ${describeReason(entry, listing.layout, listing.root)}`);
    }
  }
  context.stdout.write(`${lines.join("\n")}\n`);
  printWarnings(listing.warnings, context);
}
