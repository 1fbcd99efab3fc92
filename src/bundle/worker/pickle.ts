// A small pickle *writer* (protocol 4, no framing, a memo only for PyShared), enough to build Python
// UDF commands without a Python interpreter. Opcode choices mirror CPython's pickle.py so `pickle.loads` /
// `cloudpickle.loads` on any Python >= 3.4 reads the result.

/** A Python tuple (JS arrays become lists). */
export class PyTuple {
  readonly items: readonly PickleValue[];
  constructor(items: readonly PickleValue[]) {
    this.items = items;
  }
}

/** A Python float, for values a JS number would otherwise pickle as int (e.g. `new PyFloat(1)` → `1.0`). */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** A reference to `module.qualname` (qualname may be dotted, e.g. `Class.method`). */
export class PyGlobal {
  readonly module: string;
  readonly qualname: string;
  constructor(module: string, qualname: string) {
    assertDottedName(module, "module");
    assertDottedName(qualname, "qualname");
    this.module = module;
    this.qualname = qualname;
  }
}

/** `module.qualname(*args)`, evaluated by the unpickler. */
export class PyCall {
  readonly target: PyGlobal;
  readonly args: readonly PickleValue[];
  constructor(module: string, qualname: string, args: readonly PickleValue[]) {
    this.target = new PyGlobal(module, qualname);
    this.args = args;
  }
}

/**
 * One Python object used in several places of the pickle (e.g. the namespace dict that `exec` fills
 * and a later call reads): written once and memoized, then fetched from the memo. Any other value
 * that appears twice is written twice, i.e. becomes two equal Python objects.
 */
export class PyShared {
  readonly value: PickleValue;
  constructor(value: PickleValue) {
    this.value = value;
  }
}

/**
 * null → None; boolean → bool; safe-integer number and bigint → int; other numbers (fractions,
 * -0, NaN, ±Infinity, unsafe integers) → float; string → str; Uint8Array → bytes; array → list;
 * Map or plain object → dict (plain-object key order is JS order: integer-like keys first).
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyTuple
  | PyFloat
  | PyGlobal
  | PyCall
  | PyShared
  | readonly PickleValue[]
  | ReadonlyMap<PickleValue, PickleValue>
  | { readonly [key: string]: PickleValue };

// Opcode bytes from CPython's Lib/pickle.py.
const OP = {
  PROTO: 0x80, STOP: 0x2e, NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89,
  BININT1: 0x4b, BININT2: 0x4d, BININT: 0x4a, LONG1: 0x8a, LONG4: 0x8b, BINFLOAT: 0x47,
  SHORT_BINUNICODE: 0x8c, BINUNICODE: 0x58, BINUNICODE8: 0x8d,
  SHORT_BINBYTES: 0x43, BINBYTES: 0x42, BINBYTES8: 0x8e,
  MARK: 0x28, EMPTY_TUPLE: 0x29, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, TUPLE: 0x74,
  EMPTY_LIST: 0x5d, APPEND: 0x61, APPENDS: 0x65, EMPTY_DICT: 0x7d, SETITEM: 0x73, SETITEMS: 0x75,
  STACK_GLOBAL: 0x93, REDUCE: 0x52, MEMOIZE: 0x94, BINGET: 0x68, LONG_BINGET: 0x6a,
} as const;

const PROTOCOL = 4;
const BATCH_SIZE = 1000; // pickle.py's _BATCHSIZE for APPENDS / SETITEMS

/** Serialize `value` as a protocol-4 pickle. Throws TypeError for values Python can't represent. */
export function pickle(value: PickleValue): Uint8Array {
  const out = new ByteSink();
  out.byte(OP.PROTO);
  out.byte(PROTOCOL);
  writeValue(out, value, { inProgress: new Set(), memo: new Map() });
  out.byte(OP.STOP);
  return out.finish();
}

/** Objects being written (to refuse cycles), and the memo index of each PyShared written so far. */
interface WriteState {
  inProgress: Set<object>;
  memo: Map<PyShared, number>;
}

