import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { AnalyzePlanRequest_DDLParseSchema } from "../../gen/spark/connect/base_pb.js";
import { DataTypeSchema, type DataType as ProtoDataType } from "../../gen/spark/connect/types_pb.js";
import type { SessionCore } from "../core.js";
import { sparkJsonValue } from "./datatypes-json.js";

/**
 * Spark SQL types as plain objects, shaped like Spark's JSON schema (`{ type: "struct", fields: [...] }`).
 * Build them with {@link Types}; convert with toProto/fromProto, toJSON/fromJSON (datatypes-json.ts),
 * simpleString and toDDL.
 */
export type SparkDataType =
  | AtomicType
  | StringType
  | DecimalType
  | CharType
  | IntervalType
  | ArrayType
  | MapType
  | StructType
  | UserDefinedType;

export type AtomicTypeName =
  | "null"
  | "binary"
  | "boolean"
  | "byte"
  | "short"
  | "integer"
  | "long"
  | "float"
  | "double"
  | "date"
  | "timestamp"
  | "timestamp_ntz"
  | "calendar_interval"
  | "variant";

export interface AtomicType {
  readonly type: AtomicTypeName;
}
/** `collation` is Spark 4.x only; absent means the default (UTF8_BINARY). */
export interface StringType {
  readonly type: "string";
  readonly collation?: string;
}
export interface DecimalType {
  readonly type: "decimal";
  readonly precision: number;
  readonly scale: number;
}
export interface CharType {
  readonly type: "char" | "varchar";
  readonly length: number;
}
/** Fields are Spark's codes: year-month 0=YEAR 1=MONTH; day-time 0=DAY 1=HOUR 2=MINUTE 3=SECOND. */
export interface IntervalType {
  readonly type: "year_month_interval" | "day_time_interval";
  readonly startField: number;
  readonly endField: number;
}
export interface ArrayType {
  readonly type: "array";
  readonly elementType: SparkDataType;
  readonly containsNull: boolean;
}
export interface MapType {
  readonly type: "map";
  readonly keyType: SparkDataType;
  readonly valueType: SparkDataType;
  readonly valueContainsNull: boolean;
}
export interface StructField {
  readonly name: string;
  readonly dataType: SparkDataType;
  readonly nullable: boolean;
  readonly metadata?: Readonly<Record<string, unknown>>;
}
export interface StructType {
  readonly type: "struct";
  readonly fields: readonly StructField[];
}
export interface UserDefinedType {
  readonly type: "udt";
  readonly sqlType: SparkDataType;
  readonly jvmClass?: string;
  readonly pythonClass?: string;
  readonly serializedPythonClass?: string;
}

/** A type given either as a DDL string ("name string, n int", "array<int>") or as an object. */
export type DataTypeInput = string | SparkDataType;

const atomic = (type: AtomicTypeName): AtomicType => Object.freeze({ type });

/** Constructors for {@link SparkDataType} objects; defaults follow pyspark (nullable, containsNull true). */
export const Types = Object.freeze({
  null: atomic("null"),
  binary: atomic("binary"),
  boolean: atomic("boolean"),
  byte: atomic("byte"),
  short: atomic("short"),
  integer: atomic("integer"),
  long: atomic("long"),
  float: atomic("float"),
  double: atomic("double"),
  date: atomic("date"),
  timestamp: atomic("timestamp"),
  timestampNtz: atomic("timestamp_ntz"),
  calendarInterval: atomic("calendar_interval"),
  variant: atomic("variant"),
  string: Object.freeze({ type: "string" }) as StringType,
  decimal: (precision = 10, scale = 0): DecimalType => ({ type: "decimal", precision, scale }),
  char: (length: number): CharType => ({ type: "char", length }),
  varchar: (length: number): CharType => ({ type: "varchar", length }),
  yearMonthInterval: (startField = 0, endField = 1): IntervalType => ({ type: "year_month_interval", startField, endField }),
  dayTimeInterval: (startField = 0, endField = 3): IntervalType => ({ type: "day_time_interval", startField, endField }),
  array: (elementType: SparkDataType, containsNull = true): ArrayType => ({ type: "array", elementType, containsNull }),
  map: (keyType: SparkDataType, valueType: SparkDataType, valueContainsNull = true): MapType => ({
    type: "map",
    keyType,
    valueType,
    valueContainsNull,
  }),
  struct: (fields: readonly StructField[]): StructType => ({ type: "struct", fields }),
  field: (name: string, dataType: SparkDataType, nullable = true, metadata?: Record<string, unknown>): StructField =>
    metadata === undefined ? { name, dataType, nullable } : { name, dataType, nullable, metadata },
});

