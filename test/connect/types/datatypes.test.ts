import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { AnalyzePlanResponseSchema } from "../../../src/gen/spark/connect/base_pb.js";
import type { AnalyzeInit } from "../../../src/connect/rpc/client.js";
import type { SessionCore } from "../../../src/connect/core.js";
import { fromJSON, toJSON } from "../../../src/connect/types/datatypes-json.js";
import {
  dataTypeInputToProto,
  fromProto,
  parseDDL,
  simpleString,
  toDDL,
  toProto,
  Types as T,
  type SparkDataType,
} from "../../../src/connect/types/datatypes.js";
import { runPython } from "../../helpers/python.js";

const nested = T.struct([
  T.field("a", T.integer, false, { comment: "the a" }),
  T.field("b c", T.array(T.string, false)),
  T.field("m", T.map(T.string, T.array(T.decimal(38, 18)), false)),
  T.field("s", T.struct([T.field("x", T.double), T.field("when", T.timestampNtz, false)])),
]);

const cases: SparkDataType[] = [
  T.null,
  T.binary,
  T.boolean,
  T.byte,
  T.short,
  T.integer,
  T.long,
  T.float,
  T.double,
  T.decimal(10, 2),
  T.decimal(),
  T.string,
  { type: "string", collation: "UNICODE_CI" },
  T.char(5),
  T.varchar(7),
  T.date,
  T.timestamp,
  T.timestampNtz,
  T.calendarInterval,
  T.yearMonthInterval(),
  T.yearMonthInterval(1, 1),
  T.dayTimeInterval(),
  T.dayTimeInterval(0, 0),
  T.dayTimeInterval(1, 2),
  T.variant,
  T.array(T.integer),
  T.map(T.string, T.long, false),
  nested,
];

describe("Spark JSON and simpleString agree with real pyspark", () => {
  // pyspark parses our JSON and prints its own json() and simpleString(): both must equal ours.
  const script = [
    "import sys, json",
    "from pyspark.sql.types import _parse_datatype_json_string as parse",
    "for line in sys.stdin.read().splitlines():",
    "    t = parse(line)",
    "    print(json.dumps([t.json(), t.simpleString()]))",
  ].join("\n");
  const ours = cases.map((t) => toJSON(t));
  const answers = runPython(script, ours.join("\n"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as [string, string]);

  cases.forEach((type, i) => {
    it(`${simpleString(type)}`, () => {
      const [pysparkJson, pysparkSimple] = answers[i]!;
      expect(ours[i]).toBe(pysparkJson);
      expect(simpleString(type)).toBe(pysparkSimple);
      expect(fromJSON(pysparkJson)).toEqual(type);
    });
  });
});

describe("datatypes", () => {
  it("round-trips every case through the proto DataType", () => {
    for (const t of cases) expect(fromProto(toProto(t))).toEqual(t);
  });

  it("writes the exact JSON pyspark writes for a nested schema", () => {
    expect(toJSON(T.struct([T.field("a", T.integer, false), T.field("t", T.array(T.string))]))).toBe(
      '{"fields":[{"metadata":{},"name":"a","nullable":false,"type":"integer"},' +
        '{"metadata":{},"name":"t","nullable":true,"type":{"containsNull":true,"elementType":"string","type":"array"}}],"type":"struct"}',
    );
  });

  it("writes DDL that names, quotes and marks NOT NULL like Spark's toDDL", () => {
    expect(toDDL(nested)).toBe(
      "a INT NOT NULL COMMENT 'the a',`b c` ARRAY<STRING>,m MAP<STRING, ARRAY<DECIMAL(38,18)>>," +
        "s STRUCT<x: DOUBLE, when: TIMESTAMP_NTZ NOT NULL>",
    );
    expect(toDDL(T.map(T.string, T.dayTimeInterval()))).toBe("MAP<STRING, INTERVAL DAY TO SECOND>");
    expect(toDDL(T.struct([T.field("we`ird", T.long)]))).toBe("`we``ird` BIGINT");
  });

  it("reads decimal defaults and UTF8_BINARY as Spark's defaults", () => {
    const bareDecimal = toProto(T.decimal());
    if (bareDecimal.kind.case !== "decimal") throw new Error("expected decimal");
    bareDecimal.kind.value.precision = undefined;
    bareDecimal.kind.value.scale = undefined;
    expect(fromProto(bareDecimal)).toEqual(T.decimal(10, 0));
    const utf8 = toProto(T.string);
    if (utf8.kind.case !== "string") throw new Error("expected string");
    utf8.kind.value.collation = "UTF8_BINARY";
    expect(fromProto(utf8)).toEqual(T.string);
  });

  it("sends DDL strings as unparsed types for the server to parse", () => {
    const proto = dataTypeInputToProto("array<int>");
    expect(proto.kind).toMatchObject({ case: "unparsed", value: { dataTypeString: "array<int>" } });
    expect(() => fromProto(proto)).toThrow(/parseDDL/);
    expect(dataTypeInputToProto(T.long).kind.case).toBe("long");
  });

  it("rejects unknown JSON type names and bad interval codes with the reason", () => {
    expect(() => fromJSON('"integr"')).toThrow(/Unknown Spark JSON type name "integr"/);
    expect(() => toJSON(T.dayTimeInterval(0, 7))).toThrow(/valid codes are 0\.\.3/);
  });

  it("parseDDL asks the server (AnalyzePlan ddlParse) and converts its answer", async () => {
    const asked: AnalyzeInit[] = [];
    const core: SessionCore = {
      nextPlanId: () => 0n,
      execute: () => {
        throw new Error("not used");
      },
      analyze: async (analyze) => {
        asked.push(analyze);
        return create(AnalyzePlanResponseSchema, { result: { case: "ddlParse", value: { parsed: toProto(T.struct([T.field("a", T.integer)])) } } });
      },
    };
    expect(await parseDDL(core, "a int")).toEqual(T.struct([T.field("a", T.integer)]));
    expect(asked[0]).toMatchObject({ case: "ddlParse", value: { ddlString: "a int" } });
  });
});
