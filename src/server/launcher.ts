// The embedded server behind remote("local"): the launcher port connect/builder.ts takes, wired in by
// the package entry (src/index.ts), and the release hook of sessions reached by its sc:// URL. Everything
// else of server/ (provisioning, starting) loads lazily, on the first "local" session.
import type { LaunchedServer, LocalServerLauncher, ReleaseHookFinder } from "../connect/builder.js";
import { isLoopbackHost } from "../connect/rpc/connection.js";
import type { LocalServer } from "./options.js";
import { homeLayout, resolveHome } from "./home/paths.js";
import { readState } from "./home/state.js";
import { SPARK_LINES } from "./provision/spark-lines.js";
import { endSessionDaemons } from "./process/session-daemons.js";

export const embeddedServerLauncher: LocalServerLauncher = async ({ cores, onProgress }) => {
  const { ensureLocalServer } = await import("./ensure.js");
  return launched(await ensureLocalServer({ cores, onProgress }));
};

/** An embedded server as the client's launcher port describes it (also for one a CLI verb already started). */
export function launched(server: LocalServer, url = server.url): LaunchedServer {
  return {
    url,
    facts: {
      pythonVersion: server.pythonVersion,
      pythonExecutable: server.pythonExecutable,
      logFile: server.logFile,
      stateFile: homeLayout(server.home, server.spark).stateFile,
    },
    unreachableFix: `The embedded Spark server stopped answering; its log is ${server.logFile}. Restart it with \`spark-autobundle server start\`.`,
    afterRelease: (serverSideSessionId) => void endSessionDaemons(server.pid, serverSideSessionId),
  };
}

/**
 * A session reached by the embedded server's sc:// URL (as `server start` prints it) gets the same release
 * hook as one from remote("local"): the server recorded in this home with that port and token, of any line.
 * A few small file reads, only for loopback URLs.
 */
export const embeddedReleaseHookOf: ReleaseHookFinder = (config) => {
  if (!isLoopbackHost(config.host) || config.token === undefined) return undefined;
  const home = resolveHome();
  for (const line of SPARK_LINES) {
    const read = readState(homeLayout(home, line).stateFile);
    if (read.kind === "ok" && read.state.port === config.port && read.state.token === config.token) {
      const pid = read.state.pid;
      return (serverSideSessionId) => void endSessionDaemons(pid, serverSideSessionId);
    }
  }
  return undefined;
};
