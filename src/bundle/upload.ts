// The uploader moved to connect/rpc/artifacts-held.ts, so spark.addArtifacts (connect/) shares it.
export { heldMarker, uploadMissing, type ArtifactTransport, type PendingArtifact, type UploadCounters, type UploadMissingOptions } from "../connect/rpc/artifacts-held.js";
