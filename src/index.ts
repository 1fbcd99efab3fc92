// The public entry of spark-autobundle. Subpath "spark-autobundle/server" holds the embedded server.
export { SparkSession, type PlanHook } from "./connect/session.js";
export { SparkSessionBuilder } from "./connect/builder.js";
export { RuntimeConfig } from "./connect/conf.js";
export { DataFrame } from "./connect/dataframe.js";
export { GroupedData } from "./connect/grouped.js";
export { DataFrameReader } from "./connect/reader.js";
export { DataFrameWriter, DataFrameWriterV2 } from "./connect/writer.js";
export { Column, col, type ColumnOrName } from "./connect/column.js";
export * from "./connect/functions.js";
export { Types, type SparkDataType, type StructType, type DataTypeInput } from "./connect/datatypes.js";
export { UDFRegistration, type UserDefinedFunction } from "./connect/udf.js";
export { UDTFRegistration, type UserDefinedTableFunction } from "./connect/udtf.js";
export { SparkConnectError } from "./connect/errors.js";
export { parseConnectionString, resolveRemote, type ConnectionConfig } from "./connect/connection.js";
export { defaultRetryPolicy, type RetryPolicy } from "./connect/retry.js";
export { withAutoBundle, autoBundleOf, AutoBundle, type AutoBundleOptions, type AutoBundleEvent } from "./bundle/hook.js";
export { buildBundle, type BundleResult } from "./bundle/build.js";
export { BundleError, type BundleOptions, type BundleEvent } from "./bundle/options.js";
