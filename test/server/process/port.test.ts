// The pre-start port check: a port a just-killed JVM still holds is waited for (the grace period), a port
// held for good is a PortBusyError naming it and the fix. Real sockets on 127.0.0.1.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PortBusyError } from "../../../src/server/errors.js";
import { assertPortFree } from "../../../src/server/process/port.js";
import { freePort } from "../../helpers/private-home.js";

const held: net.Server[] = [];
afterEach(() => {
  for (const s of held.splice(0)) s.close();
});

async function hold(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  held.push(server);
  return server;
}

describe("assertPortFree", () => {
  it("waits for a port that is freed within the grace period, then succeeds", async () => {
    const port = await freePort();
    const blocker = await hold(port);
    let freed = false;
    setTimeout(() => blocker.close(() => (freed = true)), 600);
    await expect(assertPortFree(port, "/tmp/server.log", 10_000)).resolves.toBeUndefined();
    expect(freed).toBe(true);
  });

  it("gives up after the grace period with PortBusyError naming the port, the log and the fix", async () => {
    const port = await freePort();
    await hold(port);
    const error = await assertPortFree(port, "/tmp/server.log", 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortBusyError);
    expect((error as PortBusyError).port).toBe(port);
    expect((error as Error).message).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect((error as Error).message).toContain("--port");
  });
});
