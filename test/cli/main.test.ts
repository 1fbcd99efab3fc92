import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { EXIT_CODES_HELP, ExitCode, exitCodeOf } from "../../src/cli/exit-codes.js";
import { colourEnabled } from "../../src/cli/output.js";
import { BundleError } from "../../src/bundle/errors.js";
import { ConnectionStringError } from "../../src/connect/rpc/connection.js";
import { GrpcCode, SparkConnectError } from "../../src/connect/errors.js";
import { RequirementError, ServerStartError } from "../../src/server/errors.js";
import { CapturedStream, jsonOf, plainEnv, REPO_ROOT, runCliProcess, runMain } from "./helpers.js";

describe("exit codes", () => {
  it("maps each kind of failure to its code", () => {
    expect(exitCodeOf(new UsageError("x"))).toBe(ExitCode.USAGE);
    expect(exitCodeOf(new ConnectionStringError("", "no remote", "set one"))).toBe(ExitCode.USAGE);
    expect(exitCodeOf(new BundleError("FILE_TOO_LARGE", "x"))).toBe(ExitCode.BUNDLE);
    expect(exitCodeOf(new SparkConnectError("x", { grpcCode: GrpcCode.UNAVAILABLE }))).toBe(ExitCode.UNREACHABLE);
    expect(exitCodeOf(new SparkConnectError("x", { grpcCode: GrpcCode.UNAUTHENTICATED }))).toBe(ExitCode.UNREACHABLE);
    expect(exitCodeOf(new RequirementError("no java"))).toBe(ExitCode.UNREACHABLE);
    expect(exitCodeOf(new ServerStartError("did not start"))).toBe(ExitCode.UNREACHABLE);
    expect(exitCodeOf(new SparkConnectError("analysis", { errorClass: "TABLE_OR_VIEW_NOT_FOUND" }))).toBe(ExitCode.FAILURE);
    expect(exitCodeOf(new TypeError("bug"))).toBe(ExitCode.FAILURE);
  });

  it("are listed in the top-level help and in every command's help", async () => {
    const top = await runMain(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain(EXIT_CODES_HELP);
    for (const verb of ["ls", "bundle", "push", "watch", "server", "doctor"]) {
      const help = await runMain([verb, "--help"]);
      expect(help.code, verb).toBe(0);
      expect(help.stdout, verb).toContain(EXIT_CODES_HELP);
    }
  });
});

describe("main", () => {
  it("exits 2 for an unknown command, with a JSON error when --json is given", async () => {
    const run = await runMain(["frobnicate", "--json"]);
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toEqual({ ok: false, exitCode: 2, error: { name: "UsageError", message: 'unknown command "frobnicate"' } });
    expect(run.stderr).toContain('error: unknown command "frobnicate"');
  });

  it("exits 2 without a command, printing the help on stderr", async () => {
    const run = await runMain([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Usage: spark-autobundle <command>");
  });

  it("exits 2 for an unknown option, naming it and printing the verb's help", async () => {
    const run = await runMain(["bundle", "--frob", "--json"]);
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toMatchObject({ ok: false, exitCode: 2, error: { name: "UsageError", message: expect.stringContaining("--frob") } });
    expect(run.stderr).toContain("Usage: spark-autobundle bundle");
  });

  it("exits 2 when push has no remote: neither --remote nor SPARK_REMOTE", async () => {
    const env = plainEnv();
    delete env.SPARK_REMOTE;
    const run = await runMain(["push", "--root", "fixtures/srclayout", "--json"], { env });
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toMatchObject({ ok: false, exitCode: 2, error: { name: "ConnectionStringError", message: expect.stringContaining("SPARK_REMOTE") } });
  });

  it("exits 2 for a session id that is not a UUID", async () => {
    const run = await runMain(["push", "--remote", "sc://localhost:1", "--session-id", "abc", "--json"]);
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toMatchObject({ error: { message: expect.stringContaining("is not a UUID") } });
  });

  it("exits 3 when the server cannot be reached", async () => {
    const run = await runMain(["push", "--remote", "sc://127.0.0.1:1", "--root", "fixtures/srclayout", "--json"]);
    expect(run.code).toBe(3);
    expect(jsonOf(run)).toMatchObject({ ok: false, exitCode: 3, error: { name: "SparkConnectError", message: expect.stringContaining("Cannot reach"), fix: expect.any(String) } });
  });

  it("returns the exit code from a real subprocess (usage error → 2)", async () => {
    const run = await runCliProcess(["ls", "extra-argument", "--json"]);
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toMatchObject({ ok: false, exitCode: 2, error: { message: 'unexpected argument "extra-argument"' } });
  });
});

describe("colour", () => {
  const tty = new CapturedStream({ columns: 80 });
  const pipe = new CapturedStream();

  it("is on for a terminal only, off with NO_COLOR or TERM=dumb, forced by FORCE_COLOR", () => {
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: "1" })).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: "" })).toBe(true); // no-color.org: only a non-empty value counts
    expect(colourEnabled(tty, { TERM: "dumb" })).toBe(false);
    expect(colourEnabled(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(colourEnabled(tty, { FORCE_COLOR: "0" })).toBe(false);
    expect(colourEnabled(tty, { FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(true);
  });

  it("colours human output on a terminal, never --json output, and not with NO_COLOR", async () => {
    const args = ["ls", "--root", "fixtures/flatlib", "--explain"];
    expect((await runMain(args, { tty: true })).stdout).toContain("\x1b[");
    expect((await runMain(args, { tty: true, env: plainEnv({ NO_COLOR: "1" }) })).stdout).not.toContain("\x1b[");
    const json = await runMain([...args, "--json"], { tty: true, env: plainEnv({ FORCE_COLOR: "1" }) });
    expect(json.stdout).not.toContain("\x1b[");
    expect(json.stderr).not.toContain("\x1b[");
  });
});

describe("conventions: --version, -q/--quiet, --verbose, DEBUG", () => {
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
  const flatlib = ["ls", "--root", join(REPO_ROOT, "fixtures/flatlib")];

  it("--version and -V print the package's version", async () => {
    for (const flag of ["--version", "-V"]) expect(await runMain([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("-q/--quiet, before or after the verb, keeps warnings and progress off stderr; the result stays on stdout", async () => {
    const loud = await runMain(flatlib);
    expect(loud.stderr).toContain("warning: Not bundling weblog/.env");
    for (const argv of [["-q", ...flatlib], [...flatlib, "--quiet"]]) {
      const quiet = await runMain(argv);
      expect(quiet).toMatchObject({ code: 0, stderr: "", stdout: loud.stdout });
    }
    const failed = await runMain(["-q", "ls", "--root", "/nonexistent-sab"]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/^error: /); // errors still print
  });

  it("--verbose (or DEBUG=spark-autobundle in a real process) prints the library's debug lines; not with -q", async () => {
    const verbose = await runMain(["--verbose", ...flatlib]);
    expect(verbose.stderr).toMatch(new RegExp(`^spark-autobundle:cli spark-autobundle ${version.replaceAll(".", "\\.")} on node v`, "m"));
    expect((await runMain(flatlib)).stderr).not.toContain("spark-autobundle:cli");
    const viaEnv = await runCliProcess(flatlib, { env: plainEnv({ DEBUG: "spark-autobundle" }) });
    expect(viaEnv.stderr).toContain("spark-autobundle:cli ");
    const both = await runMain(["-q", "--verbose", ...flatlib]);
    expect(both.code).toBe(ExitCode.USAGE);
    expect(both.stderr).toContain("--quiet and --verbose contradict each other");
  });
});
