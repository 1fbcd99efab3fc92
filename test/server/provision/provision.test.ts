import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectPython, ProvisionError } from "../../../src/server/index.js";
import { homeLayout } from "../../../src/server/home/paths.js";
import { ensureProvisioned, findProvisioned } from "../../../src/server/provision/provision.js";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "sab-provision-"));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(process.platform === "win32")("provisioning", () => {
  it("fails a pip install cleanly: the error quotes pip's log and nothing half-installed remains", async () => {
    const layout = homeLayout(home);
    // A real pip run against an index that refuses connections (loopback, nothing listening).
    const env = {
      ...process.env,
      PIP_INDEX_URL: `http://127.0.0.1:${await closedPort()}/simple`,
      PIP_RETRIES: "0",
      PIP_NO_CACHE_DIR: "1",
    };
    const lines: string[] = [];
    const error = await ensureProvisioned(layout, await detectPython(env), (line) => lines.push(line), env).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProvisionError);
    const logFile = path.join(layout.logsDir, "pip-install.log");
    expect((error as ProvisionError).logFile).toBe(logFile);
    expect((error as Error).message).toContain("`pip install pyspark==4.3.0 pandas==");
    expect((error as Error).message).toContain(`Full log: ${logFile}`);
    expect((error as Error).message).toMatch(/\| .*(No matching distribution|Could not find a version)/);
    expect(lines[0]).toContain("creating a Python");

    expect(fs.existsSync(layout.venvDir)).toBe(false);
    expect(fs.readdirSync(home).filter((entry) => entry.includes(".partial-"))).toEqual([]);
    expect(findProvisioned(layout)).toBeUndefined();
  }, 120_000);
});
