// Choosing the run's server without starting one: a named remote is used as given.
import { describe, expect, it } from "vitest";
import { acquireServer, runPythonVersion } from "../../src/vitest/server.js";

describe("acquireServer", () => {
  it("uses the remote option over SPARK_REMOTE, and releasing it stops nothing", async () => {
    const env = { SPARK_REMOTE: "sc://from-env:15002" };
    const server = await acquireServer({ remote: "sc://spark.example.com:15002/;token=abc" }, env);
    expect(server.remote).toBe("sc://spark.example.com:15002/;token=abc");
    expect(server.pythonVersion).toBeUndefined();
    await expect(server.release()).resolves.toBeUndefined();
  });

  it("uses SPARK_REMOTE when no option names a server", async () => {
    const server = await acquireServer({}, { SPARK_REMOTE: " sc://from-env:15002 " });
    expect(server.remote).toBe("sc://from-env:15002");
  });

  it("rejects a malformed SPARK_REMOTE once, naming the variable", async () => {
    await expect(acquireServer({}, { SPARK_REMOTE: "http://spark:15002" })).rejects.toThrow(/SPARK_REMOTE/);
  });
});

describe("runPythonVersion", () => {
  const server = { remote: "sc://unreachable.invalid:1", pythonVersion: "3.10", release: async () => {} };

  it("prefers the option, then SPARK_AUTOBUNDLE_PYTHON_VERSION, then what the server said, without a job", async () => {
    expect(await runPythonVersion({ pythonVersion: "3.12" }, server, { SPARK_AUTOBUNDLE_PYTHON_VERSION: "3.11" })).toBe("3.12");
    expect(await runPythonVersion({}, server, { SPARK_AUTOBUNDLE_PYTHON_VERSION: "3.11" })).toBe("3.11");
    expect(await runPythonVersion({}, server, {})).toBe("3.10");
  });
});
