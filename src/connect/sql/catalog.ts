import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CatalogSchema } from "../../gen/spark/connect/catalog_pb.js";
import type { SessionCore } from "../core.js";
import { toProto, type DataTypeInput } from "../types/datatypes.js";
import { parseTypeString } from "../types/typestring.js";
import { collectRows } from "./dataframe/dataframe-actions.js";
import { DataFrame } from "./dataframe/dataframe.js";
import { newRelation, tableRelation } from "./plans.js";
import { StorageLevel } from "./dataframe/storage.js";
import { UDFRegistration, type UserDefinedFunction } from "../python/udf.js";
import { SparkConnectError } from "../errors.js";

type CatType = NonNullable<MessageInitShape<typeof CatalogSchema>["catType"]>;

/** pyspark's CatalogMetadata. */
export interface CatalogMetadata {
  name: string;
  description: string | null;
}
/** pyspark's Database (named apart from other Database types). */
export interface CatalogDatabase {
  name: string;
  catalog: string | null;
  description: string | null;
  locationUri: string;
}
/** pyspark's Table (named apart from Arrow's Table). */
export interface CatalogTable {
  name: string;
  catalog: string | null;
  namespace: string[] | null;
  description: string | null;
  tableType: string;
  isTemporary: boolean;
}
/** pyspark's Function (named apart from JS's Function). */
export interface CatalogFunction {
  name: string;
  catalog: string | null;
  namespace: string[] | null;
  description: string | null;
  className: string;
  isTemporary: boolean;
}
/** pyspark's Column (of listColumns). `isCluster` is false on Spark 3.5, which has no clustering. */
export interface CatalogColumn {
  name: string;
  description: string | null;
  dataType: string;
  nullable: boolean;
  isPartition: boolean;
  isBucket: boolean;
  isCluster: boolean;
}

export interface CreateTableOptions {
  path?: string;
  /** The data source, e.g. "parquet" (default: spark.sql.sources.default). */
  source?: string;
  /** A struct type or DDL ("id INT, name STRING"). */
  schema?: DataTypeInput;
  description?: string;
  /** Data source options (pyspark's **options). */
  options?: Record<string, string>;
}

/**
 * `spark.catalog`: databases, tables, functions and caching (pyspark's Catalog). Every call is one job whose
 * rows are the answer (a Catalog relation), so every method returns a Promise.
 */
export class Catalog {
  /** @internal Use spark.catalog. */
  constructor(private readonly core: SessionCore) {}

  async currentCatalog(): Promise<string> {
    return (await this.cell({ case: "currentCatalog", value: {} })) as string;
  }
  async setCurrentCatalog(catalogName: string): Promise<void> {
    await this.rows({ case: "setCurrentCatalog", value: { catalogName: name("catalogName", catalogName) } });
  }
  async listCatalogs(pattern?: string): Promise<CatalogMetadata[]> {
    return (await this.rows({ case: "listCatalogs", value: { pattern: optional("pattern", pattern) } })).map(([n, d]) => ({ name: n, description: d }) as CatalogMetadata);
  }

  async currentDatabase(): Promise<string> {
    return (await this.cell({ case: "currentDatabase", value: {} })) as string;
  }
  async setCurrentDatabase(dbName: string): Promise<void> {
    await this.rows({ case: "setCurrentDatabase", value: { dbName: name("dbName", dbName) } });
  }
  async listDatabases(pattern?: string): Promise<CatalogDatabase[]> {
    return (await this.rows({ case: "listDatabases", value: { pattern: optional("pattern", pattern) } })).map(database);
  }
  async getDatabase(dbName: string): Promise<CatalogDatabase> {
    return database(await this.row({ case: "getDatabase", value: { dbName: name("dbName", dbName) } }));
  }
  async databaseExists(dbName: string): Promise<boolean> {
    return (await this.cell({ case: "databaseExists", value: { dbName: name("dbName", dbName) } })) as boolean;
  }

  async listTables(dbName?: string, pattern?: string): Promise<CatalogTable[]> {
    return (await this.rows({ case: "listTables", value: { dbName: optional("dbName", dbName), pattern: optional("pattern", pattern) } })).map(table);
  }
  async getTable(tableName: string): Promise<CatalogTable> {
    return table(await this.row({ case: "getTable", value: { tableName: name("tableName", tableName) } }));
  }
  async tableExists(tableName: string, dbName?: string): Promise<boolean> {
    return (await this.cell({ case: "tableExists", value: { tableName: name("tableName", tableName), dbName: optional("dbName", dbName) } })) as boolean;
  }
  async listColumns(tableName: string, dbName?: string): Promise<CatalogColumn[]> {
    const rows = await this.rows({ case: "listColumns", value: { tableName: name("tableName", tableName), dbName: optional("dbName", dbName) } });
    return rows.map(([n, description, dataType, nullable, isPartition, isBucket, isCluster]) => ({
      name: n,
      description,
      dataType,
      nullable,
      isPartition,
      isBucket,
      isCluster: isCluster ?? false,
    }) as CatalogColumn);
  }

