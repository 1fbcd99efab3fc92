// One local wheelhouse for the dependency tests whose subject is shipping, not pip's resolution against
// an index: filled once per machine from PyPI, then every resolution in those tests runs with
// PIP_NO_INDEX=1 and PIP_FIND_LINKS=<wheelhouse>, so a run makes no network round-trip per pip call
// (there were about 20) and can't fail on an index hiccup. Tests of resolution itself
// (test/bundle/deps/wheels.net.test.ts) still talk to PyPI.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { localFacts } from "../../src/bundle/deps/probe.js";
import { platformTags } from "../../src/bundle/deps/shipper.js";
import { runPython } from "../../src/bundle/deps/wheels.js";
import { detectPython } from "../../src/server/provision/requirements.js";

/** Every distribution the shipping tests declare (one pip download per line: a line is one consistent set). */
const SETS = [
  ["humanize==4.12.3", "toolz==1.0.0", "markupsafe==3.0.2", "python-dateutil"],
  ["humanize==4.11.0"],
];

let filled: Promise<string> | undefined;

/** The wheelhouse for this machine's Python and platform (the embedded servers' workers run the same), filled on first use. */
export function wheelhouse(): Promise<string> {
  filled ??= fill();
  return filled;
}

async function fill(): Promise<string> {
  const python = await detectPython();
  const pythonVersion = `${python.version.major}.${python.version.minor}`;
  const facts = await localFacts(python.executable);
  const platforms = platformTags(facts.platform, facts.libc);
  const key = `${pythonVersion}-${facts.platform}-${SETS.flat().join(",")}`.replace(/[^A-Za-z0-9.=,_-]+/g, "_");
  const dir = join(os.homedir(), ".cache", "spark-autobundle-test", "wheelhouse", key);
  if (existsSync(join(dir, ".complete"))) return dir;
  // Filled into a temp dir and renamed whole: a run killed mid-download leaves nothing half-filled behind.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const set of SETS) {
    const args = ["-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--only-binary=:all:", "--implementation", "cp", "--python-version", pythonVersion];
    for (const platform of platforms) args.push("--platform", platform);
    await runPython(python.executable, [...args, "-d", tmp, ...set]);
  }
  writeFileSync(join(tmp, ".complete"), "");
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/**
 * For the calling test file: pip resolves from the wheelhouse only (no index) from its first test on,
 * and the environment is put back after its last.
 */
export function useWheelhouse(): void {
  let restore: () => void = () => undefined;
  beforeAll(async () => {
    const dir = await wheelhouse();
    const saved = { PIP_NO_INDEX: process.env.PIP_NO_INDEX, PIP_FIND_LINKS: process.env.PIP_FIND_LINKS };
    process.env.PIP_NO_INDEX = "1";
    process.env.PIP_FIND_LINKS = dir;
    restore = () => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
  }, 600_000);
  afterAll(() => restore());
}
