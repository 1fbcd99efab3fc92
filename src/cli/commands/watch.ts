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
import { connect, explainClosedSession, resolveTarget } from "../remote.js";

const HELP = `Usage: spark-autobundle watch [--remote URL] [--session-id UUID] [--release] [--root DIR] [--cache-dir DIR] [--json]

Keep a long-lived session's bundle current: sync once, then re-bundle and upload on every change to
the project's Python files, until Ctrl-C (SIGINT) or SIGTERM; then exit 0.
Prints the session id and a ready-to-use remote URL first: a script that connects with that URL (or
the same ;session_id=) finds the current bundle already there.

On exit a session whose id you chose (--session-id <uuid>, or the URL's session_id) stays open on the
server, so the same command and your scripts keep working with that id; Spark closes it after idling
(spark.connect.session.manager.defaultSessionTimeout, 60 min by default). A fresh id is released.

Options:
${REMOTE_HELP}
  --release          Release the session on exit even if its id is pinned (Spark never reopens a
                     released id: the next run needs a new one).
  --root DIR         Project root (default: discovered from the cwd, as for \`ls\`).
  --cache-dir DIR    Bundle cache (default: as for \`bundle\`).
  --json             One JSON object per line on stdout: {"type":"start"|"synced"|"upload"|
                     "watch-update"|"watch-error"|"warning"|"stop", ...} (see
                     https://github.com/spark-autobundle/spark-autobundle/blob/main/docs/cli.md).
  -h, --help         Show this help.

${EXIT_CODES_HELP}`;

export const watchCommand: CliCommand = {
  name: "watch",
  summary: "keep a long-lived session's bundle current until Ctrl-C",
  help: HELP,
  async run(args, context) {
    const values = parseVerbArgs(args, { ...COMMON_OPTIONS, ...PROJECT_OPTIONS, ...REMOTE_OPTIONS, release: { type: "boolean" } }, HELP, context);
    if (!values) return ExitCode.OK;
    const json = values.json === true;
    const style = styleFor(context.stdout, context.env, json);
    // Listening from the start: a Ctrl-C during the first sync still ends with a released session.
    const stop = stopRequest(context);
    try {
      const given = values["session-id"];
      const sessionId = given === undefined ? undefined : parseSessionId(given);
      const project = resolveProject(values, context);
      const target = await resolveTarget(values.remote, sessionId, context, given !== undefined && given !== "new");
      // A pinned id is kept open on exit: released, Spark 4 refuses it for good (SESSION_CLOSED), and
      // the point of pinning it is that this command and the scripts using it work again next time.
      const release = values.release === true || !target.pinned;
      if (json) writeJson(context, { type: "start", ok: true, sessionId: target.sessionId, remote: target.shownUrl, root: project.root });
      else {
        context.stdout.write(
          `${style.bold(`Watching ${project.root}`)} for session ${target.sessionId}\n` +
            `  remote: ${target.shownUrl}\n` +
            style.dim("  Scripts connecting with this remote find the bundle ready. Ctrl-C stops.\n"),
        );
      }

      const session = await connect(target).catch((error: unknown) => Promise.reject(explainClosedSession(error, target)));
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
        throw explainClosedSession(err, target);
      } finally {
        clearInterval(keepAlive);
        if (release) await releaseSession(session, failed, context);
        else await keepSession(session);
      }
      if (json) writeJson(context, { type: "stop", ok: true, released: release });
      else if (release) context.stdout.write("Stopped; the session was released.\n");
      else context.stdout.write(`Stopped; session ${target.sessionId} stays open on the server (until it idles out), so this command and scripts using that id work again.\n`);
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

/** Stops watching and closes the channel, leaving the server-side session (and the bundle it holds) open. */
async function keepSession(session: SparkSession): Promise<void> {
  try {
    await autoBundleOf(session)?.close();
  } finally {
    session.client.close();
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
    else (context.errors ?? context.stderr).write(`${styleFor(context.stderr, context.env).red("watch error:")} ${event.line}\n`);
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
