// JS lambdas become LambdaFunction expressions as pyspark's _create_lambda builds them.
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExpressionSchema } from "../../../../src/gen/spark/connect/expressions_pb.js";
import * as F from "../../../../src/connect/sql/column/functions.js";

const json = (c: F.Column) => toJson(ExpressionSchema, c.expr) as Record<string, any>;
const lambdaOf = (c: F.Column, i = 1) => json(c).unresolvedFunction.arguments[i].lambdaFunction;
const variable = (name: string) => ({ unresolvedNamedLambdaVariable: { nameParts: [name] } });

describe("higher-order functions", () => {
  it("transform: the body refers to fresh variables; Function.length picks the index variant", () => {
    const one = lambdaOf(F.transform("xs", (x) => x.plus(1)));
    const [x] = one.arguments.map((a: { nameParts: string[] }) => a.nameParts[0]);
    expect(x).toMatch(/^x_\d+$/);
    expect(one.function).toEqual({ unresolvedFunction: { functionName: "+", arguments: [variable(x), { literal: { integer: 1 } }] } });
    const two = lambdaOf(F.transform("xs", (v, i) => v.multiply(i)));
    expect(two.arguments).toHaveLength(2);
    expect(two.arguments[0].nameParts[0]).not.toBe(x);
    expect(two.arguments[1].nameParts[0]).toMatch(/^y_\d+$/);
  });

  it("aggregate sends merge and the optional finish as two lambdas after the columns", () => {
    const c = json(F.aggregate("xs", F.lit(0), (acc, x) => acc.plus(x), (acc) => acc.multiply(10)));
    const args = c.unresolvedFunction.arguments;
    expect(c.unresolvedFunction.functionName).toBe("aggregate");
    expect(args[0]).toEqual({ unresolvedAttribute: { unparsedIdentifier: "xs" } });
    expect(args[1]).toEqual({ literal: { integer: 0 } });
    expect(args[2].lambdaFunction.arguments).toHaveLength(2);
    expect(args[3].lambdaFunction.arguments).toHaveLength(1);
  });

  it("fixed-arity functions get Spark's arity; array_sort takes an optional comparator", () => {
    expect(lambdaOf(F.map_filter("m", (k) => k.gt(1))).arguments).toHaveLength(2);
    expect(lambdaOf(F.map_zip_with("a", "b", (_k, v1, v2) => v1.plus(v2)), 2).arguments).toHaveLength(3);
    expect(lambdaOf(F.zip_with("a", "b", (x, y) => x.plus(y)), 2).arguments).toHaveLength(2);
    expect(json(F.array_sort("xs")).unresolvedFunction.arguments).toHaveLength(1);
    expect(lambdaOf(F.array_sort("xs", (l, r) => r.minus(l))).arguments).toHaveLength(2);
  });

  it("nested lambdas don't share variable names", () => {
    const outer = lambdaOf(F.transform("xss", (xs) => F.transform(xs, (x) => x.plus(1))));
    const inner = outer.function.unresolvedFunction.arguments[1].lambdaFunction;
    expect(inner.arguments[0].nameParts[0]).not.toBe(outer.arguments[0].nameParts[0]);
  });

  it("rejects a lambda that returns no Column, naming the fix", () => {
    expect(() => F.filter("xs", () => true as never)).toThrow(/must return a Column \(e.g. x.plus\(1\), lit\(true\)\), got a boolean/);
    expect(() => F.exists("xs", 1 as never)).toThrow(/pass a function from Columns to a Column/);
  });
});