/** The proto DataType (from AnalyzePlan / ExecutePlan) as an object. */
export function fromProto(proto: ProtoDataType): SparkDataType {
  const kind = proto.kind;
  switch (kind.case) {
    case "null":
    case "binary":
    case "boolean":
    case "byte":
    case "short":
    case "integer":
    case "long":
    case "float":
    case "double":
    case "date":
    case "timestamp":
    case "variant":
      return { type: kind.case };
    case "timestampNtz":
      return { type: "timestamp_ntz" };
    case "calendarInterval":
      return { type: "calendar_interval" };
    case "string":
      return kind.value.collation && kind.value.collation !== "UTF8_BINARY"
        ? { type: "string", collation: kind.value.collation }
        : { type: "string" };
    case "char":
      return { type: "char", length: kind.value.length };
    case "varChar":
      return { type: "varchar", length: kind.value.length };
    case "decimal":
      // Unset precision/scale mean Spark's default DECIMAL(10,0).
      return { type: "decimal", precision: kind.value.precision ?? 10, scale: kind.value.scale ?? 0 };
    case "yearMonthInterval":
      return { type: "year_month_interval", startField: kind.value.startField ?? 0, endField: kind.value.endField ?? 1 };
    case "dayTimeInterval":
      return { type: "day_time_interval", startField: kind.value.startField ?? 0, endField: kind.value.endField ?? 3 };
    case "array":
      return { type: "array", elementType: fromProto(required(kind.value.elementType, "array element")), containsNull: kind.value.containsNull };
    case "map":
      return {
        type: "map",
        keyType: fromProto(required(kind.value.keyType, "map key")),
        valueType: fromProto(required(kind.value.valueType, "map value")),
        valueContainsNull: kind.value.valueContainsNull,
      };
    case "struct":
      return {
        type: "struct",
        fields: kind.value.fields.map((f) => {
          const field = { name: f.name, dataType: fromProto(required(f.dataType, `field ${f.name}`)), nullable: f.nullable };
          return f.metadata ? { ...field, metadata: JSON.parse(f.metadata) as Record<string, unknown> } : field;
        }),
      };
    case "udt": {
      const u = kind.value;
      return {
        type: "udt",
        sqlType: fromProto(required(u.sqlType, "UDT sql type")),
        ...(u.jvmClass !== undefined && { jvmClass: u.jvmClass }),
        ...(u.pythonClass !== undefined && { pythonClass: u.pythonClass }),
        ...(u.serializedPythonClass !== undefined && { serializedPythonClass: u.serializedPythonClass }),
      };
    }
    case "unparsed":
      throw new Error(`Got an unparsed data type "${kind.value.dataTypeString}"; resolve it with parseDDL() first.`);
    case undefined:
      throw new Error("Got an empty DataType from the server (no kind set); is the server newer than this client?");
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`Malformed DataType from the server: ${what} type is missing.`);
  return value;
}

/** The object as a proto DataType, for typed literals, casts and UDF return types. */
export function toProto(type: SparkDataType): ProtoDataType {
  return create(DataTypeSchema, { kind: protoKind(type) });
}

type KindInit = NonNullable<Exclude<MessageInitShape<typeof DataTypeSchema>, ProtoDataType>["kind"]>;

function protoKind(t: SparkDataType): KindInit {
  switch (t.type) {
    case "timestamp_ntz":
      return { case: "timestampNtz", value: {} };
    case "calendar_interval":
      return { case: "calendarInterval", value: {} };
    case "string":
      return { case: "string", value: { collation: t.collation ?? "" } };
    case "char":
      return { case: "char", value: { length: t.length } };
    case "varchar":
      return { case: "varChar", value: { length: t.length } };
    case "decimal":
      return { case: "decimal", value: { precision: t.precision, scale: t.scale } };
    case "year_month_interval":
      return { case: "yearMonthInterval", value: { startField: t.startField, endField: t.endField } };
    case "day_time_interval":
      return { case: "dayTimeInterval", value: { startField: t.startField, endField: t.endField } };
    case "array":
      return { case: "array", value: { elementType: toProto(t.elementType), containsNull: t.containsNull } };
    case "map":
      return {
        case: "map",
        value: { keyType: toProto(t.keyType), valueType: toProto(t.valueType), valueContainsNull: t.valueContainsNull },
      };
    case "struct":
      return {
        case: "struct",
        value: {
          fields: t.fields.map((f) => ({
            name: f.name,
            dataType: toProto(f.dataType),
            nullable: f.nullable,
            ...(f.metadata && Object.keys(f.metadata).length > 0 && { metadata: JSON.stringify(f.metadata) }),
          })),
        },
      };
    case "udt":
      return {
        case: "udt",
        value: {
          type: "udt",
          jvmClass: t.jvmClass,
          pythonClass: t.pythonClass,
          serializedPythonClass: t.serializedPythonClass,
          sqlType: toProto(t.sqlType),
        },
      };
    default:
      // Every remaining atomic tag is also its proto oneof case name.
      return { case: t.type, value: {} } as KindInit;
  }
}

