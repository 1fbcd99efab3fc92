export type Cores = number | "*";

/**
 * `remote("local")` / `remote("local[N]")` / `remote("local[*]")` → the cores to run with;
 * null for anything else (e.g. an `sc://` URL), which the caller connects to as is.
 */
export function parseLocalRemote(remote: string): { cores: Cores } | null {
  const text = remote.trim();
  if (text === "local") return { cores: "*" };
  if (!text.startsWith("local[")) return null;
  const match = /^local\[(\*|\d+)\]$/.exec(text);
  const cores = match?.[1] === "*" ? "*" : Number(match?.[1]);
  if (!match || (cores !== "*" && cores < 1)) {
    throw new RangeError(
      `Invalid local remote ${JSON.stringify(remote)}: use "local", "local[*]" (all cores) or "local[N]" with N >= 1, e.g. "local[2]".`,
    );
  }
  return { cores };
}

export function validateCores(cores: Cores | undefined): Cores {
  if (cores === undefined || cores === "*") return "*";
  if (!Number.isInteger(cores) || cores < 1) {
    throw new RangeError(`Invalid cores ${String(cores)}: use a whole number >= 1, or "*" for all cores.`);
  }
  return cores;
}
