// Windows by construction, tested on Linux with an injected platform (nothing here ran on Windows):
// the cmd.exe command line cross-spawn builds for spark-submit.cmd / spark-class.cmd in a path with a
// space (decoded back the way cmd.exe and the C runtime read it), the JVM's pid found under cmd.exe,
// PowerShell instead of wmic, and taskkill /T for the whole tree.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnDaemon } from "../../../src/server/cluster/processes.js";
import { launchCommand, spawnServer } from "../../../src/server/process/launch.js";
import { homeLayout, sparkClassPath, sparkSubmitPath } from "../../../src/server/home/paths.js";
import { isPidAlive, processCommandLine, serverProcessPid, terminateProcess, type CapturedRunWithTimeout } from "../../../src/server/process/processes.js";
import { commandLineQuery, findJvmPid, killTreeCommand, parseProcessTable, spawnProgram, type ProcessRow } from "../../../src/server/process/windows.js";
import { CONNECT_SERVER_CLASS } from "../../../src/server/constants.js";
import type { ProvisionedSpark } from "../../../src/server/provision/provision.js";
import { tempDir } from "../../bundle/helpers.js";

interface Parsed {
  command: string;
  args: string[];
  options: Record<string, unknown>;
}

/** cross-spawn's parser as it runs on Windows: its modules (and which/isexe) read process.platform when loaded. */
function win32CrossSpawnParse(): (command: string, args: string[], options: object) => Parsed {
  const require = createRequire(import.meta.url);
  const ours = /[\\/]node_modules[\\/](cross-spawn|which|isexe|path-key|shebang-command|shebang-regex)[\\/]/;
  const clear = () => Object.keys(require.cache).filter((k) => ours.test(k)).forEach((k) => delete require.cache[k]);
  const real = Object.getOwnPropertyDescriptor(process, "platform")!;
  clear();
  Object.defineProperty(process, "platform", { ...real, value: "win32" });
  try {
    return require("cross-spawn")._parse;
  } finally {
    Object.defineProperty(process, "platform", real);
    clear(); // later loads get the native modules again
  }
}

/**
 * Reads `cmd.exe /d /e:on /v:off /s /c "<line>"` back into argv: /s strips the outer quotes, cmd.exe keeps
 * quoted text as is (so %…% must be neutralised: cross-spawn writes %%cd:~,% for %), then the batch
 * file's %* reaches the program, which splits it by the C runtime's rules ("" inside quotes is one ").
 */
function decodeCmdLine(parsed: Parsed): string[] {
  expect(parsed.args.slice(0, 5)).toEqual(["/d", "/e:on", "/v:off", "/s", "/c"]);
  const line = parsed.args[5]!;
  expect(line.startsWith('"') && line.endsWith('"')).toBe(true);
  const text = line.slice(1, -1).replaceAll("%%cd:~,%", "%");
  const argv: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === " ") i++;
    if (i >= text.length) break;
    let arg = "";
    let quoted = false;
    while (i < text.length && (quoted || text[i] !== " ")) {
      const c = text[i]!;
      if (c === "\\") {
        let n = 0;
        while (text[i] === "\\") (n++, i++);
        if (text[i] !== '"') arg += "\\".repeat(n);
        else {
          arg += "\\".repeat(Math.floor(n / 2));
          if (n % 2 === 1) (arg += '"', i++); // an escaped quote; an even run leaves the quote to toggle
        }
        continue;
      }
      if (c === '"') {
        if (quoted && text[i + 1] === '"') (arg += '"', (i += 2));
        else (quoted = !quoted, i++);
        continue;
      }
      if (!quoted && /[&|<>^()%]/.test(c)) throw new Error(`unquoted cmd.exe metacharacter ${c} in ${text}`);
      arg += c;
      i++;
    }
    argv.push(arg);
  }
  return argv;
}

const spaced = () => {
  const home = join(tempDir(), "Jane Doe", "AppData", "Local", "spark-autobundle");
  const sparkHome = join(home, "venv", "Lib", "site-packages", "pyspark");
  mkdirSync(join(sparkHome, "bin"), { recursive: true });
  for (const name of ["spark-submit.cmd", "spark-class.cmd"]) writeFileSync(join(sparkHome, "bin", name), "@echo off\r\n");
  return { home, sparkHome };
};

