// Spark 4 stamps every response with its server-side session id, so a restart shows up in-band
// (SparkConnectClient.observe). Spark 3.5 sends none: after a restart it silently opens a fresh
// session under our id, without the artifacts and UDFs we sent, and jobs would fail with a missing
// module. So on such a server we keep a tiny marker artifact in the session, and ask ArtifactStatus
// (which answers only for cache/ names) whether it is still there before work that relies on state.
import { createHash, randomBytes } from "node:crypto";
import { addArtifacts } from "./rpc/artifacts.js";
import type { SparkConnectClient } from "./rpc/client.js";

export class SessionContinuity {
  private marker: string | undefined;
  private inFlight: Promise<boolean> | undefined;

  constructor(private readonly client: SparkConnectClient) {
    // A new server-side session (however it was noticed, or a move the client made) lacks the old marker.
    client.onSessionChange(() => (this.marker = undefined));
  }

  /**
   * Free on servers that report session ids; one small RPC per call on those that don't (3.5).
   * True when the session was found lost (listeners of the client heard it).
   */
  confirm(): Promise<boolean> {
    if (this.client.serverSessionId !== undefined) return Promise.resolve(false);
    this.inFlight ??= this.check().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async check(): Promise<boolean> {
    const marker = this.marker;
    let lost = false;
    if (marker !== undefined) {
      if ((await this.client.artifactStatuses([marker]))[marker]) return false;
      lost = true;
      this.marker = undefined;
      this.client.sessionLost("the server no longer holds this session's marker artifact (it restarted, or the session was released)");
    }
    const data = randomBytes(16);
    const name = `cache/${createHash("sha256").update(data).digest("hex")}`;
    await addArtifacts(this.client, [{ name, data }]);
    this.marker = name;
    return lost;
  }
}
