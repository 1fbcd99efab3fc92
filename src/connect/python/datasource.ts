import { create } from "@bufbuild/protobuf";
import { CommonInlineUserDefinedDataSourceSchema, PythonDataSourceSchema, type CommonInlineUserDefinedDataSource } from "../../gen/spark/connect/relations_pb.js";
import type { SessionCore } from "../core.js";
import type { DataFrame } from "../sql/dataframe/dataframe.js";
import { SparkConnectError } from "../errors.js";
import { runCommand, serverPredates } from "../sql/plans.js";
import { markPlaceholder, parseFunctionRef, type PythonFunctionRef, type UDFRegistration } from "./udf.js";

/** What the registration needs from its session. */
export interface DataSourceHost extends SessionCore {
  readonly version: string;
  readonly udf: UDFRegistration;
  range(end: number): DataFrame;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * spark.dataSource: Python data sources (pyspark.sql.datasource.DataSource subclasses) by reference.
 * Like SQL-registered UDFs, a registration holds the code of the bundle it was made with, so the
 * bundle hook registers each one again whenever the project's code changes.
 */
export class DataSourceRegistration {
  /** Registered sources by name, so a new bundle can register them again with fresh code. */
  readonly registered = new Map<string, CommonInlineUserDefinedDataSource>();

  constructor(private readonly host: DataSourceHost) {}

  /**
   * Registers `ref` ("pkg.mod:Source") for `spark.read.format(name)`. The name is the class's own
   * `name()`, asked of the workers with one tiny job (Spark checks that the two agree). Returns it.
   */
  async register(ref: string): Promise<string> {
    assertSupported(this.host.version, ref);
    if (!this.host.udf.pythonEnabled) {
      throw new SparkConnectError(`spark.dataSource.register("${ref}") needs the project's code on the cluster, and this session does not ship it.`, {
        errorClass: "AUTOBUNDLE_NOT_ENABLED",
        fix: "Wrap the session first: `const spark = withAutoBundle(await SparkSession.builder().getOrCreate())`.",
      });
    }
    const { module, qualname } = parseFunctionRef(ref);
    const name = await this.nameOf(ref);
    if (!NAME.test(name)) {
      throw new SparkConnectError(`The data source "${ref}" is named ${JSON.stringify(name)}, which spark.read.format() can't take.`, {
        errorClass: "INVALID_DATA_SOURCE_NAME",
        fix: "Return a plain identifier from its name() classmethod.",
      });
    }
    // The worker unpickles the DataSource class alone (pyspark's PythonDataSource.to_plan).
    const target: PythonFunctionRef = { ref, module, qualname, returnType: { type: "null" }, returnTypeJson: undefined };
    const source = create(CommonInlineUserDefinedDataSourceSchema, {
      name,
      dataSource: { case: "pythonDataSource", value: markPlaceholder(create(PythonDataSourceSchema, { command: new Uint8Array(0), pythonVer: "" }), target) },
    });
    await runCommand(this.host, { case: "registerDataSource", value: source });
    this.registered.set(name, source);
    return name;
  }

  /** The class's name() classmethod, run on a worker against the current bundle. */
  private async nameOf(ref: string): Promise<string> {
    const name = this.host.udf.python(`${ref}.name`, "string");
    const [row] = await this.host.range(1).select(name().alias("name")).collect();
    const value = (row as { name?: unknown } | undefined)?.name;
    if (typeof value !== "string") {
      throw new SparkConnectError(`${ref}.name() returned ${JSON.stringify(value)}, not a string.`, {
        errorClass: "INVALID_DATA_SOURCE_NAME",
        fix: "Make name() a classmethod returning the format name.",
      });
    }
    return value;
  }
}

/** Python data sources arrived in Spark 4.0; 3.5 servers don't know the command. */
function assertSupported(version: string, ref: string): void {
  if (serverPredates(version, "4.0")) {
    throw new SparkConnectError(`spark.dataSource.register("${ref}"): Python data sources need Spark 4.0+; this server runs Spark ${version}.`, {
      errorClass: "UNSUPPORTED_BY_SERVER_VERSION",
      messageParameters: { feature: "Python data sources", serverVersion: version, minimumVersion: "4.0" },
      fix: "Use a Spark 4 server, or read the data another way (e.g. a UDTF or mapInPandas).",
    });
  }
}
