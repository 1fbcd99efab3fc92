import net from "node:net";
import { DEFAULT_CONNECT_PORT, ENV, LOOPBACK_HOST } from "../constants.js";
import { PortBusyError } from "../errors.js";

/** Port from the option, else `$SPARK_AUTOBUNDLE_PORT`, else `fallback`; `explicit` says whether one was asked for. */
export function resolvePort(
  option: number | undefined,
  env: NodeJS.ProcessEnv,
  fallback: number = DEFAULT_CONNECT_PORT,
): { port: number; explicit: boolean } {
  if (option !== undefined) return { port: validPort(option, "the port option"), explicit: true };
  const fromEnv = env[ENV.port];
  if (fromEnv) return { port: validPort(Number(fromEnv), `${ENV.port}=${fromEnv}`), explicit: true };
  return { port: fallback, explicit: false };
}

function validPort(port: number, source: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Invalid port from ${source}: use an integer between 1 and 65535 (e.g. ${DEFAULT_CONNECT_PORT}).`);
  }
  return port;
}

/** Advice shared by the pre-start check and the "server died with a bind error" path. */
export function portBusyAdvice(port: number): string {
  return (
    `Port ${port} on ${LOOPBACK_HOST} is already in use by another process. ` +
    `Stop that process (\`lsof -i :${port}\` or \`ss -ltnp | grep ${port}\` shows which one), ` +
    `or pick another port with the \`port\` option / --port / ${ENV.port}.`
  );
}

/**
 * Tries to listen on the port ourselves: the only check that sees exactly what the server will see.
 * A busy port is retried for `graceMs`: a JVM that was just killed (its state file says gone, its
 * cmdline is already empty) keeps the socket for a few more milliseconds while its threads exit.
 */
export async function assertPortFree(port: number, logFile: string, graceMs = 3_000): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    try {
      return await tryListen(port, logFile);
    } catch (error) {
      if (!(error instanceof PortBusyError) || Date.now() >= deadline || (error.cause as NodeJS.ErrnoException)?.code !== "EADDRINUSE") throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function tryListen(port: number, logFile: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: LOOPBACK_HOST, exclusive: true }, resolve);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      const advice =
        code === "EADDRINUSE"
          ? portBusyAdvice(port)
          : `Listening on port ${port} was denied (ports below 1024 need privileges); pick a port above 1024 with the \`port\` option / --port / ${ENV.port}.`;
      throw new PortBusyError(port, `Cannot start the local Spark Connect server: ${advice}\nServer log: ${logFile}`, {
        cause: error,
        logFile,
      });
    }
    throw error;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
