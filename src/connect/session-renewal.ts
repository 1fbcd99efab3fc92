// Renewal after a lost server-side session (a restart, an expiry): whether a call is run again on the
// new session, and what the caller hears when that would lose state. SparkSession and RuntimeConfig run
// their calls through it; SessionState knows what can be put back.
import type { SparkConnectClient } from "./rpc/client.js";
import { isSessionChanged, SESSION_CHANGED, SparkConnectError } from "./errors.js";
import { sessionStateLostError, type SessionLostPolicy, type SessionState } from "./session-state.js";

export class SessionRenewal {
  /** Session-lost errors already reported to the caller, never renewed twice. */
  private readonly settledLosses = new WeakSet<object>();

  constructor(
    private readonly client: SparkConnectClient,
    private readonly state: SessionState,
    private readonly policy: SessionLostPolicy,
  ) {}

  /** Runs `op`; when it fails because the server lost the session, renews it (or throws) and runs `op` once more. */
  async renewing<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      await this.renewAfter(err);
    }
    try {
      return await op();
    } catch (err) {
      throw await this.renewedForNextCall(err);
    }
  }

  /**
   * For a lost session the caller hears about as it is (the job ran there, or ran once more already):
   * the client forgot the old server-side id with the error, so the server takes the next call on its
   * new session without complaint; what can be replayed is replayed now, or that call would silently
   * run without it. Returns `err`, for the caller to throw.
   */
  async renewedForNextCall(err: unknown): Promise<unknown> {
    if (!isSessionChanged(err) || this.settledLosses.has(err)) return err;
    this.settledLosses.add(err);
    if (this.policy === "fail") this.state.forget();
    else {
      // What can't be replayed (views, SQL SET effects) went with the old session, as `err` says. A replay
      // that fails too (the server went away again) is named with it, never dropped: the config is missing.
      try {
        const lost = await this.state.restore(this.client);
        if (lost.length) {
          // The job died with the old session (a kill mid-job): its one error names what went with it.
          const error = sessionStateLostError(lost, this.state.describeRestorable(), err, "The job running there was lost with it.");
          this.settledLosses.add(error);
          return error;
        }
      } catch (replayError) {
        const error = new SparkConnectError(
          `${(err as Error).message}\nReplaying the runtime config onto the new session failed too: ${(replayError as Error).message.split("\n")[0]}`,
          { errorClass: SESSION_CHANGED, fix: `Set the runtime config again (${this.state.describeRestorable()}), then re-run the job.`, cause: err },
        );
        this.settledLosses.add(error);
        return error;
      }
    }
    return err;
  }

  /** Returns when the session was renewed without loss (the caller retries); throws otherwise. */
  async renewAfter(err: unknown): Promise<void> {
    // Already decided (e.g. thrown by a hook's confirmSessionHeld): a retry must not swallow it.
    if (!isSessionChanged(err) || this.settledLosses.has(err)) throw err;
    if (this.policy === "fail") {
      this.state.forget();
      this.settledLosses.add(err);
      throw err;
    }
    const lost = await this.state.restore(this.client);
    if (lost.length) {
      const error = sessionStateLostError(lost, this.state.describeRestorable(), err);
      this.settledLosses.add(error);
      throw error;
    }
  }
}
