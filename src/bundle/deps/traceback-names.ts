// Tells the traceback formatter (connect/traceback-registry.ts) which packages a resolution ships, so
// a worker's frame inside the deps zip or the native archive reads "requests 2.32.3: requests/models.py".
// Called once per resolution (DepsShipper memoizes them), never per job.
import { dirname, join } from "node:path";
import { registerDependencies } from "../../connect/traceback-registry.js";
import type { DepsResolution } from "./resolve.js";
import { wheelsDir } from "./wheels.js";

export function registerShippedDeps<T extends DepsResolution>(resolution: T): T {
  const shipped = (native: boolean, zipPath: string) =>
    resolution.packages
      .filter((p) => p.shipped && Boolean(p.native) === native)
      // The stored wheel (deps/wheels/<sha256>.whl beside the zips) lists the package's files; read on
      // the first frame that needs it.
      .map((p) => ({ name: p.name, version: p.version, wheel: p.sha256 ? join(wheelsDir(dirname(zipPath)), `${p.sha256}.whl`) : undefined }));
  if (resolution.artifact && resolution.zipPath) registerDependencies(resolution.artifact, shipped(false, resolution.zipPath));
  if (resolution.native) registerDependencies(resolution.native.artifact, shipped(true, resolution.native.zipPath));
  return resolution;
}
