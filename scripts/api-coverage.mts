// Counts the README's "API coverage" rows for functions, Column and Window against pyspark's own
// lists: `pyspark.sql.functions.__all__` (plus the aliases it keeps outside __all__), the public
// methods of pyspark.sql.Column, and those of Window and WindowSpec (classic and Connect alike).
//
// Usage: npx tsx scripts/api-coverage.mts <python with pyspark>
//   e.g. npx tsx scripts/api-coverage.mts ~/.cache/spark-autobundle/venv-pyspark-4.1.4/bin/python
import { execFileSync } from "node:child_process";
import * as F from "../src/connect/sql/column/functions.js";
import { Column } from "../src/connect/sql/column/column.js";
import { Window, WindowSpec } from "../src/connect/sql/column/window.js";

const python = process.argv[2] ?? "python3";
const listing = `
import inspect, json
import pyspark.sql.functions as F
from pyspark.sql import Column, Window, WindowSpec
public = lambda cls: sorted(n for n in dir(cls) if not n.startswith("_"))
aliases = [n for n in dir(F) if not n.startswith("_") and n not in F.__all__ and inspect.isfunction(getattr(F, n))
           and getattr(F, n).__module__.startswith("pyspark.sql.functions")]
print(json.dumps({"all": list(F.__all__), "aliases": aliases, "Column": public(Column),
                  "Window": public(Window), "WindowSpec": public(WindowSpec)}))
`;
const py = JSON.parse(execFileSync(python, ["-c", listing], { encoding: "utf8" })) as Record<string, string[]>;
const ours = (names: string[], has: (n: string) => boolean) => names.filter(has);
const methods = (proto: object) => (n: string) => typeof (proto as Record<string, unknown>)[n] === "function";
const exported = new Set(Object.keys(F));
const rows = [
  ["functions (`__all__`)", py.all!, (n: string) => exported.has(n)],
  ["functions (aliases outside `__all__`)", py.aliases!, (n: string) => exported.has(n)],
  ["Column methods", py.Column!, methods(Column.prototype)],
  ["Window", py.Window!, (n: string) => n in Window],
  ["WindowSpec methods", py.WindowSpec!, methods(WindowSpec.prototype)],
] as const;
for (const [name, list, has] of rows) {
  const covered = ours([...list], has);
  const missing = list.filter((n) => !covered.includes(n));
  console.log(`${name}: ${covered.length} of ${list.length}${missing.length ? `; missing: ${missing.join(", ")}` : ""}`);
}