function spark(sparkHome: string, home: string): ProvisionedSpark {
  return {
    venvDir: join(home, "venv"),
    pythonExecutable: join(home, "venv", "Scripts", "python.exe"),
    pythonVersion: "3.11",
    sparkHome,
    sparkSubmit: sparkSubmitPath(sparkHome, "win32"),
    pysparkVersion: "4.1.4",
  };
}

describe("batch files through cmd.exe, quoted by cross-spawn (no shell: true)", () => {
  it("spark-submit.cmd under a user name with a space: the server's whole command line reads back intact", () => {
    const { home, sparkHome } = spaced();
    const layout = homeLayout(home);
    const launch = launchCommand({ layout, spark: spark(sparkHome, home), javaHome: "C:\\Program Files\\Java\\jdk-17", port: 15002, cores: 2, token: "t", env: {}, extraConf: { "spark.app.name": "a&b|c (50%) \"q\" x\\" } });
    expect(launch.command).toMatch(/spark-submit\.cmd$/);
    const parsed = win32CrossSpawnParse()(launch.command, launch.args, {});
    expect(parsed.command).toMatch(/cmd\.exe$/i);
    expect(parsed.options).toMatchObject({ windowsVerbatimArguments: true });
    expect(parsed.options.shell).toBeUndefined();
    expect(decodeCmdLine(parsed)).toEqual([launch.command, ...launch.args]);
    expect(launch.args).toContain(`spark.pyspark.python=${join(home, "venv", "Scripts", "python.exe")}`);
  });

  it("spark-class.cmd for the cluster's daemons: the path and .cmd on Windows, spark-class elsewhere", () => {
    const { home, sparkHome } = spaced();
    expect(sparkClassPath(sparkHome, "win32")).toBe(join(sparkHome, "bin", "spark-class.cmd"));
    expect(sparkClassPath(sparkHome, "linux")).toBe(join(sparkHome, "bin", "spark-class"));
    const calls: Array<[string, string[], Record<string, unknown>, string | undefined]> = [];
    const fake = ((command: string, args: string[], options: Record<string, unknown>, platform?: string) => {
      calls.push([command, args, options, platform]);
      return { pid: 4242, unref() {} };
    }) as unknown as typeof spawnProgram;
    const spec = { spark: spark(sparkHome, home), javaHome: "C:\\Java", confDir: join(home, "conf"), logFile: join(home, "logs", "master.log"), cwd: home, env: {} };
    expect(spawnDaemon(spec, "org.apache.spark.deploy.master.Master", ["--port", "7077"], "win32", fake)).toBe(4242);
    const [command, args, options, platform] = calls[0]!;
    expect([command, platform, options.shell, options.detached]).toEqual([join(sparkHome, "bin", "spark-class.cmd"), "win32", undefined, true]);
    const parsed = win32CrossSpawnParse()(command, args, {});
    expect(decodeCmdLine(parsed)).toEqual([command, "org.apache.spark.deploy.master.Master", "--port", "7077"]);
  });

  it("spawnServer hands the spawner no shell option", () => {
    const { home, sparkHome } = spaced();
    const seen: Array<Record<string, unknown>> = [];
    const fake = ((_c: string, _a: string[], options: Record<string, unknown>) => (seen.push(options), { pid: 1, unref() {} })) as unknown as typeof spawnProgram;
    spawnServer({ layout: homeLayout(home), spark: spark(sparkHome, home), javaHome: "C:\\Java", port: 15002, cores: 2, token: "t", env: {} }, fake);
    expect(seen[0]).toMatchObject({ detached: true, windowsHide: true });
    expect("shell" in seen[0]!).toBe(false);
  });

  it("spawnProgram drops a shell option: arguments reach the program verbatim (real spawn, POSIX)", async () => {
    const child = spawnProgram("/bin/echo", ["$HOME", "a b"], { shell: true, stdio: ["ignore", "pipe", "ignore"] }, "linux");
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d));
    await new Promise((resolve) => child.on("close", resolve));
    expect(out).toBe("$HOME a b\n");
  });
});

