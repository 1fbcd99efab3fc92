// Command-line parsing shared by the verbs: node's parseArgs, with its errors turned into usage errors.
import { randomUUID } from "node:crypto";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError, type CliContext } from "./command.js";

/** Options every verb takes. */
export const COMMON_OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Options of the verbs that work on a project. */
export const PROJECT_OPTIONS = {
  root: { type: "string" },
  "cache-dir": { type: "string" },
} as const;

/** Options of the verbs that talk to a server. */
export const REMOTE_OPTIONS = {
  remote: { type: "string" },
  "session-id": { type: "string" },
} as const;

/** Help lines for REMOTE_OPTIONS. */
export const REMOTE_HELP = `  --remote URL       Spark Connect server: sc://host:port/;key=value, or "local" / "local[N]" for the
                     embedded server (started if needed). Default: $SPARK_REMOTE.
  --session-id UUID  The server-side session to use ("new" for a fresh one). Default: the URL's
                     ;session_id=, else a fresh one. Scripts connecting with the same session_id
                     (and user) share the session and the bundle it holds.`;

/** Strict parsing: unknown options and (unless allowed) positionals are usage errors. */
export function parseCommandArgs<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<{ strict: true } & T>> {
  try {
    return parseArgs({ strict: true, ...config });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

type VerbOptions = NonNullable<ParseArgsConfig["options"]> & typeof COMMON_OPTIONS;

/**
 * A verb's arguments: strict, options only. `undefined` means --help was given and `help` has been
 * printed, so the verb returns ExitCode.OK.
 */
export function parseVerbArgs<const O extends VerbOptions>(
  args: string[],
  options: O,
  help: string,
  context: CliContext,
): ReturnType<typeof parseArgs<{ strict: true; args: string[]; allowPositionals: true; options: O }>>["values"] | undefined {
  const { values, positionals } = parseCommandArgs({ args, allowPositionals: true, options });
  if ((values as { help?: boolean }).help) {
    context.stdout.write(`${help}\n`);
    return undefined;
  }
  rejectPositionals(positionals);
  return values;
}

function rejectPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** --session-id: a UUID as Spark Connect requires; "new" asks for a fresh one. */
export function parseSessionId(value: string): string {
  if (value === "new") return randomUUID();
  if (!UUID.test(value)) {
    throw new UsageError(`--session-id ${JSON.stringify(value)} is not a UUID: give one like 550e8400-e29b-41d4-a716-446655440000 (e.g. from \`uuidgen\`), or "new" for a fresh one`);
  }
  return value.toLowerCase();
}
