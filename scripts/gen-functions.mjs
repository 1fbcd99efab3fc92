// Writes src/gen/functions.ts: a typed wrapper for every function in pyspark.sql.functions, from
// scripts/functions-spec.json (recorded from pyspark 4.1 by scripts/extract-functions.py: signatures,
// one-line docs, and the exact call pyspark's Connect client sends). Each wrapper passes its arguments
// and spec to invokeSpec (src/connect/sql/column/function-call.ts), which builds that call.
// Part of `npm run gen` (after buf, whose `clean` empties src/gen first); alone it is
// `npm run gen:functions`. test/gen/functions.test.ts fails while the committed file is stale.
//
// Usage: node scripts/gen-functions.mjs [--stdout]   (--stdout: print instead of writing)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const OUT = "src/gen/functions.ts";
const SPEC = "scripts/functions-spec.json";

/**
 * Written by hand in src/connect/sql/column/ (functions.ts, higher-order.ts, window.ts), each for a reason the
 * spec can't carry: JS values or lambdas pyspark handles in Python, or a shape that is not a call.
 */
export const HAND_WRITTEN = new Map([
  ["col", "builds an attribute or a star"],
  ["column", "alias of col"],
  ["lit", "typed literals, arrays"],
  ["expr", "SQL text"],
  ["when", "CASE WHEN chain"],
  ["count", 'count("*") is count(1)'],
  ["broadcast", "a DataFrame hint"],
  ["call_udf", "the function name is an argument"],
  ["call_function", "CallFunction message"],
  ["asc", "sort order"],
  ["asc_nulls_first", "sort order"],
  ["asc_nulls_last", "sort order"],
  ["desc", "sort order"],
  ["desc_nulls_first", "sort order"],
  ["desc_nulls_last", "sort order"],
]);

/** pyspark's UDF factories: ours take a "module:function" reference, written by hand in src/connect/python/factories.ts. */
export const NOT_FUNCTIONS = new Set(["udf", "udtf", "pandas_udf", "arrow_udf", "arrow_udtf"]);

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval".split(" "),
);

const TS_TYPE = {
  col: "ColumnOrName",
  column: "ColumnOrName",
  col_or_int: "ColumnOrName | number",
  col_or_float: "ColumnOrName | number",
  int: "number",
  number: "number",
  float: "number",
  str: "string",
  bool: "boolean",
  any: "unknown",
  schema: "string | SparkDataType | Column",
  options: "Record<string, string | number | boolean>",
  float_or_list: "number | readonly number[] | Column",
};

function camel(name) {
  const out = name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
  return RESERVED.has(out) ? `${out}Value` : out;
}

function tsType(param) {
  const base = TS_TYPE[param.kind];
  if (base === undefined) throw new Error(`no TypeScript type for parameter kind ${param.kind}`);
  // A literal parameter that pyspark also takes as a Column (lpad's len: Union[Column, int]).
  const alsoColumn = ["int", "number", "float", "str", "bool"].includes(param.kind) && /\bColumn\b/.test(param.annotation.replace(/ColumnOrName/g, ""));
  return alsoColumn ? `${base} | Column` : base;
}

/** The spec's call tree in the compact form function-call.ts reads. */
function template(node, jsName) {
  if ("param" in node) return jsName.get(node.param) ?? fail(`unknown parameter ${node.param}`);
  if ("literal" in node) return { lit: node.literal };
  if ("column" in node) return { col: node.column };
  const out = { fn: node.function, args: node.args.map((a) => template(a, jsName)) };
  if (node.distinct) out.distinct = true;
  return out;
}

function fail(message) {
  throw new Error(message);
}

function doc(text, fn) {
  const line = text.replace(/\*\//g, "*\\/").replace(/\s+/g, " ").trim();
  const alias = fn.alias ? " (an alias pyspark keeps outside `__all__`)" : "";
  return `/** ${line || fn.name}${alias} */`;
}

function wrapper(fn) {
  const jsName = new Map(Object.keys(fn.params).map((p) => [p, camel(p)]));
  const params = [];
  const specParams = [];
  for (const [name, p] of Object.entries(fn.params)) {
    const js = jsName.get(name);
    if (p.variadic) {
      params.push(`...${js}: ${p.kind === "col" ? "ColumnOrName[] | [readonly ColumnOrName[]]" : `(${tsType(p)})[]`}`);
      specParams.push([js, p.kind, "*"]);
    } else if (p.optional) {
      params.push(`${js}?: ${tsType(p)}${p.default === null ? " | null" : ""}`);
      specParams.push([js, p.kind, p.default === null ? "?n" : "?"]);
    } else {
      params.push(`${js}: ${tsType(p)}`);
      specParams.push([js, p.kind]);
    }
  }
  const variants = fn.variants.map((v) => [v.given.map((g) => jsName.get(g)), template(v.call, jsName)]);
  const spec = { name: fn.name, params: specParams, variants };
  const constName = `SPEC_${fn.name}`;
  // A reserved word (pyspark's `typeof`) can't name a function but can name an export:
  // `F.typeof(c)` and `import { typeof as typeOf }` both work; `typeof_` is the plain-identifier form.
  const id = RESERVED.has(fn.name) ? `${fn.name}_` : fn.name;
  return [
    `const ${constName}: FunctionSpec = ${JSON.stringify(spec)};`,
    doc(fn.doc, fn),
    `export function ${id}(${params.join(", ")}): Column {`,
    `  return invokeSpec(${constName}, [${[...jsName.values()].join(", ")}]);`,
    "}",
    ...(id === fn.name ? [] : [`export { ${id} as ${fn.name} };`]),
    "",
  ];
}

function functionsModule() {
  const spec = JSON.parse(readFileSync(join(repo, SPEC), "utf8"));
  const lines = [
    `// @generated by scripts/gen-functions.mjs from ${SPEC} (pyspark ${spec.pyspark}); do not edit.`,
    "// Change the spec or the generator, then run `npm run gen:functions` (test/gen/functions.test.ts fails until then).",
    "/* eslint-disable */",
    'import type { SparkDataType } from "../connect/types/datatypes.js";',
    'import { Column, type ColumnOrName } from "../connect/sql/column/column.js";',
    'import { invokeSpec, type FunctionSpec } from "../connect/sql/column/function-call.js";',
    "",
  ];
  const names = [];
  for (const fn of spec.functions) {
    if (HAND_WRITTEN.has(fn.name) || NOT_FUNCTIONS.has(fn.name) || fn.manual) continue;
    lines.push(...wrapper(fn));
    names.push(fn.name);
  }
  lines.push("/** The names above: every generated function. */");
  lines.push(`export const GENERATED_FUNCTIONS: readonly string[] = ${JSON.stringify(names)};`, "");
  return lines.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = functionsModule();
  if (process.argv.includes("--stdout")) process.stdout.write(text);
  else {
    writeFileSync(join(repo, OUT), text);
    console.log(`wrote ${OUT} (${text.length} characters)`);
  }
}
