// Probe jobs without a server: the plan they send, how the answer is read, and (with real Python and
// pyspark) that the pickled command is what a worker would call, e.g. worker_facts.py's facts().
import { tableFromArrays } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ExecutePlanResponse, Plan } from "../../../src/gen/spark/connect/base_pb.js";
import { localFacts, probeWorkers } from "../../../src/bundle/deps/probe.js";
import { SparkConnectError } from "../../../src/connect/errors.js";
import { PyGlobal } from "../../../src/bundle/worker/pickle.js";
import { definedIn, runProbe, type ProbeSession } from "../../../src/bundle/worker/probe.js";
import { discoverPythonVersion, PYTHON_VERSION_ENV } from "../../../src/bundle/worker/pyver.js";
import { pysparkPython, runPython } from "../../helpers/python.js";
import { arrowBatch } from "../../helpers/recording-core.js";

/** A session whose probe jobs answer `answer(pythonVer)`: a value (one row), null (no rows), or an Error. */
function fakeSession(answer: (pythonVer: string) => string | null | Error, serverFacts?: { pythonVersion?: string }) {
  const plans: Plan[] = [];
  const session = {
    serverFacts,
    executeWithoutHooks(plan: Plan): AsyncIterable<ExecutePlanResponse> {
      plans.push(plan);
      return (async function* () {
        const result = answer(udfOf(plan).pythonVer);
        if (result instanceof Error) throw result;
        if (result !== null) yield arrowBatch(tableFromArrays({ value: [result] }));
      })();
    },
  };
  return { session: session as ProbeSession & { serverFacts: typeof serverFacts }, plans };
}

function udfOf(plan: Plan) {
  if (plan.opType.case !== "root" || plan.opType.value.relType.case !== "project") throw new Error("not a project plan");
  const project = plan.opType.value.relType.value;
  const expression = project.expressions[0]!.exprType;
  if (expression.case !== "commonInlineUserDefinedFunction" || expression.value.function.case !== "pythonUdf") throw new Error("not a Python UDF");
  return { project, name: expression.value.functionName, arguments: expression.value.arguments, ...expression.value.function.value };
}

const noRows = () => new Error("no rows");

describe("runProbe", () => {
  it("runs the UDF over one row, without arguments, and returns the first value", async () => {
    const { session, plans } = fakeSession(() => "3.11.7");
    const value = await runProbe(session, { functionName: "python_version", func: new PyGlobal("platform", "python_version"), pythonVer: "3.11", noRows });
    expect(value).toBe("3.11.7");
    const udf = udfOf(plans[0]!);
    expect(udf.project.input?.relType).toMatchObject({ case: "range", value: { start: 0n, end: 1n, numPartitions: 1 } });
    expect(udf).toMatchObject({ name: "python_version", arguments: [], pythonVer: "3.11", evalType: 100 });
  });

  it("throws the job's error when no row comes back", async () => {
    const { session } = fakeSession(() => null);
    await expect(runProbe(session, { functionName: "f", func: null, pythonVer: "3.11", noRows })).rejects.toThrow("no rows");
    const error = (await probeWorkers(session, "3.11").catch((e: unknown) => e)) as SparkConnectError;
    expect(error).toBeInstanceOf(SparkConnectError);
    expect(error.message).toContain("The workers' platform probe returned no rows.");
    expect(error.fix).toBe("Set dependencies.platforms and dependencies.serverHas explicitly.");
  });
});

describe("the probes' commands on a real Python", () => {
  // Unpickles the command as pyspark's worker does and calls the function with no arguments.
  const WORKER = `
import json, pickle, sys
func, return_type = pickle.loads(bytes.fromhex(sys.stdin.read()))
print(json.dumps({"value": func(), "type": repr(return_type)}))
`;
  const call = (command: Uint8Array) => JSON.parse(runPython(WORKER, Buffer.from(command).toString("hex"))) as { value: string; type: string };

  it("worker facts: facts() of worker_facts.py, the same as running the file as a script", async () => {
    const { session, plans } = fakeSession(() => "{}");
    await probeWorkers(session, "3.11");
    const udf = udfOf(plans[0]!);
    expect(udf.name).toBe("sab_worker_facts");
    const { value, type } = call(udf.command);
    expect(type).toBe("StringType()");
    expect(JSON.parse(value)).toEqual(await localFacts(pysparkPython()));
    expect(JSON.parse(value)).toMatchObject({ platform: expect.any(String), dists: expect.arrayContaining(["pyspark"]) });
  });

  it("definedIn runs the source with __name__ other than __main__ and returns the named function", async () => {
    const { session, plans } = fakeSession(() => "");
    const source = "import sys\nSTATE = []\ndef f():\n    return __name__ + ':' + str(len(STATE))\nif __name__ == '__main__':\n    STATE.append(1)\n";
    await runProbe(session, { functionName: "f", func: definedIn(source, "f"), pythonVer: "3.11", noRows });
    expect(call(udfOf(plans[0]!).command).value).toBe("sab_probe:0");
  });
});

describe("discoverPythonVersion", () => {
  beforeEach(() => vi.stubEnv(PYTHON_VERSION_ENV, "")); // no override from the environment
  afterEach(() => vi.unstubAllEnvs());

  it("tries candidates until a worker accepts one, and reports its major.minor", async () => {
    const { session, plans } = fakeSession((ver) => (ver === "3.10" ? "3.10.14" : new Error(`worker runs 3.10, not ${ver}`)));
    expect(await discoverPythonVersion(session)).toBe("3.10");
    expect(plans.map((plan) => udfOf(plan).pythonVer)).toEqual(["3.12", "3.11", "3.10"]);
  });

  it("names every candidate and keeps the last failure when none is accepted", async () => {
    const { session } = fakeSession((ver) => new Error(`refused ${ver}`));
    const error = (await discoverPythonVersion(session).catch((e: unknown) => e)) as SparkConnectError;
    expect(error).toBeInstanceOf(SparkConnectError);
    expect(error.errorClass).toBe("PYTHON_VERSION_UNKNOWN");
    expect(error.message).toContain("tried 3.12, 3.11, 3.10, 3.13, 3.9, 3.14");
    expect((error.cause as Error).message).toBe("refused 3.14");
  });

  it("asks no worker when told the version or when the server knows it", async () => {
    const { session, plans } = fakeSession(() => "3.12.1", { pythonVersion: "3.13" });
    expect(await discoverPythonVersion(session, "3.9")).toBe("3.9");
    expect(await discoverPythonVersion(session)).toBe("3.13");
    await expect(discoverPythonVersion(session, "3")).rejects.toThrow(`Set pythonVersion / ${PYTHON_VERSION_ENV}`);
    expect(plans).toEqual([]);
  });
});
