import { beforeAll, describe, expect, it } from "vitest";
import { pickle, PyCall, PyFloat, PyGlobal, PyShared, PyTuple, type PickleValue } from "../../../src/bundle/worker/pickle.js";
import { runPython } from "../../helpers/python.js";

// Each case: our pickle of `value` must load in real Python to the same thing as `expr`, and (unless
// opcodes: false) use exactly the opcodes CPython's pickle.py emits for it at protocol 4 with memo off.
interface Case {
  name: string;
  value: PickleValue;
  expr: string;
  opcodes?: boolean;
}

const powersOfTwo: bigint[] = [];
for (let k = 0n; k <= 80n; k++) {
  for (const delta of [-1n, 0n, 1n]) powersOfTwo.push((1n << k) + delta, -((1n << k) + delta));
}

const cases: Case[] = [
  { name: "None", value: null, expr: "None" },
  { name: "True", value: true, expr: "True" },
  { name: "False", value: false, expr: "False" },
  { name: "int 0", value: 0, expr: "0" },
  { name: "int 255 (BININT1 max)", value: 255, expr: "255" },
  { name: "int 256 (BININT2)", value: 256, expr: "256" },
  { name: "int 65536 (BININT)", value: 65536, expr: "65536" },
  { name: "int -1", value: -1, expr: "-1" },
  { name: "int 2**31-1", value: 2 ** 31 - 1, expr: "2**31-1" },
  { name: "int 2**31 (LONG1)", value: 2 ** 31, expr: "2**31" },
  { name: "int -2**31", value: -(2 ** 31), expr: "-2**31" },
  { name: "int -2**31-1", value: -(2 ** 31) - 1, expr: "-2**31-1" },
  { name: "max safe integer", value: Number.MAX_SAFE_INTEGER, expr: "2**53-1" },
  { name: "min safe integer", value: Number.MIN_SAFE_INTEGER, expr: "-(2**53-1)" },
  { name: "bigint 2**64", value: 2n ** 64n, expr: "2**64" },
  { name: "bigint -2**63", value: -(2n ** 63n), expr: "-2**63" },
  { name: "bigint 255-byte LONG1", value: 2n ** 2031n, expr: "2**2031" },
  { name: "bigint 256-byte LONG4", value: 2n ** 2040n, expr: "2**2040" },
  { name: "bigint huge negative", value: -(10n ** 1000n), expr: "-10**1000" },
  { name: "ints around powers of two", value: powersOfTwo, expr: `[${powersOfTwo.join(", ")}]` },
  { name: "float 0.5", value: 0.5, expr: "0.5" },
  { name: "float -0.0", value: -0, expr: "-0.0" },
  { name: "float nan", value: NaN, expr: "float('nan')" },
  { name: "float inf", value: Infinity, expr: "float('inf')" },
  { name: "float -inf", value: -Infinity, expr: "float('-inf')" },
  { name: "float denormal", value: 5e-324, expr: "5e-324" },
  { name: "float 2**53 (unsafe integer)", value: 2 ** 53, expr: "9007199254740992.0" },
  { name: "PyFloat(1)", value: new PyFloat(1), expr: "1.0" },
  { name: "str empty", value: "", expr: "''" },
  { name: "str unicode", value: "héllo 日本語", expr: JSON.stringify("héllo 日本語") },
  { name: "str astral", value: "😀 𝄞 \u{10FFFF}", expr: JSON.stringify("😀 𝄞 \u{10FFFF}") },
  { name: "str controls and quotes", value: "\u0000\n\t\\'\"", expr: JSON.stringify("\u0000\n\t\\'\"") },
  { name: "str lone surrogates", value: "a\ud800b\udfff", expr: JSON.stringify("a\ud800b\udfff") },
  { name: "str 255 utf-8 bytes", value: "é".repeat(127) + "a", expr: "'é' * 127 + 'a'" },
  { name: "str 256 utf-8 bytes", value: "é".repeat(128), expr: "'é' * 128" },
  { name: "str > 64 KiB", value: "x".repeat(70_000), expr: "'x' * 70000" },
  { name: "str astral > 64 KiB", value: "😀".repeat(20_000), expr: "'😀' * 20000" },
  { name: "bytes empty", value: new Uint8Array(0), expr: "b''" },
  { name: "bytes 255", value: new Uint8Array(255), expr: "bytes(255)" },
  { name: "bytes 256", value: Uint8Array.from({ length: 256 }, (_, i) => i), expr: "bytes(range(256))" },
  {
    name: "bytes > 64 KiB",
    value: Uint8Array.from({ length: 70_000 }, (_, i) => i % 251),
    expr: "bytes(i % 251 for i in range(70000))",
  },
  { name: "tuple empty", value: new PyTuple([]), expr: "()" },
  { name: "tuple 1", value: new PyTuple([1]), expr: "(1,)" },
  { name: "tuple 3", value: new PyTuple([1, "a", null]), expr: "(1, 'a', None)" },
  { name: "tuple 4", value: new PyTuple([1, 2, 3, 4]), expr: "(1, 2, 3, 4)" },
  { name: "list empty", value: [], expr: "[]" },
  { name: "list 1", value: ["a"], expr: "['a']" },
  { name: "list 1000", value: Array.from({ length: 1000 }, (_, i) => i), expr: "list(range(1000))" },
  { name: "list 2001 (batched)", value: Array.from({ length: 2001 }, (_, i) => i), expr: "list(range(2001))" },
  { name: "dict empty", value: {}, expr: "{}" },
  { name: "dict 1", value: { a: 1 }, expr: "{'a': 1}" },
  {
    name: "dict 1001 (batched)",
    value: new Map(Array.from({ length: 1001 }, (_, i) => [i, `v${i}`] as [number, string])),
    expr: "{i: f'v{i}' for i in range(1001)}",
  },
  {
    name: "Map with non-string keys",
    value: new Map<PickleValue, PickleValue>([
      [1, "int"],
      [null, "none"],
      [new PyTuple([1, "x"]), "tuple"],
      [new Uint8Array([1, 2]), "bytes"],
    ]),
    expr: "{1: 'int', None: 'none', (1, 'x'): 'tuple', b'\\x01\\x02': 'bytes'}",
  },
  {
    name: "nested containers",
    value: { list: [new PyTuple([[1, { k: [null, true] }], new PyTuple([])])], s: "ü", n: -5 },
    expr: "{'list': [([1, {'k': [None, True]}], ())], 's': 'ü', 'n': -5}",
  },
  { name: "global reference", value: new PyGlobal("builtins", "len"), expr: "len" },
  { name: "call", value: new PyCall("builtins", "divmod", [7, 2]), expr: "Reduce(divmod, (7, 2))" },
  {
    name: "call with 4 args and a nested call",
    value: new PyCall("builtins", "max", [3, new PyCall("builtins", "abs", [-9]), 2, 5]),
    expr: "Reduce(max, (3, Reduce(abs, (-9,)), 2, 5))",
  },
  {
    name: "call of dotted qualname",
    value: new PyCall("collections", "OrderedDict.fromkeys", [["a", "b"]]),
    expr: "collections.OrderedDict.fromkeys(['a', 'b'])",
    opcodes: false, // CPython pickles a bound classmethod by getattr-reduce, not by name
  },
];

