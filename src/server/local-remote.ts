import { ConnectionStringError, parseLocalMaster } from "../connect/rpc/connection.js";

export type Cores = number | "*";

/**
 * `remote("local")` / `remote("local[N]")` / `remote("local[*]")` → the cores to run with (plain
 * "local": all, when a server is started); null for anything else (e.g. an `sc://` URL), which the
 * caller connects to as is. The parsing itself is the client's (parseLocalMaster), so the two agree.
 */
export function parseLocalRemote(remote: string): { cores: Cores } | null {
  let local: { cores?: Cores } | undefined;
  try {
    local = parseLocalMaster(remote);
  } catch (err) {
    if (!(err instanceof ConnectionStringError)) throw err;
    throw new RangeError(`Invalid local remote ${JSON.stringify(remote)}: ${err.fix}`, { cause: err });
  }
  return local ? { cores: local.cores ?? "*" } : null;
}

export function validateCores(cores: Cores | undefined): Cores {
  if (cores === undefined || cores === "*") return "*";
  if (!Number.isInteger(cores) || cores < 1) {
    throw new RangeError(`Invalid cores ${String(cores)}: use a whole number >= 1, or "*" for all cores.`);
  }
  return cores;
}
