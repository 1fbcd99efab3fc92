import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { DataTypeSchema } from "../../../src/gen/spark/connect/types_pb.js";
import { parseTypeString } from "../../../src/connect/types/typestring.js";

const json = (s: string) => toJson(DataTypeSchema, parseTypeString(s));

describe("parseTypeString", () => {
  it("parses simple types and their aliases", () => {
    expect(json("string")).toEqual({ string: {} });
    expect(json("BIGINT")).toEqual({ long: {} });
    expect(json("int")).toEqual({ integer: {} });
    expect(json("timestamp_ntz")).toEqual({ timestampNtz: {} });
  });

  it("parses nested types", () => {
    expect(json("array<int>")).toEqual({ array: { elementType: { integer: {} }, containsNull: true } });
    expect(json("map<string, array<bigint>>")).toEqual({
      map: { keyType: { string: {} }, valueType: { array: { elementType: { long: {} }, containsNull: true } }, valueContainsNull: true },
    });
    expect(json("struct<a:int,`b c`:string>")).toEqual({
      struct: {
        fields: [
          { name: "a", dataType: { integer: {} }, nullable: true },
          { name: "b c", dataType: { string: {} }, nullable: true },
        ],
      },
    });
  });

  it("parses decimals with and without precision", () => {
    expect(json("decimal(10, 2)")).toEqual({ decimal: { precision: 10, scale: 2 } });
    expect(json("decimal")).toEqual({ decimal: { precision: 10, scale: 0 } });
  });

  it("parses a field list as a struct", () => {
    expect(json("day string, bytes bigint")).toEqual({
      struct: {
        fields: [
          { name: "day", dataType: { string: {} }, nullable: true },
          { name: "bytes", dataType: { long: {} }, nullable: true },
        ],
      },
    });
  });

  it("names the position and shows valid syntax on bad input", () => {
    expect(() => parseTypeString("array<int")).toThrow(/expected ">" at position 9[\s\S]*array<int>/);
    expect(() => parseTypeString("strin")).toThrow(/known type \(got "strin"\)/);
    expect(() => parseTypeString("int extra")).toThrow(/Cannot parse type "int extra"/);
  });
});
