// `watch` against the shared Spark Connect server: edits reach a session that scripts join by its id.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { copyFixture, tempDir } from "../../bundle/helpers.js";
import { CapturedStream, exitOf, JsonLines, REPO_ROOT, plainEnv, spawnCli } from "../helpers.js";
import { joinSession } from "../join.js";
import { main } from "../../../src/cli/main.js";

interface WatchLine {
  type: string;
  sessionId?: string;
  remote?: string;
  hash?: string;
  fromHash?: string;
  toHash?: string;
  loaderModule?: string;
  artifact?: string;
  names?: string[];
  ok?: boolean;
}

const children: ChildProcess[] = [];
afterEach(() => {
  // Only the children this file started, by their pid, if a failed test left one running.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
});

function editNormalize(root: string, from: string, to: string): void {
  const file = join(root, "src/textkit/text.py");
  const text = readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${from}`);
  writeFileSync(file, text.replace(from, to));
}

describe("watch", () => {
  it("keeps a session's bundle current: a script joining with the session id runs the edited code without uploading, and SIGINT exits 0", async () => {
    const root = copyFixture("srclayout");
    const sessionId = randomUUID();
    const child = spawnCli(["watch", "--remote", inject("sparkRemote"), "--session-id", sessionId, "--root", root, "--cache-dir", tempDir("sab-cli-cache-"), "--json"]);
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = new JsonLines<WatchLine>(child);

    const start = await lines.next((l) => l.type === "start", "the start line");
    expect(start).toMatchObject({ ok: true, sessionId, root });
    expect(start.remote).toContain(`;session_id=${sessionId}`);
    const synced = await lines.next((l) => l.type === "synced", "the first sync");
    expect(synced.loaderModule).toMatch(/^_sab_loader_[0-9a-f]{12}$/);
    expect(synced.artifact).toMatch(/^pyfiles\/textkit-[0-9a-f]{12}\.zip$/);

    const joined = await joinSession(start.remote!, inject("sparkPythonVersion"));
    try {
      expect(await joined.call("textkit.text:normalize", " A  B ", synced.loaderModule!)).toBe("a b");

      editNormalize(root, 'return _SPACE.sub(" ", s.strip()).lower()', 'return "v2:" + s.strip().upper()');
      const update = await lines.next((l) => l.type === "watch-update" && l.fromHash === synced.hash, "the update after the edit");
      expect(update.toHash).not.toBe(synced.hash);
      expect(update.loaderModule).toMatch(/^_sab_loader_[0-9a-f]{12}$/);
      expect(await joined.call("textkit.text:normalize", " A  B ", update.loaderModule!)).toBe("v2:A  B");
      expect(joined.uploads).toBe(0); // the watch process uploaded; the joining script never did
    } finally {
      joined.close();
    }

    child.kill("SIGINT");
    expect(await exitOf(child), stderr).toBe(0);
    expect(lines.seen.at(-1)).toEqual({ type: "stop", ok: true, released: false });

    // The README's loop: the same command again works, since a pinned session is kept open on exit.
    // This run releases it (--release), after which Spark refuses the id for good (SESSION_CLOSED).
    const cacheDir = tempDir("sab-cli-cache-");
    const again = { stdout: new CapturedStream(), stderr: new CapturedStream(), stop: new AbortController() };
    const exit = main(["watch", "--remote", inject("sparkRemote"), "--session-id", sessionId, "--release", "--root", root, "--cache-dir", cacheDir], {
      stdout: again.stdout,
      stderr: again.stderr,
      env: plainEnv(),
      cwd: REPO_ROOT,
      signal: again.stop.signal,
    });
    await again.stdout.waitFor(/^ready: the session holds /m);
    again.stop.abort();
    expect(await exit, again.stderr.text).toBe(0);
    expect(again.stdout.text).toMatch(/Stopped; the session was released\.\n$/);

    const closed = { stdout: new CapturedStream(), stderr: new CapturedStream() };
    const code = await main(["push", "--remote", inject("sparkRemote"), "--session-id", sessionId, "--root", root, "--cache-dir", cacheDir], { ...closed, env: plainEnv(), cwd: REPO_ROOT });
    expect(code).toBe(1);
    expect(closed.stderr.text).toContain(`error: Session ${sessionId} is closed on the server: it was released`);
    expect(closed.stderr.text).toContain("Fix: use a new id, `--session-id new`");
    expect(closed.stderr.text.trim().split("\n")).toHaveLength(2); // the message and its fix: no stack
  });

  it("in-process: prints the session, the remote, one line per update and watch errors, and stops cleanly on its abort signal", async () => {
    const root = copyFixture("srclayout");
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "srclayout-fixture", sparkAutobundle: { maxFileBytes: 4096 } }));
    const stdout = new CapturedStream();
    const stderr = new CapturedStream();
    const stop = new AbortController();
    const exit = main(["watch", "--remote", inject("sparkRemote"), "--root", root, "--cache-dir", tempDir("sab-cli-cache-")], {
      stdout,
      stderr,
      env: plainEnv(),
      cwd: REPO_ROOT,
      signal: stop.signal,
    });
    const [, sessionId] = await stdout.waitFor(/^Watching .*srclayout for session ([0-9a-f-]{36})\n {2}remote: sc:\/\/\S+;session_id=\1\n/m);
    await stdout.waitFor(/^ready: the session holds [0-9a-f]{12} \(2 files, [\d.]+ KiB\); watching for changes$/m);
    expect(sessionId).toBeDefined();
    editNormalize(root, "def normalize", "def unused():\n    return 1\n\n\ndef normalize");
    await stdout.waitFor(/^update .*1 file changed/m);
    writeFileSync(join(root, "src/textkit/big.json"), "0".repeat(5000));
    await stderr.waitFor(/^watch error: .*src\/textkit\/big\.json is 4\.9 KiB, over the 4\.0 KiB per-file limit/m);
    stop.abort();
    expect(await exit).toBe(0);
    expect(stdout.text).toMatch(/Stopped; the session was released\.\n$/);
    expect(stdout.text).not.toContain("\x1b[");
  });
});
