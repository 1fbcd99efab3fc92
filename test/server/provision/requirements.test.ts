import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  detectJava,
  detectPython,
  parseJavaVersion,
  parsePythonVersion,
  RequirementError,
  sparkLineSpec,
} from "../../../src/server/index.js";

// Verbatim `java -version` outputs (they go to stderr) from real JDK builds.
const TEMURIN_21 = `openjdk version "21.0.2" 2024-01-16 LTS
OpenJDK Runtime Environment Temurin-21.0.2+13 (build 21.0.2+13-LTS)
OpenJDK 64-Bit Server VM Temurin-21.0.2+13 (build 21.0.2+13-LTS, mixed mode, sharing)`;
const OPENJDK_8 = `openjdk version "1.8.0_392"
OpenJDK Runtime Environment (build 1.8.0_392-8u392-ga-1~deb11u1-b08)
OpenJDK 64-Bit Server VM (build 25.392-b08, mixed mode)`;
const ORACLE_8 = `java version "1.8.0_391"
Java(TM) SE Runtime Environment (build 1.8.0_391-b13)
Java HotSpot(TM) 64-Bit Server VM (build 25.391-b13, mixed mode)`;
const DEBIAN_17 = `openjdk version "17.0.15" 2025-04-15
OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)
OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)`;
const GA_17 = `openjdk version "17" 2021-09-14
OpenJDK Runtime Environment (build 17+35-2724)
OpenJDK 64-Bit Server VM (build 17+35-2724, mixed mode, sharing)`;
const WITH_TOOL_OPTIONS = `Picked up JAVA_TOOL_OPTIONS: -Dfile.encoding=UTF-8
openjdk version "11.0.21" 2023-10-17`;

describe("parseJavaVersion", () => {
  it.each([
    ["Temurin 21", TEMURIN_21, 21, "21.0.2"],
    ["OpenJDK 8", OPENJDK_8, 8, "1.8.0_392"],
    ["Oracle 8", ORACLE_8, 8, "1.8.0_391"],
    ["Debian OpenJDK 17", DEBIAN_17, 17, "17.0.15"],
    ["OpenJDK 17 GA", GA_17, 17, "17"],
    ["JAVA_TOOL_OPTIONS preamble", WITH_TOOL_OPTIONS, 11, "11.0.21"],
  ])("%s", (_name, output, major, raw) => {
    expect(parseJavaVersion(output)).toEqual({ major, raw });
  });

  it("returns undefined for output without a version", () => {
    expect(parseJavaVersion("Unable to locate a Java Runtime.")).toBeUndefined();
  });
});

describe("parsePythonVersion", () => {
  it.each([
    ["Python 3.11.7", { major: 3, minor: 11, patch: 7, raw: "3.11.7" }],
    ["Python 3.13.0rc1", { major: 3, minor: 13, patch: 0, raw: "3.13.0rc1" }],
    ["Python 2.7.18", { major: 2, minor: 7, patch: 18, raw: "2.7.18" }],
  ])("%s", (output, expected) => {
    expect(parsePythonVersion(output)).toEqual(expected);
  });

  it("returns undefined for output without a version", () => {
    expect(parsePythonVersion("command not found")).toBeUndefined();
  });
});

// Fake executables: real shell scripts on an injected PATH, printing what a real binary would.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sab-req-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function fakeDir(name: string, executables: Record<string, string>): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, script] of Object.entries(executables)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  }
  return dir;
}

// printf is a shell builtin: the injected PATH holds nothing but the fakes.
const printsToStderr = (text: string) =>
  `printf '%s\\n' ${text.split("\n").map((line) => `'${line}'`).join(" ")} >&2`;

