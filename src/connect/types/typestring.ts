import { create } from "@bufbuild/protobuf";
import { DataTypeSchema, type DataType } from "../../gen/spark/connect/types_pb.js";
import { SparkConnectError } from "../errors.js";

/**
 * Parses a Spark type string ("string", "array<int>", "map<string,bigint>",
 * "struct<a:int,b:string>", "decimal(10,2)", or a field list "a int, b string")
 * into the protocol's DataType, synchronously. UDF return types need this at
 * definition time, before any server round trip.
 */
export function parseTypeString(text: string): DataType {
  const parser = new Parser(text);
  const type = parser.fieldListOrType();
  parser.expectEnd();
  return type;
}

const SIMPLE: Record<string, DataType["kind"]["case"]> = {
  string: "string",
  varchar: "string",
  int: "integer",
  integer: "integer",
  bigint: "long",
  long: "long",
  smallint: "short",
  short: "short",
  tinyint: "byte",
  byte: "byte",
  float: "float",
  real: "float",
  double: "double",
  boolean: "boolean",
  bool: "boolean",
  binary: "binary",
  date: "date",
  timestamp: "timestamp",
  timestamp_ltz: "timestamp",
  timestamp_ntz: "timestampNtz",
  void: "null",
  null: "null",
  variant: "variant",
};

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  fieldListOrType(): DataType {
    const save = this.pos;
    const name = this.identifier();
    this.skipSpace();
    const next = this.text[this.pos];
    // "a int, b string" / "a: int": a schema; anything else is a single type.
    if (name && next !== undefined && next !== "<" && next !== "(" && next !== ",") {
      this.pos = save;
      return this.fields(undefined);
    }
    this.pos = save;
    return this.type();
  }

  type(): DataType {
    const name = this.identifier().toLowerCase();
    if (!name) this.fail("a type name");
    if (name === "array") {
      this.expect("<");
      const elementType = this.type();
      this.expect(">");
      return create(DataTypeSchema, { kind: { case: "array", value: { elementType, containsNull: true } } });
    }
    if (name === "map") {
      this.expect("<");
      const keyType = this.type();
      this.expect(",");
      const valueType = this.type();
      this.expect(">");
      return create(DataTypeSchema, { kind: { case: "map", value: { keyType, valueType, valueContainsNull: true } } });
    }
    if (name === "struct") {
      this.expect("<");
      if (this.peek(">")) {
        this.expect(">");
        return create(DataTypeSchema, { kind: { case: "struct", value: { fields: [] } } });
      }
      return this.fields(">");
    }
    if (name === "decimal" || name === "dec" || name === "numeric") {
      let precision = 10;
      let scale = 0;
      if (this.peek("(")) {
        this.expect("(");
        precision = this.integer();
        if (this.peek(",")) {
          this.expect(",");
          scale = this.integer();
        }
        this.expect(")");
      }
      return create(DataTypeSchema, { kind: { case: "decimal", value: { precision, scale } } });
    }
    if ((name === "varchar" || name === "char") && this.peek("(")) {
      this.expect("(");
      this.integer();
      this.expect(")");
    }
    const simple = SIMPLE[name];
    if (!simple) this.fail(`a known type (got "${name}")`);
    return create(DataTypeSchema, { kind: { case: simple, value: {} } as DataType["kind"] });
  }

  private fields(close: string | undefined): DataType {
    const fields = [];
    for (;;) {
      const name = this.identifier();
      if (!name) this.fail("a field name");
      this.skipSpace();
      if (this.text[this.pos] === ":") this.pos++;
      fields.push({ name, dataType: this.type(), nullable: true });
      if (this.peek(",")) {
        this.expect(",");
        continue;
      }
      break;
    }
    if (close) this.expect(close);
    return create(DataTypeSchema, { kind: { case: "struct", value: { fields } } });
  }

  private identifier(): string {
    this.skipSpace();
    if (this.text[this.pos] === "`") {
      const end = this.text.indexOf("`", this.pos + 1);
      if (end < 0) this.fail("a closing backtick");
      const name = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return name;
    }
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!match) return "";
    this.pos += match[0].length;
    return match[0];
  }

  private integer(): number {
    this.skipSpace();
    const match = /^\d+/.exec(this.text.slice(this.pos));
    if (!match) this.fail("a number");
    this.pos += match[0].length;
    return Number(match[0]);
  }

  private peek(token: string): boolean {
    this.skipSpace();
    return this.text.startsWith(token, this.pos);
  }

  private expect(token: string): void {
    if (!this.peek(token)) this.fail(`"${token}"`);
    this.pos += token.length;
  }

  expectEnd(): void {
    this.skipSpace();
    if (this.pos < this.text.length) this.fail("the end of the type");
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private fail(expected: string): never {
    throw new SparkConnectError(`Cannot parse type "${this.text}": expected ${expected} at position ${this.pos}.`, {
      errorClass: "INVALID_TYPE_STRING",
      fix: 'Use Spark type syntax, e.g. "string", "bigint", "array<int>", "map<string,int>", "struct<a:int,b:string>", "decimal(10,2)".',
    });
  }
}
