// Window specs build pyspark's Expression.Window (see pyspark/sql/connect/expressions.py WindowExpression).
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExpressionSchema } from "../../../../src/gen/spark/connect/expressions_pb.js";
import * as F from "../../../../src/connect/sql/column/functions.js";
import { Window } from "../../../../src/connect/sql/column/window.js";
import { attr } from "../../../helpers/plan-json.js";

const json = (c: F.Column) => toJson(ExpressionSchema, c.expr) as Record<string, any>;

describe("Window and Column.over", () => {
  it("partitions, orders (ascending unless ordered) and leaves the frame unset by default", () => {
    const w = Window.partitionBy("k").orderBy("t", F.col("u").desc());
    expect(json(F.row_number().over(w))).toEqual({
      window: {
        windowFunction: { unresolvedFunction: { functionName: "row_number" } },
        partitionSpec: [attr("k")],
        orderSpec: [
          { child: attr("t"), direction: "SORT_DIRECTION_ASCENDING", nullOrdering: "SORT_NULLS_FIRST" },
          { child: attr("u"), direction: "SORT_DIRECTION_DESCENDING", nullOrdering: "SORT_NULLS_LAST" },
        ],
      },
    });
  });

  it("rows frames: 0 is CURRENT ROW, the constants UNBOUNDED, offsets int literals", () => {
    const frame = (w: ReturnType<typeof Window.orderBy>) => json(F.sum("x").over(w)).window.frameSpec;
    expect(frame(Window.orderBy("t").rowsBetween(Window.unboundedPreceding, Window.currentRow))).toEqual({
      frameType: "FRAME_TYPE_ROW",
      lower: { unbounded: true },
      upper: { currentRow: true },
    });
    expect(frame(Window.orderBy("t").rowsBetween(-2, Window.unboundedFollowing))).toEqual({
      frameType: "FRAME_TYPE_ROW",
      lower: { value: { literal: { integer: -2 } } },
      upper: { unbounded: true },
    });
    // range offsets are longs, as pyspark sends them
    expect(frame(Window.partitionBy(["k"]).orderBy("t").rangeBetween(-10, 5))).toEqual({
      frameType: "FRAME_TYPE_RANGE",
      lower: { value: { literal: { long: "-10" } } },
      upper: { value: { literal: { long: "5" } } },
    });
    expect(frame(Window.rowsBetween(-Infinity, Infinity))).toEqual({ frameType: "FRAME_TYPE_ROW", lower: { unbounded: true }, upper: { unbounded: true } });
  });

  it("specs are immutable", () => {
    const base = Window.partitionBy("k");
    const framed = base.rowsBetween(-1, 1);
    expect(json(F.count("*").over(base)).window.frameSpec).toBeUndefined();
    expect(json(F.count("*").over(framed)).window.frameSpec.frameType).toBe("FRAME_TYPE_ROW");
  });

  it("rejects bad frames and non-specs, naming the fix", () => {
    expect(() => Window.orderBy("t").rowsBetween(1.5, 2)).toThrow(/start must be an integer or a Window constant/);
    expect(() => F.sum("x").over(Window.orderBy("t").rowsBetween(-(2 ** 40), 0))).toThrow(/between -2147483648 and 2147483647/);
    expect(() => F.sum("x").over({} as never)).toThrow(/pass a WindowSpec from Window.partitionBy/);
  });

  it("ranking and analytic functions send pyspark's calls", () => {
    const fn = (c: F.Column) => json(c).unresolvedFunction;
    expect(fn(F.ntile(4))).toEqual({ functionName: "ntile", arguments: [{ literal: { integer: 4 } }] });
    expect(fn(F.lag("x"))).toEqual({ functionName: "lag", arguments: [attr("x"), { literal: { integer: 1 } }] });
    expect(fn(F.lead("x", 2, 0))).toEqual({ functionName: "lead", arguments: [attr("x"), { literal: { integer: 2 } }, { literal: { integer: 0 } }] });
    expect(fn(F.nth_value("x", 2))).toEqual({ functionName: "nth_value", arguments: [attr("x"), { literal: { integer: 2 } }, { literal: { boolean: false } }] });
    for (const f of [F.rank, F.dense_rank, F.percent_rank, F.cume_dist]) expect(fn(f()).arguments).toBeUndefined();
  });
});
