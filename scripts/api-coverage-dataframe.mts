// Counts the README's "API coverage" rows for DataFrame, GroupedData, na, stat and Catalog against the
// public names (methods and properties) of pyspark's own classes: pyspark.sql.DataFrame, GroupedData,
// DataFrameNaFunctions, DataFrameStatFunctions and pyspark.sql.catalog.Catalog. A name counts as ours
// when our class has it (method, getter or property, inherited included).
//
// Usage: npx tsx scripts/api-coverage-dataframe.mts <python with pyspark>
//   e.g. npx tsx scripts/api-coverage-dataframe.mts ~/.cache/spark-autobundle/venv-pyspark-4.1.4/bin/python
import { execFileSync } from "node:child_process";
import { Catalog } from "../src/connect/sql/catalog.js";
import { DataFrame } from "../src/connect/sql/dataframe/dataframe.js";
import { GroupedData } from "../src/connect/sql/grouped.js";
import { DataFrameNaFunctions } from "../src/connect/sql/dataframe/na.js";
import { DataFrameStatFunctions } from "../src/connect/sql/dataframe/stat.js";

const python = process.argv[2] ?? "python3";
const listing = `
import json
from pyspark.sql import DataFrame, GroupedData, DataFrameNaFunctions, DataFrameStatFunctions
from pyspark.sql.catalog import Catalog
public = lambda cls: sorted(n for n in dir(cls) if not n.startswith("_"))
print(json.dumps({"DataFrame": public(DataFrame), "GroupedData": public(GroupedData),
                  "na": public(DataFrameNaFunctions), "stat": public(DataFrameStatFunctions), "Catalog": public(Catalog)}))
`;
const py = JSON.parse(execFileSync(python, ["-c", listing], { encoding: "utf8" })) as Record<string, string[]>;
// Properties set in constructors (DataFrame's core/relation) are not on the prototype: list them.
const instanceProps: Record<string, string[]> = { DataFrame: [] };
const has = (proto: object, extra: string[] = []) => (n: string) => n in proto || extra.includes(n);
const rows: [string, string[], (n: string) => boolean][] = [
  ["DataFrame", py.DataFrame!, has(DataFrame.prototype, instanceProps.DataFrame)],
  ["GroupedData", py.GroupedData!, has(GroupedData.prototype)],
  ["DataFrameNaFunctions (`df.na`)", py.na!, has(DataFrameNaFunctions.prototype)],
  ["DataFrameStatFunctions (`df.stat`)", py.stat!, has(DataFrameStatFunctions.prototype)],
  ["Catalog (`spark.catalog`)", py.Catalog!, has(Catalog.prototype)],
];
for (const [name, list, covered] of rows) {
  const missing = list.filter((n) => !covered(n));
  console.log(`${name}: ${list.length - missing.length} of ${list.length}${missing.length ? `; missing: ${missing.join(", ")}` : ""}`);
}
