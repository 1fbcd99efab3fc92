// A script joining a session that the CLI prepared (push, watch): same session_id, no auto-bundle engine.
import { SparkSession } from "../../src/connect/session.js";
import { pythonUdfPlaceholders } from "../../src/connect/python/udf.js";
import { pythonUdfCommand } from "../../src/bundle/worker/command.js";
import { lit } from "../../src/index.js";

export interface JoinedSession {
  session: SparkSession;
  /** AddArtifacts RPCs this client made: joining must need none. */
  readonly uploads: number;
  /** Runs `module:function` on one value through `loaderModule` (what push/watch print). */
  call(ref: string, value: string, loaderModule: string): Promise<unknown>;
  /** Closes the channel; the session on the server is the CLI's to release. */
  close(): void;
}

export async function joinSession(url: string, pythonVersion: string): Promise<JoinedSession> {
  const session = await SparkSession.builder().remote(url).create();
  let uploads = 0;
  const addArtifacts = session.client.addArtifacts.bind(session.client);
  session.client.addArtifacts = (requests) => {
    uploads++;
    return addArtifacts(requests);
  };
  let loader = "";
  session.udf.pythonEnabled = true;
  // The part of withAutoBundle a joining script needs: point UDF placeholders at the printed loader module.
  session.addPlanHook(async (_kind, message) => {
    for (const { udf, ref } of pythonUdfPlaceholders(message)) {
      udf.command = pythonUdfCommand({ loaderModule: loader, modulePath: ref.module, functionName: ref.qualname, returnTypeJson: ref.returnTypeJson });
      udf.pythonVer = pythonVersion;
    }
  });
  return {
    session,
    get uploads() {
      return uploads;
    },
    async call(ref, value, loaderModule) {
      loader = loaderModule;
      const fn = session.udf.python(ref, "string");
      const [row] = await session.range(1).select(fn(lit(value)).alias("v")).collect();
      return row!.v;
    },
    close: () => session.client.close(),
  };
}
