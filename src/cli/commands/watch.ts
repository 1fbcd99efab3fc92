import { autoBundleOf, withAutoBundle, type AutoBundleEvent } from "../../bundle/hook.js";
import { formatBytes } from "../../shared/bytes.js";
import type { SyncedBundle } from "../../bundle/overlay.js";
import { COMMON_OPTIONS, parseVerbArgs, PROJECT_OPTIONS, REMOTE_HELP, REMOTE_OPTIONS, parseSessionId } from "../args.js";
import { bundleJson } from "./bundle.js";
import type { SparkSession } from "../../connect/session.js";
import type { CliCommand, CliContext } from "../command.js";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.js";
import { errorJson, styleFor, warningsJson, writeJson, type Style } from "../output.js";
import { uploadProgress } from "../progress.js";
import { resolveProject } from "../project.js";
import { connect, resolveTarget } from "../remote.js";

const HELP = `Usage: spark-autobundle watch [--remote URL] [--session-id UUID] [--root DIR] [--cache-dir DIR] [--json]

Keep a long-lived session's bundle current: sync once, then re-bundle and upload on every change to
the project's Python files, until Ctrl-C (SIGINT) or SIGTERM; then release the session and exit 0.
Prints the session id and a ready-to-use remote URL first: a script that connects with that URL (or
the same ;session_id=) finds the current bundle already there.

Options:
${REMOTE_HELP}
  --root DIR         Project root (default: discovered from the cwd, as for \`ls\`).
  --cache-dir DIR    Bundle cache (default: as for \`bundle\`).
  --json             One JSON object per line on stdout: {"type":"start"|"synced"|"upload"|
                     "watch-update"|"watch-error"|"warning"|"stop", ...} (see docs/cli.md).
  -h, --help         Show this help.

${EXIT_CODES_HELP}`;

export const watchCommand: CliCommand = {
  name: "watch",
  summary: "keep a long-lived session's bundle current until Ctrl-C",
  help: HELP,
  async run(args, context) {
    const values = parseVerbArgs(args, { ...COMMON_OPTIONS, ...PROJECT_OPTIONS, ...REMOTE_OPTIONS }, HELP, context);
    if (!values) return ExitCode.OK;
    const json = values.json === true;
    const style = styleFor(context.stdout, context.env, json);
    // Listening from the start: a Ctrl-C during the first sync still ends with a released session.
    const stop = stopRequest(context);
    try {
      const sessionId = values["session-id"] === undefined ? undefined : parseSessionId(values["session-id"]);
      const project = resolveProject(values, context);
      const target = await resolveTarget(values.remote, sessionId, context);
      if (json) writeJson(context, { type: "start", ok: true, sessionId: target.sessionId, remote: target.shownUrl, root: project.root });
      else {
        context.stdout.write(
          `${style.bold(`Watching ${project.root}`)} for session ${target.sessionId}\n` +
            `  remote: ${target.shownUrl}\n` +
            style.dim("  Scripts connecting with this remote find the bundle ready. Ctrl-C stops.\n"),
        );
      }

      const session = await connect(target);
      // The watcher never holds the process open by itself (it is made for scripts): this does, until stopped.
      const keepAlive = setInterval(() => undefined, 2 ** 30);
      let failed = false;
      try {
        const onEvent = (event: AutoBundleEvent) => report(event, context, json, style, () => autoBundleOf(session)?.current);
        const onUploadProgress = json ? undefined : uploadProgress(context.stderr, styleFor(context.stderr, context.env));
        withAutoBundle(session, { watch: true, root: project.root, cacheDir: project.cacheDir, onEvent, onUploadProgress });
        const engine = autoBundleOf(session)!;
        const bundle = await engine.sync();
        if (json) writeJson(context, { type: "synced", ...bundleJson(bundle), ...servedBy(engine.current) });
        else context.stdout.write(`${style.green("ready:")} the session holds ${bundle.hash12} (${bundle.files} files, ${formatBytes(bundle.bytes)}); watching for changes\n`);
        await stop.requested;
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        clearInterval(keepAlive);
        await releaseSession(session, failed, context);
      }
      if (json) writeJson(context, { type: "stop", ok: true });
      else context.stdout.write("Stopped; the session was released.\n");
      return ExitCode.OK;
    } finally {
      stop.dispose();
    }
  },
};

/** Stops the session (and with it the watcher); a failure to release it never hides the error that ended the watch. */
async function releaseSession(session: SparkSession, failed: boolean, context: CliContext): Promise<void> {
  try {
    await session.stop();
  } catch (err) {
    if (!failed) throw err;
    context.stderr.write(`note: releasing session ${session.sessionId} failed too: ${(err as Error).message}\n`);
  }
}

/** What a session serves its current version as: the artifact, and the loader module UDF commands call. */
function servedBy(current: SyncedBundle | undefined): { artifact?: string; loaderModule?: string } {
  return current ? { artifact: current.artifact, loaderModule: current.loaderModule } : {};
}

function report(event: AutoBundleEvent, context: CliContext, json: boolean, style: Style, current: () => SyncedBundle | undefined): void {
  if (event.type === "watch-update") {
    // Reported once the version is the engine's current one, so scripts joining the session can call its loader.
    if (json) writeJson(context, { ...event, ...(current()?.hash === event.toHash ? servedBy(current()) : {}) });
    else context.stdout.write(`${style.cyan("update")} ${event.line}\n`);
  } else if (event.type === "watch-error") {
    if (json) writeJson(context, { ...event, error: errorJson(event.error) });
    else context.stderr.write(`${styleFor(context.stderr, context.env).red("watch error:")} ${event.line}\n`);
  } else if (event.type === "upload") {
    if (json) writeJson(context, event);
  } else if (event.type === "warning") {
    if (json) writeJson(context, { type: "warning", ...warningsJson([event])[0] });
    else context.stderr.write(`${styleFor(context.stderr, context.env).yellow("warning:")} ${event.message}\n`);
  }
}

/** Resolves on the context's abort signal, or else on SIGINT/SIGTERM (then handled, not fatal). */
function stopRequest(context: CliContext): { requested: Promise<void>; dispose(): void } {
  let dispose = () => {};
  const requested = new Promise<void>((resolve) => {
    const signal = context.signal;
    if (signal) {
      if (signal.aborted) return resolve();
      const onAbort = () => resolve();
      signal.addEventListener("abort", onAbort, { once: true });
      dispose = () => signal.removeEventListener("abort", onAbort);
      return;
    }
    // Once: a second Ctrl-C while the session is being released ends the process the usual way.
    const onSignal = () => {
      dispose();
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    dispose = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    };
  });
  return { requested, dispose };
}
