// A private spark-autobundle home for tests that start, kill or restart their own server: it borrows
// the machine's provisioned venv (and 3.5's Ivy cache) by symlink, so no test waits minutes for pip,
// and the shared server the test projects use is never touched.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { detectPython, resolveHome, type SparkLine } from "../../src/server/index.js";
import { homeLayout } from "../../src/server/home/paths.js";
import { ensureProvisioned, findProvisioned } from "../../src/server/provision/provision.js";

export { freeLoopbackPort as freePort } from "../../src/server/cluster/processes.js";

/** Creates the home (call in beforeAll: provisioning is the fallback when nothing is shared). */
export async function privateHome(spark?: SparkLine, onProgress: (line: string) => void = () => undefined): Promise<string> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "sab-home-"));
  const shared = homeLayout(resolveHome(), spark);
  const own = homeLayout(home, spark);
  fs.mkdirSync(own.home, { recursive: true });
  if (!findProvisioned(shared)) {
    await ensureProvisioned(own, await detectPython(), onProgress, process.env);
    return home;
  }
  fs.symlinkSync(shared.venvDir, own.venvDir);
  if (fs.existsSync(shared.ivyDir)) fs.symlinkSync(shared.ivyDir, own.ivyDir);
  return home;
}
