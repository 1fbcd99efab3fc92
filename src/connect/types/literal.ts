import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Expression_LiteralSchema, type Expression_Literal } from "../../gen/spark/connect/expressions_pb.js";
import { simpleString, toProto, Types, type SparkDataType } from "./datatypes.js";

/**
 * JS values → Spark literals, following pyspark's `LiteralExpression._infer_type`:
 *
 * | JS value                         | Spark literal                                   |
 * | -------------------------------- | ----------------------------------------------- |
 * | null / undefined                 | NULL (void), or a typed null when a type is given |
 * | boolean                          | BOOLEAN                                         |
 * | integral number in int32 range   | INT                                             |
 * | other integral safe number       | BIGINT                                          |
 * | any other number (incl. NaN/±∞)  | DOUBLE                                          |
 * | bigint (int64 range)             | BIGINT                                          |
 * | string                           | STRING                                          |
 * | Date                             | TIMESTAMP (microseconds since the epoch)        |
 * | Uint8Array (and Buffer)          | BINARY                                          |
 * | array                            | ARRAY, element type from the first element      |
 *
 * With an explicit type, numbers/bigints can become byte/short/int/long/float/double/decimal, Dates can
 * become date/timestamp/timestamp_ntz, and strings can become decimals (exact).
 */
export type LiteralValue = null | undefined | boolean | number | bigint | string | Date | Uint8Array | readonly LiteralValue[];

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;

const SUPPORTED = "null, boolean, number, bigint, string, Date, Uint8Array, or an array of those";

type LiteralKind = NonNullable<Exclude<MessageInitShape<typeof Expression_LiteralSchema>, Expression_Literal>["literalType"]>;

export function toLiteral(value: unknown, type?: SparkDataType): Expression_Literal {
  return create(Expression_LiteralSchema, { literalType: type ? typedKind(value, type) : inferredKind(value) });
}

/** The type pyspark would infer for a literal, or an error naming the unsupported value. */
export function inferLiteralType(value: unknown): SparkDataType {
  if (value === null || value === undefined) return Types.null;
  if (typeof value === "boolean") return Types.boolean;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return Types.integer;
    return Number.isSafeInteger(value) ? Types.long : Types.double;
  }
  if (typeof value === "bigint") return Types.long;
  if (typeof value === "string") return Types.string;
  if (value instanceof Date) return Types.timestamp;
  if (value instanceof Uint8Array) return Types.binary;
  if (Array.isArray(value)) {
    const first: unknown = value[0];
    if (first === null || first === undefined) {
      throw new TypeError("Cannot infer the element type of an empty array literal (or one starting with null); pass a type, e.g. lit([], Types.array(Types.string)).");
    }
    return Types.array(inferLiteralType(first));
  }
  throw new TypeError(`Cannot make a Spark literal from ${describeJsValue(value)}; supported: ${SUPPORTED}.`);
}

function inferredKind(value: unknown): LiteralKind {
  return typedKind(value, inferLiteralType(value));
}

function typedKind(value: unknown, type: SparkDataType): LiteralKind {
  if (value === null || value === undefined) return { case: "null", value: toProto(type) };
  const mismatch = () =>
    new TypeError(`Cannot make a ${simpleString(type)} literal from ${describeJsValue(value)}; pass a matching value or use lit(value).cast("${simpleString(type)}").`);
  switch (type.type) {
    case "boolean":
      if (typeof value !== "boolean") throw mismatch();
      return { case: "boolean", value };
    case "byte":
    case "short":
    case "integer": {
      const bits = { byte: 8, short: 16, integer: 32 }[type.type];
      const n = integralNumber(value, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1);
      if (n === undefined) throw mismatch();
      return { case: type.type, value: n };
    }
    case "long": {
      const n = int64(value);
      if (n === undefined) throw mismatch();
      return { case: "long", value: n };
    }
    case "float":
    case "double":
      if (typeof value !== "number") throw mismatch();
      return { case: type.type, value };
    case "decimal":
      if (typeof value !== "number" && typeof value !== "bigint" && typeof value !== "string") throw mismatch();
      return { case: "decimal", value: { value: String(value), precision: type.precision, scale: type.scale } };
    case "string":
      if (typeof value !== "string") throw mismatch();
      return { case: "string", value };
    case "binary":
      if (!(value instanceof Uint8Array)) throw mismatch();
      return { case: "binary", value };
    case "date":
      return { case: "date", value: Math.floor(validDate(value, mismatch).getTime() / MS_PER_DAY) };
    case "timestamp":
    case "timestamp_ntz":
      return { case: type.type === "timestamp" ? "timestamp" : "timestampNtz", value: BigInt(validDate(value, mismatch).getTime()) * 1000n };
    case "array": {
      if (!Array.isArray(value)) throw mismatch();
      const elements = value.map((v: unknown) => toLiteral(v, type.elementType));
      return { case: "array", value: { elementType: toProto(type.elementType), elements } };
    }
    default:
      throw new TypeError(`lit() cannot build a ${simpleString(type)} literal; build it from a supported value and cast, e.g. lit("...").cast("${simpleString(type)}").`);
  }
}

function integralNumber(value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === "bigint" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function int64(value: unknown): bigint | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === "bigint") return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
  return undefined;
}

function validDate(value: unknown, mismatch: () => Error): Date {
  if (!(value instanceof Date)) throw mismatch();
  if (Number.isNaN(value.getTime())) throw new RangeError("Cannot make a literal from an invalid Date (its time is NaN).");
  return value;
}

/** "a Map", "a function", "a symbol", "an instance of Foo": for error messages. */
export function describeJsValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return `a ${typeof value} (${String(value).slice(0, 40)})`;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  if (ctor === undefined || ctor === "Object") return "a plain object";
  return ctor === "Map" || ctor === "Set" || ctor === "Array" ? `a ${ctor}` : `an instance of ${ctor}`;
}

/** An object literal (or Object.create(null)): rows, structs and dict-style arguments. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