// Loads our bytes; builds the expected value by round-tripping `expr` through CPython's own pure-Python
// pickler (fast mode = no memo), then compares values (type + repr) then opcode streams and exact bytes (minus FRAME).
const CHECKER = `
import collections, io, json, pickle, pickletools, sys

class Reduce:
    def __init__(self, func, args): self.func, self.args = func, args
    def __reduce__(self): return (self.func, self.args)

def ops(data):
    return [(op.name, arg) for op, arg, _ in pickletools.genops(data) if op.name != "FRAME"]

def without_frames(data):
    # FRAME is an optional 9-byte opcode (1 + uint64 length); readers accept pickles without it.
    out, last = bytearray(), 0
    for op, _, pos in pickletools.genops(data):
        if op.name == "FRAME":
            out += data[last:pos]
            last = pos + 9
    return bytes(out + data[last:])

def short(x):
    s = repr(x)
    return s if len(s) < 300 else s[:300] + "..."

results = {}
for case in json.load(sys.stdin):
    ours = bytes.fromhex(case["hex"])
    buf = io.BytesIO()
    pickler = pickle._Pickler(buf, 4)
    pickler.fast = True
    pickler.dump(eval(case["expr"]))
    theirs = buf.getvalue()
    got, want = pickle.loads(ours), pickle.loads(theirs)
    results[case["name"]] = {
        "sameValue": type(got) is type(want) and repr(got) == repr(want),
        "got": short(got), "want": short(want),
        "ours": short(ops(ours)), "theirs": short(ops(theirs)),
        "sameBytes": ours == without_frames(theirs),
    }
print(json.dumps(results))
`;

type CheckResult = { sameValue: boolean; got: string; want: string; ours: string; theirs: string; sameBytes: boolean };

describe("pickle against real Python", () => {
  let results: Record<string, CheckResult>;

  beforeAll(() => {
    const input = cases.map((c) => ({ name: c.name, expr: c.expr, hex: Buffer.from(pickle(c.value)).toString("hex") }));
    results = JSON.parse(runPython(CHECKER, JSON.stringify(input))) as Record<string, CheckResult>;
  });

  it.each(cases)("$name", (c) => {
    const r = results[c.name]!;
    expect(r.got).toBe(r.want);
    expect(r.sameValue).toBe(true);
    if (c.opcodes !== false) {
      expect(r.ours).toBe(r.theirs);
      expect(r.sameBytes).toBe(true);
    }
  });
});

