// endSessionDaemons over a /proc laid out by the test: real child processes stand in for a server's
// daemons (so the signal is real), the files describe who they are.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { endSessionDaemons } from "../../../src/server/process/session-daemons.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function sleeper(): ChildProcess {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));

function fakeProc(entries: Array<{ pid: number; parent: number; cmdline: string[]; environ: string[] }>): string {
  const dir = mkdtempSync(join(tmpdir(), "sab-proc-"));
  mkdirSync(join(dir, "self"));
  for (const { pid, parent, cmdline, environ } of entries) {
    mkdirSync(join(dir, String(pid)));
    // The command name may hold spaces and parentheses: the parent pid is found after the last ")".
    writeFileSync(join(dir, String(pid), "stat"), `${pid} (python3 (x) y) S ${parent} ${pid} ${pid} 0 -1`);
    writeFileSync(join(dir, String(pid), "cmdline"), `${cmdline.join("\0")}\0`);
    writeFileSync(join(dir, String(pid), "environ"), `${environ.join("\0")}\0`);
  }
  mkdirSync(join(dir, "4242424")); // vanished between listing and reading: skipped
  return dir;
}

describe("endSessionDaemons", () => {
  it("ends only the server's pyspark.daemon of that session, leaving other sessions', other servers' and other programs' alone", async () => {
    const [mine, otherSession, otherServer, notDaemon] = [sleeper(), sleeper(), sleeper(), sleeper()];
    const daemon = ["/venv/bin/python", "-m", "pyspark.daemon", "pyspark.worker"];
    const proc = fakeProc([
      { pid: mine.pid!, parent: 100, cmdline: daemon, environ: ["A=1", "SPARK_JOB_ARTIFACT_UUID=s-1"] },
      { pid: otherSession.pid!, parent: 100, cmdline: daemon, environ: ["SPARK_JOB_ARTIFACT_UUID=s-2"] },
      { pid: otherServer.pid!, parent: 200, cmdline: daemon, environ: ["SPARK_JOB_ARTIFACT_UUID=s-1"] },
      { pid: notDaemon.pid!, parent: 100, cmdline: ["/venv/bin/python", "tool.py"], environ: ["SPARK_JOB_ARTIFACT_UUID=s-1"] },
    ]);
    const ending = exited(mine);
    expect(endSessionDaemons(100, "s-1", proc)).toEqual([mine.pid]);
    expect(await ending).toBe("SIGTERM");
    for (const child of [otherSession, otherServer, notDaemon]) expect(child.exitCode === null && child.signalCode === null).toBe(true);
  });

  it("does nothing where there is no /proc", () => {
    expect(endSessionDaemons(100, "s-1", join(tmpdir(), "sab-no-proc-here"))).toEqual([]);
  });
});
