import { autoBundleOf, withAutoBundle, type AutoBundleEvent } from "../../bundle/hook.js";
import { formatBytes } from "../../shared/bytes.js";
import { type WarningEvent } from "../../bundle/events.js";
import { COMMON_OPTIONS, parseVerbArgs, PROJECT_OPTIONS, REMOTE_HELP, REMOTE_OPTIONS, parseSessionId } from "../args.js";
import { bundleJson } from "./bundle.js";
import type { CliCommand } from "../command.js";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.js";
import { printWarnings, styleFor, warningsJson, writeJson } from "../output.js";
import { uploadProgress } from "../progress.js";
import { resolveProject } from "../project.js";
import { connect, explainClosedSession, resolveTarget } from "../remote.js";

const HELP = `Usage: spark-autobundle push [--remote URL] [--session-id UUID] [--root DIR] [--cache-dir DIR] [--json]

Upload the project's bundle to a Spark Connect session, named exactly as jobs name it, and print the
artifact names. The session is left open on the server (not released), so a script connecting with
the printed remote URL finds the bundle there until the session idles out (Spark's default: 1 hour).

Options:
${REMOTE_HELP}
  --root DIR         Project root (default: discovered from the cwd, as for \`ls\`).
  --cache-dir DIR    Bundle cache (default: as for \`bundle\`).
  --json             Print one JSON document on stdout.
  -h, --help         Show this help.

${EXIT_CODES_HELP}`;

export const pushCommand: CliCommand = {
  name: "push",
  summary: "upload the bundle to a Spark Connect session; print the artifact names",
  help: HELP,
  async run(args, context) {
    const values = parseVerbArgs(args, { ...COMMON_OPTIONS, ...PROJECT_OPTIONS, ...REMOTE_OPTIONS }, HELP, context);
    if (!values) return ExitCode.OK;
    const sessionId = values["session-id"] === undefined ? undefined : parseSessionId(values["session-id"]);
    const project = resolveProject(values, context);
    const target = await resolveTarget(values.remote, sessionId, context);

    const uploaded: string[] = [];
    let uploadedBytes = 0;
    const warnings: WarningEvent[] = [];
    const onEvent = (event: AutoBundleEvent) => {
      if (event.type === "upload") {
        uploaded.push(...event.names);
        uploadedBytes += event.bytes;
      } else if (event.type === "warning") warnings.push(event);
    };
    const session = await connect(target).catch((error: unknown) => Promise.reject(explainClosedSession(error, target)));
    let bundle;
    let served;
    try {
      // One sync, never a watcher (even if package.json or $SPARK_AUTOBUNDLE_WATCH asks for one).
      const onUploadProgress = values.json ? undefined : uploadProgress(context.stderr, styleFor(context.stderr, context.env));
      withAutoBundle(session, { root: project.root, cacheDir: project.cacheDir, onEvent, onUploadProgress, watch: false });
      const engine = autoBundleOf(session)!;
      try {
        bundle = await engine.sync();
        served = engine.current;
      } finally {
        await engine.close();
      }
    } catch (error) {
      throw explainClosedSession(error, target);
    } finally {
      // Close the channel but keep the server-side session: holding the bundle is the point.
      session.client.close();
    }

    if (values.json) {
      writeJson(context, {
        ok: true,
        remote: target.shownUrl,
        sessionId: target.sessionId,
        artifacts: uploaded,
        uploadedBytes,
        upToDate: uploaded.length === 0,
        // What UDF commands of a script joining this session call (see docs/cli.md).
        ...(served ? { artifact: served.artifact, loaderModule: served.loaderModule } : {}),
        bundle: bundleJson(bundle),
        warnings: warningsJson(warnings),
      });
      return ExitCode.OK;
    }
    const style = styleFor(context.stdout, context.env);
    const what = uploaded.length > 0 ? `Pushed ${uploaded.join(", ")} (${formatBytes(uploadedBytes)})` : "Already up to date";
    context.stdout.write(
      [
        `${style.green(what)} to session ${target.sessionId}`,
        `  remote: ${target.shownUrl}`,
        `  bundle: ${bundle.hash12}, ${bundle.files} files, ${formatBytes(bundle.bytes)} (${bundle.zipPath})`,
        "",
      ].join("\n"),
    );
    printWarnings(warnings, context);
    return ExitCode.OK;
  },
};
