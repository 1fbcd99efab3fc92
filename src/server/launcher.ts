// The embedded server behind remote("local"): the launcher port connect/builder.ts takes, wired in by
// the package entry (src/index.ts). Everything else of server/ loads lazily, on the first "local"
// session, so sc:// users never pay for it.
import type { LaunchedServer, LocalServerLauncher } from "../connect/builder.js";
import type { LocalServer } from "./options.js";
import { homeLayout } from "./home/paths.js";

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
  };
}
