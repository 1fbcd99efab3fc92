// The library's debug lines, on stderr as "spark-autobundle:<area> <text>". One switch, the
// conventions users already know: DEBUG=spark-autobundle (the `debug` package's), NODE_DEBUG=
// spark-autobundle (node's util.debuglog), or the older SPARK_AUTOBUNDLE_DEBUG=1; the CLI's
// --verbose sets the override. Checked per call, not once at load, so a test or the CLI can turn it on.
import { format } from "node:util";

const NAME = "spark-autobundle";
let override: boolean | undefined;

/** The CLI's --verbose (true) or --quiet (false); undefined hands the choice back to the environment. */
export function setDebugOverride(value: boolean | undefined): void {
  override = value;
}

export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (override !== undefined) return override;
  const legacy = env.SPARK_AUTOBUNDLE_DEBUG;
  if (legacy !== undefined && legacy !== "" && legacy !== "0") return true;
  return names(env.DEBUG).some(matches) || names(env.NODE_DEBUG).some(matches);
}

function names(list: string | undefined): string[] {
  return (list ?? "").split(/[\s,]+/).filter((n) => n !== "" && !n.startsWith("-"));
}

// "spark-autobundle", "spark-autobundle*", "spark-autobundle:*", "*": as `debug` and debuglog match.
function matches(pattern: string): boolean {
  const re = new RegExp(`^${pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`);
  return re.test(NAME) || re.test(`${NAME}:`);
}

export interface DebugSink {
  env?: NodeJS.ProcessEnv;
  write?: (text: string) => void;
}

/** A logger for one area ("upload", "server", …): printf-style like util.debuglog, a no-op when off. */
export function debugLog(area: string, sink: DebugSink = {}): (message: string, ...args: unknown[]) => void {
  return (message, ...args) => {
    if (!debugEnabled(sink.env ?? process.env)) return;
    const line = `${NAME}:${area} ${format(message, ...args)}\n`;
    if (sink.write) sink.write(line);
    else process.stderr.write(line);
  };
}
