// The foreach / foreachPartition commands in real Python with pyspark: the pickle unwraps to
// functools.partial(<python/foreach.py's wrapper>, loader.resolve(...)), the wrapper drops what the
// project's function returns, and foreachPartition hands it pyspark Rows made from Arrow batches:
// pyspark 4.1's own converter, and the fallback for older workers giving the same Rows.
import { describe, expect, it } from "vitest";
import { pythonUdfCommand } from "../../../src/bundle/worker/command.js";
import { FOREACH_PY } from "../../../src/gen/embedded.js";
import { runPython } from "../../helpers/python.js";

const base = { loaderModule: "_sab_loader_0123456789ab", modulePath: "mylib.effects", functionName: "record", returnTypeJson: '{"type":"struct","fields":[]}' };

const CHECKER = `
import datetime, functools, io, json, pickle, sys
import pyarrow as pa
from pyspark.sql.types import Row

seen = []
class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "_sab_loader_0123456789ab" and name == "resolve":
            def resolve(module_path, function_name, *deps):
                def project_function(arg):
                    seen.append(arg if isinstance(arg, Row) else [row for row in arg])
                    return "dropped"
                return project_function
            return resolve
        return super().find_class(module, name)

def plain(value):
    if isinstance(value, Row):
        return {"Row": {k: plain(v) for k, v in value.asDict().items()}}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {"dict": sorted([plain(k), plain(v)] for k, v in value.items())}
    if isinstance(value, datetime.datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    return value

cases = json.load(sys.stdin)
row_func, _ = Unpickler(io.BytesIO(bytes.fromhex(cases["row"]))).load()
part_func, _ = Unpickler(io.BytesIO(bytes.fromhex(cases["partition"]))).load()
out = {"partial": [type(row_func).__name__, row_func.func.__name__, part_func.func.__name__, row_func.func.__code__.co_filename]}
out["rowResult"] = row_func(Row(id=1, name="a"))
batches = [
    pa.RecordBatch.from_pydict({
        "id": pa.array([1, 2], pa.int64()),
        "inner": pa.array([{"x": 1, "tags": ["a"]}, None], pa.struct([("x", pa.int32()), ("tags", pa.list_(pa.string()))])),
        "m": pa.array([[("k", 1.5)], None], pa.map_(pa.string(), pa.float64())),
        "b": pa.array([b"\\x01", None], pa.binary()),
        "ts": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), None], pa.timestamp("us", tz="UTC")),
    }),
    pa.RecordBatch.from_pydict({"id": pa.array([3], pa.int64()), "inner": pa.array([None], pa.struct([("x", pa.int32()), ("tags", pa.list_(pa.string()))])),
        "m": pa.array([None], pa.map_(pa.string(), pa.float64())), "b": pa.array([None], pa.binary()), "ts": pa.array([None], pa.timestamp("us", tz="UTC"))}),
]
out["partitionResult"] = list(part_func(iter(batches)))
out["seen"] = plain(seen)
# The fallback converter (workers without pyspark.sql.conversion) against pyspark's own, on the same batches.
ns = {"__name__": "foreach_check"}
exec(cases["source"], ns)
from pyspark.sql.pandas.types import from_arrow_schema
schema = from_arrow_schema(batches[0].schema)
own = [ns["_plain_converter"](f.dataType) for f in schema.fields]
theirs = [ns["_converter"](f.dataType) for f in schema.fields]
columns = [c.to_pylist() for c in batches[0].columns]
out["fallbackSame"] = [[plain(a(v)) == plain(b(v)) for a, b, v in zip(own, theirs, [c[i] for c in columns])] for i in range(2)]
print(json.dumps(out))
`;

describe("foreach wrappers in real Python with pyspark", () => {
  const hex = (wrapper: "foreach_row" | "foreach_partition") => Buffer.from(pythonUdfCommand({ ...base, wrapper })).toString("hex");
  const out = JSON.parse(runPython(CHECKER, JSON.stringify({ row: hex("foreach_row"), partition: hex("foreach_partition"), source: FOREACH_PY }))) as Record<string, any>;

  it("unpickle to functools.partial(wrapper, the resolved function), dropping its return value", () => {
    expect(out.partial).toEqual(["partial", "foreach_row", "foreach_partition", "<spark-autobundle foreach.py>"]);
    expect(out.rowResult).toBeNull();
    expect(out.partitionResult).toEqual([]);
  });

  it("hand the row, then the partition's rows across batches as pyspark Rows (structs as Rows, maps as dicts)", () => {
    expect(out.seen[0]).toEqual({ Row: { id: 1, name: "a" } });
    const rows = out.seen[1] as Array<{ Row: Record<string, unknown> }>;
    expect(rows.map((r) => r.Row.id)).toEqual([1, 2, 3]);
    expect(rows[0]!.Row).toMatchObject({ inner: { Row: { x: 1, tags: ["a"] } }, m: { dict: [["k", 1.5]] }, b: ["bytes", "01"] });
    expect(rows[0]!.Row.ts).toEqual(["datetime", expect.stringMatching(/^2024-01-0[12]T\d\d:04:05$/)]); // local, naive
    expect(rows[1]!.Row).toEqual({ Row: { id: 2, inner: null, m: null, b: null, ts: null } }.Row);
  });

  it("the fallback converter for pre-4.1 workers gives what pyspark 4.1's does", () => {
    expect(out.fallbackSame).toEqual([
      [true, true, true, true, true],
      [true, true, true, true, true],
    ]);
  });

  it("refuses a wrapper python/foreach.py doesn't define", () => {
    expect(() => pythonUdfCommand({ ...base, wrapper: "nope" as "foreach_row" })).toThrow(/wrapper "nope" is not one of foreach_row, foreach_partition/);
  });
});