describe("the JVM's pid under cmd.exe (PowerShell Get-CimInstance, no wmic)", () => {
  const cls = CONNECT_SERVER_CLASS;
  const table: ProcessRow[] = [
    { ProcessId: 0, ParentProcessId: 0, Name: "System Idle Process" },
    { ProcessId: 50, ParentProcessId: 4, Name: "node.exe", CommandLine: "node main.js" },
    { ProcessId: 100, ParentProcessId: 50, Name: "cmd.exe", CommandLine: `cmd.exe /d /s /c ""C:\\x\\spark-submit.cmd" "--class" "${cls}""` },
    { ProcessId: 101, ParentProcessId: 100, Name: "cmd.exe", CommandLine: `cmd /V /E /C ""C:\\x\\spark-submit2.cmd" --class ${cls}"` },
    { ProcessId: 102, ParentProcessId: 101, Name: "java.exe", CommandLine: `java -cp x org.apache.spark.launcher.Main org.apache.spark.deploy.SparkSubmit --class ${cls}` },
    { ProcessId: 103, ParentProcessId: 101, Name: "java.exe", CommandLine: `"C:\\Java\\bin\\java" -cp x org.apache.spark.deploy.SparkSubmit --class ${cls} spark-internal` },
    { ProcessId: 104, ParentProcessId: 103, Name: "python.exe", CommandLine: "python -m pyspark.daemon" },
    // Another server (another home), not under our cmd.exe.
    { ProcessId: 200, ParentProcessId: 1, Name: "java.exe", CommandLine: `java --class ${cls}` },
  ];

  it("findJvmPid: the descendant java.exe running the class, not cmd.exe, Spark's launcher or another tree", () => {
    expect(findJvmPid(table, 100, cls)).toBe(103);
    expect(findJvmPid(table.filter((r) => r.ProcessId !== 103), 100, cls)).toBeUndefined();
    expect(findJvmPid(table, 999, cls)).toBeUndefined();
  });

  it("parseProcessTable: an array, a single object (ConvertTo-Json's one row), nothing", () => {
    expect(parseProcessTable(JSON.stringify(table))).toHaveLength(table.length);
    expect(parseProcessTable(JSON.stringify(table[3]))).toEqual([table[3]]);
    expect(parseProcessTable("  \r\n")).toEqual([]);
  });

  const fakeRun = (stdout: string, calls: string[][] = []) =>
    (async (command: string, args: readonly string[]) => {
      calls.push([command, ...args]);
      return { exitCode: 0, signal: null, stdout, stderr: "", timedOut: false } satisfies CapturedRunWithTimeout;
    }) as never;

  it("serverProcessPid: the JVM on win32, the spawned pid when PowerShell fails or on POSIX (no call)", async () => {
    const calls: string[][] = [];
    expect(await serverProcessPid(100, cls, "win32", fakeRun(JSON.stringify(table), calls))).toBe(103);
    expect(calls[0]!.slice(0, 3)).toEqual(["powershell.exe", "-NoProfile", "-NonInteractive"]);
    expect(calls[0]!.join(" ")).toContain("Get-CimInstance Win32_Process");
    expect(await serverProcessPid(100, cls, "win32", (async () => Promise.reject(new Error("ENOENT"))) as never)).toBe(100);
    const none: string[][] = [];
    expect(await serverProcessPid(100, cls, "linux", fakeRun("", none))).toBe(100);
    expect(none).toEqual([]);
  });

  it("processCommandLine on win32 asks PowerShell, never wmic; a gone process is undefined; only integer pids", async () => {
    const calls: string[][] = [];
    expect(await processCommandLine(103, "win32", fakeRun(`java --class ${cls}\r\n`, calls))).toBe(`java --class ${cls}`);
    expect(await processCommandLine(103, "win32", fakeRun("\r\n"))).toBeUndefined();
    expect(calls[0]!.join(" ")).not.toMatch(/wmic/i);
    expect(commandLineQuery(103).args.at(-1)).toBe('(Get-CimInstance Win32_Process -Filter "ProcessId=103").CommandLine');
    expect(() => commandLineQuery(Number.NaN)).toThrow(TypeError);
    expect(() => killTreeCommand(-1)).toThrow(TypeError);
  });

  it("terminateProcess on win32 kills the tree with taskkill /T /F and waits until the pid is gone", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const calls: string[][] = [];
    const taskkill = (async (command: string, args: readonly string[]) => {
      calls.push([command, ...args]);
      process.kill(pid, "SIGKILL"); // what taskkill does on Windows
      await exited;
      return { exitCode: 0, signal: null, stdout: "", stderr: "", timedOut: false };
    }) as never;
    expect(await terminateProcess(pid, 0, "win32", taskkill)).toBe("killed");
    expect(calls).toEqual([["taskkill.exe", "/T", "/F", "/PID", String(pid)]]);
    expect(isPidAlive(pid)).toBe(false);
    expect(await terminateProcess(pid, 0, "win32", taskkill)).toBe("exited");
    expect(calls).toHaveLength(1);
  });
});
