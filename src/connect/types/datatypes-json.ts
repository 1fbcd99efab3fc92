import type { IntervalType, SparkDataType, StructField } from "./datatypes.js";

/**
 * Spark's JSON schema format (`DataType.json()` in Scala and pyspark): atomic types are strings
 * ("integer", "decimal(10,2)"), complex ones objects. Keys are sorted and the output compact, exactly as
 * pyspark's `json.dumps(..., separators=(",", ":"), sort_keys=True)`, so strings compare equal.
 */
export const DAY_TIME_FIELDS = ["day", "hour", "minute", "second"] as const;
export const YEAR_MONTH_FIELDS = ["year", "month"] as const;

/** The type as Spark's JSON string. */
export function toJSON(type: SparkDataType): string {
  return JSON.stringify(sortKeys(sparkJsonValue(type)));
}

/** Parses Spark's JSON schema format back to an object. */
export function fromJSON(json: string): SparkDataType {
  return fromJsonValue(JSON.parse(json) as unknown);
}

/** The parsed-JSON value of a type (pyspark's `jsonValue()`), keys not yet sorted. */
export function sparkJsonValue(t: SparkDataType): unknown {
  switch (t.type) {
    case "null":
      return "void";
    case "calendar_interval":
      return "interval";
    case "string":
      return t.collation ? `string collate ${t.collation}` : "string";
    case "decimal":
      return `decimal(${t.precision},${t.scale})`;
    case "char":
    case "varchar":
      return `${t.type}(${t.length})`;
    case "year_month_interval":
    case "day_time_interval":
      return intervalName(t);
    case "array":
      return { type: "array", elementType: sparkJsonValue(t.elementType), containsNull: t.containsNull };
    case "map":
      return {
        type: "map",
        keyType: sparkJsonValue(t.keyType),
        valueType: sparkJsonValue(t.valueType),
        valueContainsNull: t.valueContainsNull,
      };
    case "struct":
      return {
        type: "struct",
        fields: t.fields.map((f) => ({ name: f.name, type: sparkJsonValue(f.dataType), nullable: f.nullable, metadata: f.metadata ?? {} })),
      };
    case "udt":
      return {
        type: "udt",
        ...(t.jvmClass !== undefined && { class: t.jvmClass }),
        ...(t.pythonClass !== undefined && { pyClass: t.pythonClass }),
        ...(t.serializedPythonClass !== undefined && { serializedClass: t.serializedPythonClass }),
        sqlType: sparkJsonValue(t.sqlType),
      };
    default:
      return t.type;
  }
}

/** Interval names used by simpleString and JSON, e.g. "interval day to second". */
export function intervalName(t: IntervalType): string {
  const names: readonly string[] = t.type === "day_time_interval" ? DAY_TIME_FIELDS : YEAR_MONTH_FIELDS;
  const start = names[t.startField];
  const end = names[t.endField];
  if (start === undefined || end === undefined) {
    throw new Error(`Invalid ${t.type} fields ${t.startField}..${t.endField}; valid codes are 0..${names.length - 1}.`);
  }
  return start === end ? `interval ${start}` : `interval ${start} to ${end}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}

const ATOMIC_JSON_NAMES: Record<string, SparkDataType> = {
  void: { type: "null" },
  null: { type: "null" },
  binary: { type: "binary" },
  boolean: { type: "boolean" },
  byte: { type: "byte" },
  short: { type: "short" },
  integer: { type: "integer" },
  long: { type: "long" },
  float: { type: "float" },
  double: { type: "double" },
  date: { type: "date" },
  timestamp: { type: "timestamp" },
  timestamp_ntz: { type: "timestamp_ntz" },
  interval: { type: "calendar_interval" },
  variant: { type: "variant" },
  string: { type: "string" },
  decimal: { type: "decimal", precision: 10, scale: 0 },
};

function fromJsonValue(v: unknown): SparkDataType {
  if (typeof v === "string") return fromJsonName(v);
  if (v === null || typeof v !== "object") throw new Error(`Not a Spark JSON data type: ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case "array":
      return { type: "array", elementType: fromJsonValue(o.elementType), containsNull: o.containsNull !== false };
    case "map":
      return {
        type: "map",
        keyType: fromJsonValue(o.keyType),
        valueType: fromJsonValue(o.valueType),
        valueContainsNull: o.valueContainsNull !== false,
      };
    case "struct": {
      if (!Array.isArray(o.fields)) throw new Error(`Spark JSON struct without a "fields" array: ${JSON.stringify(v)}`);
      return { type: "struct", fields: o.fields.map(fieldFromJson) };
    }
    case "udt":
      return {
        type: "udt",
        sqlType: fromJsonValue(o.sqlType),
        ...(typeof o.class === "string" && { jvmClass: o.class }),
        ...(typeof o.pyClass === "string" && { pythonClass: o.pyClass }),
        ...(typeof o.serializedClass === "string" && { serializedPythonClass: o.serializedClass }),
      };
    default:
      throw new Error(`Unknown Spark JSON data type ${JSON.stringify(v)}; expected a type name, array, map, struct or udt.`);
  }
}

function fieldFromJson(v: unknown): StructField {
  const f = v as Record<string, unknown>;
  if (typeof f?.name !== "string") throw new Error(`Spark JSON struct field without a name: ${JSON.stringify(v)}`);
  const metadata = f.metadata as Record<string, unknown> | undefined;
  const field = { name: f.name, dataType: fromJsonValue(f.type), nullable: f.nullable !== false };
  return metadata && Object.keys(metadata).length > 0 ? { ...field, metadata } : field;
}

function fromJsonName(name: string): SparkDataType {
  const known = ATOMIC_JSON_NAMES[name];
  if (known) return known;
  let m = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/.exec(name);
  if (m) return { type: "decimal", precision: Number(m[1]), scale: Number(m[2]) };
  m = /^(char|varchar)\(\s*(\d+)\s*\)$/.exec(name);
  if (m) return { type: m[1] as "char" | "varchar", length: Number(m[2]) };
  m = /^string collate (\S+)$/.exec(name);
  if (m) return { type: "string", collation: m[1]! };
  m = /^interval (\w+)(?: to (\w+))?$/.exec(name);
  if (m) {
    const start = m[1]!;
    const end = m[2] ?? start;
    for (const [type, names] of [
      ["day_time_interval", DAY_TIME_FIELDS],
      ["year_month_interval", YEAR_MONTH_FIELDS],
    ] as const) {
      const s = (names as readonly string[]).indexOf(start);
      const e = (names as readonly string[]).indexOf(end);
      if (s >= 0 && e >= 0) return { type, startField: s, endField: e };
    }
  }
  throw new Error(`Unknown Spark JSON type name "${name}".`);
}