describe.skipIf(process.platform === "win32")("detectJava", () => {
  it("explains how to install Java when there is none", async () => {
    const empty = fakeDir("no-java", {});
    const error = await detectJava({ PATH: empty }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequirementError);
    const message = (error as Error).message;
    expect(message).toContain("Java was not found");
    expect(message).toContain("apt-get install openjdk-17-jre-headless");
    expect(message).toContain("brew install openjdk@17");
    expect(message).toContain("JAVA_HOME");
  });

  it("rejects Java 8 and says what was found and what is needed", async () => {
    const dir = fakeDir("java8", { java: printsToStderr(OPENJDK_8) });
    const error = await detectJava({ PATH: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequirementError);
    expect((error as Error).message).toContain("Found Java 1.8.0_392");
    expect((error as Error).message).toContain(path.join(dir, "java"));
    expect((error as Error).message).toContain("Java 17 or newer");
  });

  it("prefers $JAVA_HOME/bin/java over PATH and reports that JAVA_HOME", async () => {
    const old = fakeDir("java8-on-path", { java: printsToStderr(OPENJDK_8) });
    const home = fakeDir("jdk21", { "bin/java": printsToStderr(TEMURIN_21) });
    const java = await detectJava({ PATH: old, JAVA_HOME: home });
    expect(java.version.major).toBe(21);
    expect(java.executable).toBe(path.join(home, "bin", "java"));
    expect(java.javaHome).toBe(home);
  });

  it("names a JAVA_HOME without bin/java", async () => {
    const home = fakeDir("not-a-jdk", {});
    const error = await detectJava({ PATH: "", JAVA_HOME: home }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequirementError);
    expect((error as Error).message).toContain(`JAVA_HOME is set to ${home}`);
  });

  it("derives JAVA_HOME from a java found on PATH through symlinks", async () => {
    const jdk = fakeDir("jdk17-real", { "bin/java": printsToStderr(DEBIAN_17) });
    const bin = fakeDir("usr-bin", {});
    fs.symlinkSync(path.join(jdk, "bin", "java"), path.join(bin, "java"));
    const java = await detectJava({ PATH: bin });
    expect(java.version.raw).toBe("17.0.15");
    expect(java.javaHome).toBe(fs.realpathSync(jdk));
  });

  it("finds this machine's real Java", async () => {
    const java = await detectJava(process.env);
    expect(java.version.major).toBeGreaterThanOrEqual(17);
    expect(fs.existsSync(path.join(java.javaHome, "bin", "java"))).toBe(true);
  });
});

describe.skipIf(process.platform === "win32")("detectPython", () => {
  it("explains how to install Python when there is none", async () => {
    const empty = fakeDir("no-python", {});
    const error = await detectPython({ PATH: empty }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequirementError);
    const message = (error as Error).message;
    expect(message).toContain("Python was not found");
    expect(message).toContain("apt-get install python3 python3-venv");
    expect(message).toContain("SPARK_AUTOBUNDLE_PYTHON");
  });

  it("rejects a Python older than pyspark supports", async () => {
    const dir = fakeDir("py38", { python3: `echo "Python 3.8.10"` });
    const error = await detectPython({ PATH: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequirementError);
    expect((error as Error).message).toContain("Found Python 3.8.10");
    expect((error as Error).message).toContain("Python 3.11 or newer");
  });

  it("checks the floor of the line asked for: 3.9 passes for 3.5 and 4.0, 3.10 does not for 4.3", async () => {
    const py39 = fakeDir("py39", { python3: `echo "Python 3.9.18"` });
    await expect(detectPython({ PATH: py39 }, sparkLineSpec("4.0").minPython)).resolves.toMatchObject({ version: { major: 3, minor: 9 } });
    await expect(detectPython({ PATH: py39 }, sparkLineSpec("3.5").minPython)).resolves.toMatchObject({ version: { major: 3, minor: 9 } });
    const py310 = fakeDir("py310", { python3: `echo "Python 3.10.12"` });
    const error = await detectPython({ PATH: py310 }, sparkLineSpec("4.3").minPython).catch((e: unknown) => e);
    expect((error as Error).message).toContain("Found Python 3.10.12");
    expect((error as Error).message).toContain("need Python 3.11 or newer");
  });

  it("falls back to `python` and honours SPARK_AUTOBUNDLE_PYTHON first", async () => {
    const dir = fakeDir("only-python", { python: `echo "Python 3.12.1"`, "alt/py": `echo "Python 3.13.0"` });
    expect((await detectPython({ PATH: dir })).executable).toBe(path.join(dir, "python"));
    const chosen = await detectPython({ PATH: dir, SPARK_AUTOBUNDLE_PYTHON: path.join(dir, "alt/py") });
    expect(chosen.version).toMatchObject({ major: 3, minor: 13 });
  });

  it("names a SPARK_AUTOBUNDLE_PYTHON that does not exist", async () => {
    const error = await detectPython({ PATH: "", SPARK_AUTOBUNDLE_PYTHON: path.join(scratch, "nope") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequirementError);
    expect((error as Error).message).toContain(`SPARK_AUTOBUNDLE_PYTHON is set to ${path.join(scratch, "nope")}`);
  });

  it("finds this machine's real Python", async () => {
    const python = await detectPython(process.env);
    expect(python.version.major).toBe(3);
    expect(python.version.minor).toBeGreaterThanOrEqual(10);
  });
});

describe("a java that never answers `-version`", () => {
  it.skipIf(process.platform === "win32")("times out with an error saying so, and leaves no process behind (its children included)", async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "sab-hang-java-"));
    const marker = `sab-hang-${process.pid}-${Date.now()}`;
    // A wrapper script whose child sleeps: killing only the script would leave the sleep (and the pipe) behind.
    fs.writeFileSync(path.join(bin, "java"), `#!/bin/bash\n(exec -a ${marker} sleep 300) &\nwait\n`, { mode: 0o755 });
    const started = Date.now();
    const err = await detectJava({ PATH: `${bin}:/usr/bin:/bin` }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(RequirementError);
    expect((err as Error).message).toMatch(/`.*java -version` did not finish within 1 s \(timed out\)/);
    expect((err as Error).message).toMatch(/JAVA_HOME/);
    await new Promise((r) => setTimeout(r, 200));
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(marker);
  });
});