  async listFunctions(dbName?: string, pattern?: string): Promise<CatalogFunction[]> {
    return (await this.rows({ case: "listFunctions", value: { dbName: optional("dbName", dbName), pattern: optional("pattern", pattern) } })).map(fn);
  }
  /**
   * Deprecated alias of `spark.udf.register` (as in pyspark): makes `f` callable from SQL as `name`. `f` is
   * a UDF, or a "module:function" reference made into a row-at-a-time UDF returning `returnType` ("string" by default).
   */
  async registerFunction(name: string, f: UserDefinedFunction | string, returnType?: DataTypeInput): Promise<UserDefinedFunction> {
    const registration = (this.core as { udf?: unknown }).udf;
    if (!(registration instanceof UDFRegistration)) throw new SparkConnectError("catalog.registerFunction needs a SparkSession's spark.udf.", { fix: "Call spark.udf.register(name, udf)." });
    if (typeof f !== "string" && returnType !== undefined) {
      throw new SparkConnectError(`catalog.registerFunction("${name}", udf, returnType): a UDF already has its return type.`, {
        errorClass: "CANNOT_SPECIFY_RETURN_TYPE_FOR_UDF",
        fix: "Leave out returnType, or pass a \"module:function\" reference instead of the UDF.",
      });
    }
    const udf = typeof f === "string" ? registration.python(f, returnType ?? "string") : f;
    return registration.register(name, udf);
  }
  async getFunction(functionName: string): Promise<CatalogFunction> {
    return fn(await this.row({ case: "getFunction", value: { functionName: name("functionName", functionName) } }));
  }
  async functionExists(functionName: string, dbName?: string): Promise<boolean> {
    return (await this.cell({ case: "functionExists", value: { functionName: name("functionName", functionName), dbName: optional("dbName", dbName) } })) as boolean;
  }

  /** Creates a table (managed, or external with `path`) and returns a DataFrame reading it. */
  async createTable(tableName: string, options: CreateTableOptions = {}): Promise<DataFrame> {
    const { path, source, schema, description, options: sourceOptions = {} } = options;
    const type = schema === undefined ? undefined : typeof schema === "string" ? parseTypeString(schema) : toProto(schema);
    await this.rows({
      case: "createTable",
      value: { tableName: name("tableName", tableName), path, source, description, schema: type, options: { ...sourceOptions } },
    });
    return new DataFrame(this.core, tableRelation(this.core, tableName));
  }
  /** Deprecated in pyspark since 4.0: createTable. */
  createExternalTable(tableName: string, options: CreateTableOptions = {}): Promise<DataFrame> {
    return this.createTable(tableName, options);
  }
  /** True when the view existed. */
  async dropTempView(viewName: string): Promise<boolean> {
    return (await this.cell({ case: "dropTempView", value: { viewName: name("viewName", viewName) } })) as boolean;
  }
  async dropGlobalTempView(viewName: string): Promise<boolean> {
    return (await this.cell({ case: "dropGlobalTempView", value: { viewName: name("viewName", viewName) } })) as boolean;
  }
  async recoverPartitions(tableName: string): Promise<void> {
    await this.rows({ case: "recoverPartitions", value: { tableName: name("tableName", tableName) } });
  }

  async isCached(tableName: string): Promise<boolean> {
    return (await this.cell({ case: "isCached", value: { tableName: name("tableName", tableName) } })) as boolean;
  }
  async cacheTable(tableName: string, storageLevel?: StorageLevel): Promise<void> {
    if (storageLevel !== undefined && !(storageLevel instanceof StorageLevel)) throw new TypeError("cacheTable(tableName, storageLevel): pass a StorageLevel such as StorageLevel.MEMORY_ONLY.");
    await this.rows({ case: "cacheTable", value: { tableName: name("tableName", tableName), storageLevel: storageLevel?.toProto() } });
  }
  async uncacheTable(tableName: string): Promise<void> {
    await this.rows({ case: "uncacheTable", value: { tableName: name("tableName", tableName) } });
  }
  async clearCache(): Promise<void> {
    await this.rows({ case: "clearCache", value: {} });
  }
  async refreshTable(tableName: string): Promise<void> {
    await this.rows({ case: "refreshTable", value: { tableName: name("tableName", tableName) } });
  }
  async refreshByPath(path: string): Promise<void> {
    await this.rows({ case: "refreshByPath", value: { path: name("path", path) } });
  }

  private async rows(catType: CatType): Promise<unknown[][]> {
    const relation = newRelation(this.core, { case: "catalog", value: { catType } });
    return (await collectRows(this.core, relation, { rowsAs: "array" })) as unknown[][];
  }
  private async row(catType: CatType): Promise<unknown[]> {
    const [first] = await this.rows(catType);
    if (!first) throw new Error(`spark.catalog.${catType.case}: the server answered with no row.`);
    return first;
  }
  private async cell(catType: CatType): Promise<unknown> {
    return (await this.row(catType))[0];
  }
}

function name(what: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new TypeError(`spark.catalog: ${what} must be a non-empty string, got ${JSON.stringify(value)}.`);
  return value;
}

function optional(what: string, value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : name(what, value);
}

const database = ([n, catalog, description, locationUri]: unknown[]) => ({ name: n, catalog, description, locationUri }) as CatalogDatabase;
const table = ([n, catalog, namespace, description, tableType, isTemporary]: unknown[]) =>
  ({ name: n, catalog, namespace, description, tableType, isTemporary }) as CatalogTable;
const fn = ([n, catalog, namespace, description, className, isTemporary]: unknown[]) =>
  ({ name: n, catalog, namespace, description, className, isTemporary }) as CatalogFunction;