function writeValue(out: ByteSink, value: PickleValue, state: WriteState): void {
  if (value === null) return out.byte(OP.NONE);
  switch (typeof value) {
    case "boolean":
      return out.byte(value ? OP.NEWTRUE : OP.NEWFALSE);
    case "bigint":
      return writeInt(out, value);
    case "number":
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return writeInt(out, BigInt(value));
      return writeFloat(out, value);
    case "string":
      return writeStr(out, value);
    case "object":
      break;
    default:
      throw new TypeError(`pickle: cannot pickle a JS ${typeof value}; use null for None`);
  }
  if (value instanceof PyFloat) return writeFloat(out, value.value);
  if (value instanceof Uint8Array) return writeBytes(out, value);
  if (value instanceof PyGlobal) return writeGlobal(out, value);
  const { inProgress } = state;
  if (value instanceof PyShared && state.memo.has(value)) return writeMemoGet(out, state.memo.get(value)!);
  if (inProgress.has(value)) throw new TypeError("pickle: cyclic structure; this writer memoizes a PyShared only once written, so cycles are not supported");
  inProgress.add(value);
  if (value instanceof PyShared) {
    writeValue(out, value.value, state);
    out.byte(OP.MEMOIZE); // memo indices count up from 0, in the order MEMOIZE runs
    state.memo.set(value, state.memo.size);
  } else if (value instanceof PyCall) {
    writeGlobal(out, value.target);
    writeTuple(out, value.args, state);
    out.byte(OP.REDUCE);
  } else if (value instanceof PyTuple) writeTuple(out, value.items, state);
  else if (Array.isArray(value)) writeList(out, value as readonly PickleValue[], state);
  else if (value instanceof Map) writeDict(out, [...value.entries()], state);
  else if (isPlainObject(value)) writeDict(out, Object.entries(value), state);
  else {
    const name = (value as object).constructor?.name ?? "object";
    throw new TypeError(`pickle: cannot pickle a ${name}; use PyTuple, Map, a plain object, an array or Uint8Array`);
  }
  inProgress.delete(value);
}

function writeInt(out: ByteSink, n: bigint): void {
  if (n >= 0n && n <= 0xffn) {
    out.byte(OP.BININT1);
    out.byte(Number(n));
  } else if (n >= 0n && n <= 0xffffn) {
    out.byte(OP.BININT2);
    out.uint16(Number(n));
  } else if (n >= -0x80000000n && n <= 0x7fffffffn) {
    out.byte(OP.BININT);
    out.int32(Number(n));
  } else {
    const encoded = encodeLong(n);
    if (encoded.length < 256) {
      out.byte(OP.LONG1);
      out.byte(encoded.length);
    } else {
      out.byte(OP.LONG4);
      out.int32(encoded.length);
    }
    out.bytes(encoded);
  }
}

/** Little-endian two's complement in the fewest bytes, exactly like pickle.encode_long. */
export function encodeLong(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array(0);
  const abs = n < 0n ? -n : n;
  let nbytes = (abs.toString(2).length >> 3) + 1; // Python: (x.bit_length() >> 3) + 1
  let twos = n < 0n ? (1n << BigInt(nbytes * 8)) + n : n;
  const bytes = new Uint8Array(nbytes);
  for (let i = 0; i < nbytes; i++) {
    bytes[i] = Number(twos & 0xffn);
    twos >>= 8n;
  }
  // Sizing by abs(n) can leave a redundant sign byte for negatives (e.g. -128 → 80 ff); pickle.py drops it.
  if (n < 0n && nbytes > 1 && bytes[nbytes - 1] === 0xff && (bytes[nbytes - 2]! & 0x80) !== 0) nbytes -= 1;
  return bytes.subarray(0, nbytes);
}

function writeMemoGet(out: ByteSink, index: number): void {
  if (index < 256) {
    out.byte(OP.BINGET);
    out.byte(index);
  } else {
    out.byte(OP.LONG_BINGET);
    out.uint32(index);
  }
}

function writeFloat(out: ByteSink, x: number): void {
  out.byte(OP.BINFLOAT);
  out.float64BE(x);
}

function writeStr(out: ByteSink, s: string): void {
  const encoded = encodeUtf8SurrogatePass(s);
  writeSized(out, encoded, OP.SHORT_BINUNICODE, OP.BINUNICODE, OP.BINUNICODE8);
}

