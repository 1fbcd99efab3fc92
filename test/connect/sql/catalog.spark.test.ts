// Integration: spark.catalog on a real server, compared with what pyspark 4.1.4's Connect client returned for
// the same calls against the same server (PYSPARK below, hard-coded from that run).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SparkSession, StorageLevel } from "../../../src/index.js";

let spark: SparkSession;

beforeAll(async () => {
  spark = await SparkSession.builder().remote(inject("sparkRemote")).create();
});
afterAll(async () => {
  await spark?.stop();
});

const PYSPARK = {
  currentDatabase: "default",
  listDatabases: [{"name": "default", "catalog": "spark_catalog", "description": "default database", "locationUri": "file:/root/.cache/spark-autobundle/work/spark-warehouse"}],
  currentCatalog: "spark_catalog",
  listCatalogs: [{"name": "spark_catalog", "description": null}],
  databaseExists: [true, false],
  listTables: [{"name": "cat_people", "catalog": null, "namespace": [], "description": null, "tableType": "TEMPORARY", "isTemporary": true}],
  tableExists: [true, false],
  listColumns: [{"name": "id", "description": null, "dataType": "int", "nullable": true, "isPartition": false, "isBucket": false, "isCluster": false}, {"name": "name", "description": null, "dataType": "string", "nullable": true, "isPartition": false, "isBucket": false, "isCluster": false}, {"name": "age", "description": null, "dataType": "int", "nullable": true, "isPartition": false, "isBucket": false, "isCluster": false}, {"name": "height", "description": null, "dataType": "double", "nullable": true, "isPartition": false, "isBucket": false, "isCluster": false}, {"name": "grp", "description": null, "dataType": "string", "nullable": true, "isPartition": false, "isBucket": false, "isCluster": false}],
  functionExists: [true, false],
  listFunctionsAbs: [{"name": "abs", "catalog": null, "namespace": null, "description": "abs(expr) - Returns the absolute value of the numeric or interval value.", "className": "org.apache.spark.sql.catalyst.expressions.Abs", "isTemporary": true}],
  getFunction: {"name": "abs", "catalog": null, "namespace": null, "description": "abs(expr) - Returns the absolute value of the numeric or interval value.", "className": "org.apache.spark.sql.catalyst.expressions.Abs", "isTemporary": true},
  isCached0: false,
  isCached1: true,
  isCached2: false,
  dropTempView: [true, false],
};

describe("spark.catalog", () => {
  it("databases, catalogs, tables, columns and functions as pyspark lists them", async () => {
    const people = spark.createDataFrame([{ id: 1, name: "a", age: 1, height: 1.5, grp: "g" }], "id INT, name STRING, age INT, height DOUBLE, grp STRING");
    await people.createOrReplaceTempView("cat_people");
    const c = spark.catalog;
    const [db, catalog, catalogs, dbs, dbExists, tables, tableExists, columns, fnExists, fns, fn] = await Promise.all([
      c.currentDatabase(),
      c.currentCatalog(),
      c.listCatalogs(),
      c.listDatabases(),
      Promise.all([c.databaseExists("default"), c.databaseExists("nope_db")]),
      c.listTables(),
      Promise.all([c.tableExists("cat_people"), c.tableExists("nope_t")]),
      c.listColumns("cat_people"),
      Promise.all([c.functionExists("abs"), c.functionExists("nope_fn")]),
      c.listFunctions(undefined, "abs"),
      c.getFunction("abs"),
    ]);
    expect([db, catalog, catalogs, dbExists, tableExists, fnExists]).toEqual([
      PYSPARK.currentDatabase, PYSPARK.currentCatalog, PYSPARK.listCatalogs, PYSPARK.databaseExists, PYSPARK.tableExists, PYSPARK.functionExists,
    ]);
    // The warehouse location depends on the server's working directory.
    expect(dbs.map((d) => ({ ...d, locationUri: "-" }))).toEqual(PYSPARK.listDatabases.map((d) => ({ ...d, locationUri: "-" })));
    expect(tables.filter((t) => t.name === "cat_people")).toEqual(PYSPARK.listTables);
    expect(columns).toEqual(PYSPARK.listColumns);
    expect([fns, fn]).toEqual([PYSPARK.listFunctionsAbs, PYSPARK.getFunction]);
  });

  it("caches and uncaches a table, drops the view; names the cause of bad input", async () => {
    await spark.range(3).createOrReplaceTempView("cat_people");
    const c = spark.catalog;
    const before = await c.isCached("cat_people");
    await c.cacheTable("cat_people", StorageLevel.MEMORY_ONLY);
    const during = await c.isCached("cat_people");
    await c.uncacheTable("cat_people");
    const after = await c.isCached("cat_people");
    expect([before, during, after]).toEqual([PYSPARK.isCached0, PYSPARK.isCached1, PYSPARK.isCached2]);
    expect([await c.dropTempView("cat_people"), await c.dropTempView("cat_people")]).toEqual(PYSPARK.dropTempView);
    await expect(c.tableExists("")).rejects.toThrow(/tableName must be a non-empty string/);
    await expect(c.getDatabase("nope_db")).rejects.toThrow(/nope_db/);
  });
});
