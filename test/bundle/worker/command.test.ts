import { beforeAll, describe, expect, it } from "vitest";
import { pythonUdfCommand } from "../../../src/bundle/worker/command.js";
import { runPython } from "../../helpers/python.js";

const base = { loaderModule: "_sab_loader_0123456789ab", modulePath: "mylib.text", functionName: "Tok.split" };

// Spark JSON type → the pyspark DataType expression it must become on the worker.
const returnTypes: Array<[string, string]> = [
  ['"string"', "StringType()"],
  ['"long"', "LongType()"],
  ['"decimal(10,2)"', "DecimalType(10, 2)"],
  ['{"type":"array","elementType":"integer","containsNull":true}', "ArrayType(IntegerType(), True)"],
  [
    '{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"double","containsNull":false},"valueContainsNull":true}',
    "MapType(StringType(), ArrayType(DoubleType(), False), True)",
  ],
  [
    '{"type":"struct","fields":[{"name":"wörd","type":"string","nullable":false,"metadata":{}},{"name":"n","type":"integer","nullable":true,"metadata":{}}]}',
    "StructType([StructField('wörd', StringType(), False), StructField('n', IntegerType(), True)])",
  ],
];

// Loads each command with pyspark's real type parser; only the loader module (tested in
// test/bundle/loader.test.ts) is replaced by a recorder, so no bundle zip is needed here.
const CHECKER = `
import io, json, pickle, pickletools, sys
from pyspark.sql.types import *

class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "_sab_loader_0123456789ab" and name == "resolve":
            return lambda module_path, function_name, *deps: {"resolve": [module_path, function_name, *[[type(d).__name__, *d] for d in deps]]}
        return super().find_class(module, name)

results = []
for case in json.load(sys.stdin):
    data = bytes.fromhex(case["hex"])
    func, return_type = Unpickler(io.BytesIO(data)).load()
    globals_used = [arg for op, arg, _ in pickletools.genops(data) if op.name == "SHORT_BINUNICODE"]
    results.append({
        "func": func,
        "isDataType": isinstance(return_type, DataType),
        "equal": return_type == eval(case["expected"]),
        "repr": repr(return_type),
        "strings": globals_used,
    })
print(json.dumps(results))
`;

type Result = { func: unknown; isDataType: boolean; equal: boolean; repr: string; strings: string[] };

describe("pythonUdfCommand in real Python with pyspark", () => {
  let results: Result[];

  beforeAll(() => {
    const input = returnTypes.map(([json, expected]) => ({
      hex: Buffer.from(pythonUdfCommand({ ...base, returnTypeJson: json })).toString("hex"),
      expected,
    }));
    for (const importFrom of [["deps-0123456789ab.zip", "native-0123456789ab"], []]) {
      input.push({ hex: Buffer.from(pythonUdfCommand({ ...base, returnTypeJson: '"string"', importFrom })).toString("hex"), expected: "StringType()" });
    }
    results = JSON.parse(runPython(CHECKER, JSON.stringify(input))) as Result[];
  });

  it("unpickles to (loader.resolve(module, function), return type)", () => {
    for (const r of results.slice(0, returnTypes.length)) expect(r.func).toEqual({ resolve: ["mylib.text", "Tok.split"] });
    expect(results[0]!.strings).toEqual([
      "_sab_loader_0123456789ab",
      "resolve",
      "mylib.text",
      "Tok.split",
      "pyspark.sql.types",
      "_parse_datatype_json_string",
      '"string"',
    ]);
  });

  it("importFrom becomes resolve's third argument, a tuple of names (empty too); absent, no third argument", () => {
    const [withTwo, withNone] = results.slice(returnTypes.length);
    expect(withTwo!.func).toEqual({ resolve: ["mylib.text", "Tok.split", ["tuple", "deps-0123456789ab.zip", "native-0123456789ab"]] });
    expect(withNone!.func).toEqual({ resolve: ["mylib.text", "Tok.split", ["tuple"]] });
    expect(() => pythonUdfCommand({ ...base, importFrom: ["../x.zip"] })).toThrow(/importFrom entry "..\/x.zip" must be a plain file or directory name/);
  });

  it.each(returnTypes.map(([json, expected], i) => ({ json, expected, i })))("return type $expected", ({ expected, i }) => {
    const r = results[i]!;
    expect(r.isDataType).toBe(true);
    expect(r.equal).toBe(true);
    expect(r.repr.replace(/\s/g, "")).toBe(expected.replace(/\s/g, ""));
  });
});

describe("pythonUdfCommand input errors", () => {
  it("rejects names that are not dotted Python names, with an example", () => {
    expect(() => pythonUdfCommand({ ...base, modulePath: "mylib/text.py", returnTypeJson: '"string"' })).toThrow(
      /modulePath "mylib\/text.py" is not a dotted Python name; pass something like "mylib.text"/,
    );
    expect(() => pythonUdfCommand({ ...base, functionName: "mylib.text:f", returnTypeJson: '"string"' })).toThrow(
      /functionName "mylib.text:f" is not a dotted Python name/,
    );
    expect(() => pythonUdfCommand({ ...base, loaderModule: "", returnTypeJson: '"string"' })).toThrow(/loaderModule "" is not/);
  });

  it("rejects a return type that is not JSON, naming the expected form", () => {
    expect(() => pythonUdfCommand({ ...base, returnTypeJson: "array<int>" })).toThrow(
      /returnTypeJson is not JSON \(.*\); pass Spark's JSON type \(DataType.json\(\)\)/,
    );
  });
});