/** A DDL string becomes an `unparsed` proto type the server parses; an object converts directly. */
export function dataTypeInputToProto(input: DataTypeInput): ProtoDataType {
  if (typeof input !== "string") return toProto(input);
  return create(DataTypeSchema, { kind: { case: "unparsed", value: { dataTypeString: input } } });
}

/** pyspark's `DataType.simpleString()`: "int", "bigint", "array<int>", "struct<a:int,b:string>". */
export function simpleString(t: SparkDataType): string {
  switch (t.type) {
    case "null":
      return "void";
    case "byte":
      return "tinyint";
    case "short":
      return "smallint";
    case "integer":
      return "int";
    case "long":
      return "bigint";
    case "calendar_interval":
      return "interval";
    case "udt":
      return "udt";
    case "array":
      return `array<${simpleString(t.elementType)}>`;
    case "map":
      return `map<${simpleString(t.keyType)},${simpleString(t.valueType)}>`;
    case "struct":
      return `struct<${t.fields.map((f) => `${f.name}:${simpleString(f.dataType)}`).join(",")}>`;
    default:
      return sparkJsonValue(t) as string;
  }
}

/**
 * Spark's `DataType.sql` form ("INT", "ARRAY<STRING>", "STRUCT<a: INT NOT NULL>"); for a struct at top level,
 * the column list Spark's DDL parser reads back ("a INT NOT NULL,`b c` STRING").
 */
export function toDDL(t: SparkDataType): string {
  if (t.type === "struct") return t.fields.map((f) => fieldDDL(f, " ")).join(",");
  return sqlString(t);
}

function fieldDDL(f: StructField, separator: string): string {
  const notNull = f.nullable ? "" : " NOT NULL";
  const comment = typeof f.metadata?.comment === "string" ? ` COMMENT '${escapeSqlString(f.metadata.comment)}'` : "";
  return `${quoteIdentifierIfNeeded(f.name)}${separator}${sqlString(f.dataType)}${notNull}${comment}`;
}

function sqlString(t: SparkDataType): string {
  switch (t.type) {
    case "array":
      return `ARRAY<${sqlString(t.elementType)}>`;
    case "map":
      return `MAP<${sqlString(t.keyType)}, ${sqlString(t.valueType)}>`;
    case "struct":
      return `STRUCT<${t.fields.map((f) => fieldDDL(f, ": ")).join(", ")}>`;
    case "udt":
      return sqlString(t.sqlType);
    case "string":
      return t.collation ? `STRING COLLATE ${t.collation}` : "STRING";
    default:
      return simpleString(t).toUpperCase();
  }
}

/** Backticks a name unless it is a plain identifier, as Spark's quoteIfNeeded does. */
export function quoteIdentifierIfNeeded(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replaceAll("`", "``")}\``;
}

function escapeSqlString(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("'", "\\'");
}

/** Asks the server to parse a DDL string ("a int, b string" or "array<int>") into a type. */
export async function parseDDL(core: SessionCore, ddl: string): Promise<SparkDataType> {
  const response = await core.analyze({
    case: "ddlParse",
    value: create(AnalyzePlanRequest_DDLParseSchema, { ddlString: ddl }),
  });
  const result = response.result;
  if (result.case !== "ddlParse" || result.value.parsed === undefined) {
    throw new Error(`AnalyzePlan(ddlParse) for ${JSON.stringify(ddl)} answered with "${result.case}" and no parsed type.`);
  }
  return fromProto(result.value.parsed);
}

/** A DataTypeInput as an object: strings go through the server's DDL parser. */
export async function resolveDataType(core: SessionCore, input: DataTypeInput): Promise<SparkDataType> {
  return typeof input === "string" ? parseDDL(core, input) : input;
}

/** A DataTypeInput that must be a struct (a schema); a DDL string like "a int, b string" parses to one. */
export async function resolveSchema(core: SessionCore, input: DataTypeInput): Promise<StructType> {
  const type = await resolveDataType(core, input);
  if (type.type !== "struct") {
    throw new TypeError(`A schema must be a struct type, got ${simpleString(type)}; write it as "name type, ..." or Types.struct([...]).`);
  }
  return type;
}