describe("PyShared: one Python object in several places", () => {
  // Loads each pickle and reports, for the pairs of positions given, whether they hold the same object.
  const IDENTITY = `
import json, pickle, pickletools, sys
out = []
for case in json.load(sys.stdin):
    data = bytes.fromhex(case["hex"])
    value = pickle.loads(data)
    same = [value[a] is value[b] for a, b in case["pairs"]]
    ops = sorted({op.name for op, _, _ in pickletools.genops(data)})
    out.append({"repr": repr(value)[:200], "same": same, "ops": ops})
print(json.dumps(out))
`;
  type Identity = { repr: string; same: boolean[]; ops: string[] };
  const check = (cases: { value: PickleValue; pairs: [number, number][] }[]) =>
    JSON.parse(runPython(IDENTITY, JSON.stringify(cases.map((c) => ({ hex: Buffer.from(pickle(c.value)).toString("hex"), pairs: c.pairs }))))) as Identity[];

  it("is written once and fetched from the memo after; other repeated values stay separate objects", () => {
    const shared = new PyShared([1]);
    const plain = [2];
    const [result] = check([{ value: new PyTuple([shared, plain, shared, plain]), pairs: [[0, 2], [1, 3]] }]);
    expect(result!.repr).toBe("([1], [2], [1], [2])");
    expect(result!.same).toEqual([true, false]);
    expect(result!.ops).toEqual(expect.arrayContaining(["MEMOIZE", "BINGET"]));
  });

  it("uses LONG_BINGET past 256 memo entries", () => {
    const many = Array.from({ length: 300 }, (_, i) => new PyShared([i]));
    const [result] = check([{ value: [...many, ...many], pairs: [[0, 300], [255, 555], [299, 599]] }]);
    expect(result!.same).toEqual([true, true, true]);
    expect(result!.ops).toEqual(expect.arrayContaining(["BINGET", "LONG_BINGET"]));
  });

  it("sees a call's side effects on the shared object: exec fills a namespace a later getitem reads", () => {
    const namespace = new PyShared({});
    const executed = new PyTuple([new PyCall("builtins", "exec", ["x = 6 * 7", namespace]), namespace]);
    const value = new PyTuple([new PyCall("operator", "getitem", [new PyCall("operator", "getitem", [executed, 1]), "x"])]);
    expect(check([{ value, pairs: [] }])[0]!.repr).toBe("(42,)");
  });

  it("refuses a PyShared inside itself", () => {
    const items: PickleValue[] = [];
    const shared = new PyShared(items);
    items.push(shared);
    expect(() => pickle(shared)).toThrow(/cyclic structure/);
  });
});

describe("pickle input errors", () => {
  it("starts with PROTO 4 and ends with STOP", () => {
    const bytes = pickle(null);
    expect([...bytes]).toEqual([0x80, 4, 0x4e, 0x2e]);
  });

  it("rejects values Python cannot represent, naming the fix", () => {
    expect(() => pickle(undefined as unknown as PickleValue)).toThrow(/cannot pickle a JS undefined; use null/);
    expect(() => pickle((() => 1) as unknown as PickleValue)).toThrow(/cannot pickle a JS function/);
    expect(() => pickle(new Date() as unknown as PickleValue)).toThrow(/cannot pickle a Date; use PyTuple, Map/);
  });

  it("rejects cycles instead of recursing forever", () => {
    const list: PickleValue[] = [];
    list.push(list);
    expect(() => pickle(list)).toThrow(/cyclic structure/);
  });

  it("allows the same object twice when it is not a cycle, and Python loads both places", () => {
    const shared = [1];
    const hex = Buffer.from(pickle([shared, shared, new PyTuple([shared])])).toString("hex");
    expect(runPython("import pickle, sys\nprint(repr(pickle.loads(bytes.fromhex(sys.stdin.read()))))", hex).trim()).toBe("[[1], [1], ([1],)]");
  });

  it("rejects unhashable dict keys", () => {
    expect(() => pickle(new Map<PickleValue, PickleValue>([[[1], 2]]))).toThrow(/use a PyTuple instead/);
    expect(() => pickle(new Map<PickleValue, PickleValue>([[new PyTuple([{}]), 2]]))).toThrow(/hashable/);
  });

  it("rejects malformed global names", () => {
    expect(() => new PyGlobal("", "f")).toThrow(/module "" is not a dotted Python name/);
    expect(() => new PyCall("a.b", "f()", [])).toThrow(/qualname "f\(\)" is not a dotted Python name/);
    expect(() => new PyGlobal("a..b", "f")).toThrow(/not a dotted Python name/);
  });
});
