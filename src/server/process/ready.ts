import type { ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { LOOPBACK_HOST } from "../constants.js";
import { PortBusyError, ServerStartError, quoteLogTail, readLogTail } from "../errors.js";
import { checkHealth, HealthCheckError } from "./health.js";
import { portBusyAdvice } from "./port.js";
import { formatDuration, type ProgressCallback } from "./progress.js";

export interface ReadyWait {
  child: ChildProcess;
  port: number;
  token: string;
  logFile: string;
  timeoutMs: number;
  onProgress: ProgressCallback;
}

/** Markers Spark/Netty/gRPC print when the listen socket cannot be opened. */
const BIND_FAILURE = /BindException|Failed to bind|Address already in use/;

/**
 * Polls the health check until the server answers, failing at once if the process exits
 * (with the log's last lines, and a port hint when it died of a bind error).
 */
export async function waitForReady(wait: ReadyWait): Promise<{ sparkVersion: string; elapsedMs: number }> {
  const started = Date.now();
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  if (wait.child.exitCode !== null || wait.child.signalCode !== null) {
    exit = { code: wait.child.exitCode, signal: wait.child.signalCode };
  }
  let spawnError: Error | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => (exit = { code, signal });
  const onError = (error: Error) => (spawnError = error);
  wait.child.on("exit", onExit);
  wait.child.on("error", onError);

  try {
    let lastError: HealthCheckError | undefined;
    for (let attempt = 0; ; attempt++) {
      if (spawnError) {
        throw new ServerStartError(`Could not launch the Spark Connect server: ${spawnError.message}.\nServer log: ${wait.logFile}`, {
          cause: spawnError,
          logFile: wait.logFile,
        });
      }
      if (exit) throw diedError(wait, exit);
      const elapsed = Date.now() - started;
      if (elapsed > wait.timeoutMs) throw timeoutError(wait, lastError);
      if (attempt % 4 === 0) {
        wait.onProgress(`spark-autobundle: starting Spark Connect on ${LOOPBACK_HOST}:${wait.port} (${formatDuration(elapsed)})`);
      }
      try {
        // Never past the caller's deadline: a port that accepts but doesn't answer would hold each check for 5 s.
        const remainingMs = Math.max(1, wait.timeoutMs - (Date.now() - started));
        const health = await checkHealth({ host: LOOPBACK_HOST, port: wait.port, token: wait.token, timeoutMs: Math.min(5_000, remainingMs) });
        return { sparkVersion: health.sparkVersion, elapsedMs: Date.now() - started };
      } catch (error) {
        if (!(error instanceof HealthCheckError)) throw error;
        // The port answering with "wrong token" means a different server owns it.
        if (error.isAuthFailure && !exit) throw foreignServerError(wait, error);
        lastError = error;
      }
      await sleep(500);
    }
  } finally {
    wait.child.off("exit", onExit);
    wait.child.off("error", onError);
  }
}

function diedError(wait: ReadyWait, exit: { code: number | null; signal: NodeJS.Signals | null }): Error {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = quoteLogTail(wait.logFile);
  if (BIND_FAILURE.test(readLogTail(wait.logFile, 200))) {
    return new PortBusyError(
      wait.port,
      `The Spark Connect server ${how} because it could not bind ${LOOPBACK_HOST}:${wait.port}. ${portBusyAdvice(wait.port)}\n${tail}`,
      { logFile: wait.logFile },
    );
  }
  return new ServerStartError(
    `The Spark Connect server ${how} during startup. The log below says why; common causes are an invalid ` +
      `Spark setting (e.g. spark.driver.memory), too little free memory, or a broken Java installation.\n${tail}`,
    { logFile: wait.logFile },
  );
}

function timeoutError(wait: ReadyWait, lastError: HealthCheckError | undefined): Error {
  return new ServerStartError(
    `The Spark Connect server did not answer its health check within ${formatDuration(wait.timeoutMs)} ` +
      `(last attempt: ${lastError?.message ?? "none"}). The machine may be overloaded; retry, or raise the ` +
      `readyTimeoutMs option.\n${quoteLogTail(wait.logFile)}`,
    { cause: lastError, logFile: wait.logFile },
  );
}

function foreignServerError(wait: ReadyWait, error: HealthCheckError): Error {
  return new PortBusyError(
    wait.port,
    `Port ${wait.port} is answered by a Spark Connect server that rejects our token, so it is not the one just started. ` +
      `${portBusyAdvice(wait.port)}\nServer log: ${wait.logFile}`,
    { cause: error, logFile: wait.logFile },
  );
}
