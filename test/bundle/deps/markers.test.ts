import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compareVersions, envFromTarget, evaluateMarker, parseVersion, specifierContains, type MarkerEnv } from "../../../src/bundle/deps/markers.js";
import { forWorkers } from "../../../src/bundle/deps/shipper.js";
import { detectPython } from "../../../src/server/provision/requirements.js";

const LINUX_311: MarkerEnv = { ...envFromTarget("3.11", "linux-x86_64"), python_full_version: "3.11.7", platform_release: "6.1.0", implementation_version: "3.11.7" };
const MAC_312: MarkerEnv = { ...envFromTarget("3.12", "macosx-14.0-arm64"), python_full_version: "3.12.0rc1", platform_machine: "arm64" };

const MARKERS = [
  'python_version >= "3.8"',
  "python_version < '3.12'",
  'python_version == "3.11"',
  'python_full_version >= "3.11.4" and sys_platform == "linux"',
  'python_full_version < "3.12.0"',
  'python_version ~= "3.10"',
  'python_version != "3.11.*"',
  'python_full_version == "3.11.*"',
  "sys_platform == 'win32' or (platform_machine == 'x86_64' and os_name == 'posix')",
  "platform_system != 'Darwin'",
  "'linux' in sys_platform",
  "'arm' not in platform_machine",
  'implementation_name == "cpython" and platform_python_implementation == "CPython"',
  'extra == "Dev_Tools"',
  'os.name == "posix"',
  'python_version > "3.9" and (sys_platform == "darwin" or sys_platform == "linux") and platform_machine != "aarch64"',
];

describe("PEP 508 markers for the workers", () => {
  it("agrees with packaging (pip's vendored copy) on every marker, for two environments", async () => {
    const python = (await detectPython()).executable;
    // The extra spelled as the marker does: this packaging (21.3) predates PEP 685's normalized comparison, which we follow.
    for (const env of [LINUX_311, { ...MAC_312, extra: "Dev_Tools" }]) {
      const script = "import json,sys\nfrom pip._vendor.packaging.markers import Marker\nd=json.load(sys.stdin)\nprint(json.dumps([Marker(m).evaluate(d['env']) for m in d['markers']]))";
      const theirs = JSON.parse(execFileSync(python, ["-c", script], { input: JSON.stringify({ env: { platform_release: "", platform_version: "", implementation_version: "", extra: "", ...env }, markers: MARKERS }) }).toString()) as boolean[];
      expect(MARKERS.map((m) => evaluateMarker(m, env)), JSON.stringify(env)).toEqual(theirs);
    }
  });

  it("PEP 751's extras and dependency_groups are sets", () => {
    const env = { ...LINUX_311, extras: ["ml"], dependency_groups: ["default"] };
    expect(evaluateMarker("'ml' in extras and 'default' in dependency_groups", env)).toBe(true);
    expect(evaluateMarker("'dev' in dependency_groups", env)).toBe(false);
    expect(evaluateMarker("'dev' not in dependency_groups", env)).toBe(true);
    expect(evaluateMarker("extra == 'dev-tools'", { ...env, extra: "Dev_Tools" })).toBe(true); // PEP 685: normalized
  });

  it("a marker that doesn't parse names itself and both fixes", () => {
    expect(() => evaluateMarker('python_version >= "3.8" and', LINUX_311, "requirements.txt:3")).toThrow(/^requirements\.txt:3: the environment marker "python_version >= "3\.8" and" is not valid PEP 508 .*Fix: edit it, or set dependencies: false/);
    expect(() => evaluateMarker("colour == 'red'", LINUX_311)).toThrow(/unknown variable colour/);
  });

  it("orders versions and checks specifier lists the PEP 440 way", () => {
    const order = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1"];
    for (let i = 1; i < order.length; i++) expect(compareVersions(parseVersion(order[i - 1]!)!, parseVersion(order[i]!)!)).toBeLessThan(0);
    expect(compareVersions(parseVersion("3.10")!, parseVersion("3.10.0")!)).toBe(0);
    expect(specifierContains(">=3.10, <4", "3.11.7")).toBe(true);
    expect(specifierContains(">=3.12", "3.11.7")).toBe(false);
    expect(specifierContains("~=3.10", "4.0")).toBe(false);
    expect(specifierContains("==3.11.*", "3.11.7")).toBe(true);
  });

  it("requirement lines: a false marker drops the line, a true one is stripped so pip can't judge it for this machine", () => {
    expect(forWorkers("toolz==1.0.0 ; python_version < '3'", LINUX_311)).toEqual([]);
    expect(forWorkers("humanize>=4 ; sys_platform == 'linux' --hash=sha256:aa", LINUX_311)).toEqual(["humanize>=4 --hash=sha256:aa"]);
    expect(forWorkers("pkg @ https://x.example/p.whl ; os_name == 'posix'", LINUX_311)).toEqual(["pkg @ https://x.example/p.whl"]);
    expect(forWorkers("attrs", LINUX_311)).toEqual(["attrs"]);
  });
});