function writeBytes(out: ByteSink, b: Uint8Array): void {
  writeSized(out, b, OP.SHORT_BINBYTES, OP.BINBYTES, OP.BINBYTES8);
}

function writeSized(out: ByteSink, data: Uint8Array, short: number, medium: number, long: number): void {
  if (data.length < 256) {
    out.byte(short);
    out.byte(data.length);
  } else if (data.length <= 0xffffffff) {
    out.byte(medium);
    out.uint32(data.length);
  } else {
    out.byte(long);
    out.uint64(data.length);
  }
  out.bytes(data);
}

function writeGlobal(out: ByteSink, g: PyGlobal): void {
  writeStr(out, g.module);
  writeStr(out, g.qualname);
  out.byte(OP.STACK_GLOBAL);
}

function writeTuple(out: ByteSink, items: readonly PickleValue[], state: WriteState): void {
  if (items.length === 0) return out.byte(OP.EMPTY_TUPLE);
  if (items.length <= 3) {
    for (const item of items) writeValue(out, item, state);
    out.byte([OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length - 1]!);
    return;
  }
  out.byte(OP.MARK);
  for (const item of items) writeValue(out, item, state);
  out.byte(OP.TUPLE);
}

function writeList(out: ByteSink, items: readonly PickleValue[], state: WriteState): void {
  out.byte(OP.EMPTY_LIST);
  for (let start = 0; start < items.length; start += BATCH_SIZE) {
    const batch = items.slice(start, start + BATCH_SIZE);
    if (batch.length > 1) out.byte(OP.MARK);
    for (const item of batch) writeValue(out, item, state);
    out.byte(batch.length > 1 ? OP.APPENDS : OP.APPEND);
  }
}

function writeDict(out: ByteSink, entries: Array<[PickleValue, PickleValue]>, state: WriteState): void {
  out.byte(OP.EMPTY_DICT);
  for (let start = 0; start < entries.length; start += BATCH_SIZE) {
    const batch = entries.slice(start, start + BATCH_SIZE);
    if (batch.length > 1) out.byte(OP.MARK);
    for (const [key, item] of batch) {
      assertHashable(key);
      writeValue(out, key, state);
      writeValue(out, item, state);
    }
    out.byte(batch.length > 1 ? OP.SETITEMS : OP.SETITEM);
  }
}

// Python would only fail at load time (on the worker); fail here instead, where the cause is visible.
function assertHashable(key: PickleValue): void {
  if (key instanceof PyTuple) return key.items.forEach(assertHashable);
  if (key instanceof PyShared) return assertHashable(key.value);
  if (Array.isArray(key) || key instanceof Map || (key !== null && typeof key === "object" && isPlainObject(key))) {
    throw new TypeError("pickle: dict keys must be hashable in Python; use a PyTuple instead of a list/dict key");
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function assertDottedName(name: string, what: string): void {
  if (!/^[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*)*$/u.test(name)) {
    throw new TypeError(`pickle: ${what} ${JSON.stringify(name)} is not a dotted Python name like "pkg.mod" or "Class.method"`);
  }
}

const utf8 = new TextEncoder();

/** UTF-8 like Python's `str.encode("utf-8", "surrogatepass")`, which the unpickler decodes with. */
export function encodeUtf8SurrogatePass(s: string): Uint8Array {
  if (!/\p{Cs}/u.test(s)) return utf8.encode(s); // no lone surrogates: plain UTF-8
  const bytes: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else bytes.push(...utf8.encode(ch));
  }
  return Uint8Array.from(bytes);
}

/** Growable byte buffer with the little/big-endian writers pickle needs. */
class ByteSink {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }
  uint16(n: number): void {
    this.reserve(2);
    this.view.setUint16(this.len, n, true);
    this.len += 2;
  }
  int32(n: number): void {
    this.reserve(4);
    this.view.setInt32(this.len, n, true);
    this.len += 4;
  }
  uint32(n: number): void {
    this.reserve(4);
    this.view.setUint32(this.len, n, true);
    this.len += 4;
  }
  uint64(n: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.len, BigInt(n), true);
    this.len += 8;
  }
  float64BE(x: number): void {
    this.reserve(8);
    this.view.setFloat64(this.len, x, false);
    this.len += 8;
  }
  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
