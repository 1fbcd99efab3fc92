// The public entry of spark-autobundle. Subpath "spark-autobundle/server" holds the embedded server.
import { SparkSession } from "./connect/session.js";
import { embeddedReleaseHookOf, embeddedServerLauncher } from "./server/launcher.js";
import { timingMark } from "./shared/debug.js";

// remote("local") reaches the embedded server through the launcher port the client takes (connect/
// knows nothing of server/); this is the one place the two meet.
SparkSession.defaultLocalLauncher ??= embeddedServerLauncher;
SparkSession.defaultReleaseHookOf ??= embeddedReleaseHookOf;
// Every import above has been evaluated by now: DEBUG=spark-autobundle:timing shows what importing cost.
timingMark("imported");

export { SparkSession };
export type { PlanHook } from "./connect/session.js";
export type { AddArtifactsOptions } from "./connect/artifacts-api.js";
export { SparkSessionBuilder, type LocalServerLauncher, type LaunchedServer, type ServerFacts } from "./connect/builder.js";
export { RuntimeConfig } from "./connect/conf.js";
export { DataFrame } from "./connect/sql/dataframe/dataframe.js";
export { GroupedData } from "./connect/sql/grouped.js";
export { PandasCogroupedOps } from "./connect/sql/cogrouped.js";
export { DataFrameNaFunctions, type NaValue, type SubsetOptions, type DropNaOptions } from "./connect/sql/dataframe/na.js";
export { DataFrameStatFunctions, type Stratum } from "./connect/sql/dataframe/stat.js";
export { StorageLevel } from "./connect/sql/dataframe/storage.js";
export { Observation } from "./connect/sql/dataframe/observation.js";
export { CollectedMetrics, ExecutionInfo, type MetricValue, type ObservedMetrics, type PlanMetrics } from "./connect/sql/dataframe/observation.js";
export { TableArg } from "./connect/sql/column/subquery.js";
export { MergeIntoWriter, WhenMatched, WhenNotMatched, WhenNotMatchedBySource } from "./connect/sql/merge.js";
export { Catalog, type CatalogMetadata, type CatalogDatabase, type CatalogTable, type CatalogFunction, type CatalogColumn, type CreateTableOptions } from "./connect/sql/catalog.js";
export type { ActionOptions, CollectOptions } from "./connect/sql/dataframe/dataframe-actions.js";
export { DataFrameReader } from "./connect/sql/reader.js";
export { DataFrameWriter, DataFrameWriterV2 } from "./connect/sql/writer.js";
export { DataStreamReader, type StreamLoadOptions, type StreamFormatOptions } from "./connect/sql/streaming/reader.js";
export { DataStreamWriter, type TriggerOptions, type StartOptions } from "./connect/sql/streaming/writer.js";
export { StreamingQuery, type StreamingQueryStatus, type StreamingQueryProgress } from "./connect/sql/streaming/query.js";
export { StreamingQueryManager } from "./connect/sql/streaming/manager.js";
export { Column, col, type ColumnOrName } from "./connect/sql/column/column.js";
export * from "./connect/sql/column/functions.js";
export { Window, WindowSpec } from "./connect/sql/column/window.js";
export { Types, type SparkDataType, type StructType, type DataTypeInput } from "./connect/types/datatypes.js";
export { UDFRegistration, UserDefinedFunction } from "./connect/python/udf.js";
export { UDTFRegistration, UserDefinedTableFunction } from "./connect/python/udtf.js";
export { DataSourceRegistration } from "./connect/python/datasource.js";
export { SparkConnectError, type ErrorClassSource } from "./connect/errors.js";
export type { SessionLostPolicy } from "./connect/session-state.js";
export { parseConnectionString, resolveRemote, type ConnectionConfig } from "./connect/rpc/connection.js";
export { defaultRetryPolicy, type RetryPolicy } from "./connect/rpc/retry.js";
export { withAutoBundle, autoBundleOf, AutoBundle, type AutoBundleOptions, type AutoBundleEvent } from "./bundle/hook.js";
export { buildBundle, type BundleResult } from "./bundle/archive/build.js";
export { BundleError } from "./bundle/errors.js";
export { type BundleOptions } from "./bundle/options.js";
export { type BundleEvent } from "./bundle/events.js";
