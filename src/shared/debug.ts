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

/** Whether debug lines are on: all areas, or with `area` also `DEBUG=spark-autobundle:<area>` for that one alone. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env, area?: string): boolean {
  if (override !== undefined) return override;
  const legacy = env.SPARK_AUTOBUNDLE_DEBUG;
  if (legacy !== undefined && legacy !== "" && legacy !== "0") return true;
  const match = (pattern: string) => matches(pattern, area);
  return names(env.DEBUG).some(match) || names(env.NODE_DEBUG).some(match);
}

function names(list: string | undefined): string[] {
  return (list ?? "").split(/[\s,]+/).filter((n) => n !== "" && !n.startsWith("-"));
}

// "spark-autobundle", "spark-autobundle*", "spark-autobundle:*", "*": as `debug` and debuglog match;
// "spark-autobundle:timing" turns on that area alone.
function matches(pattern: string, area: string | undefined): boolean {
  const re = new RegExp(`^${pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`);
  return re.test(NAME) || re.test(`${NAME}:`) || (area !== undefined && re.test(`${NAME}:${area}`));
}

export interface DebugSink {
  env?: NodeJS.ProcessEnv;
  write?: (text: string) => void;
}

/** A logger for one area ("upload", "server", …): printf-style like util.debuglog, a no-op when off. */
export function debugLog(area: string, sink: DebugSink = {}): (message: string, ...args: unknown[]) => void {
  return (message, ...args) => {
    if (!debugEnabled(sink.env ?? process.env, area)) return;
    const line = `${NAME}:${area} ${format(message, ...args)}\n`;
    if (sink.write) sink.write(line);
    else process.stderr.write(line);
  };
}

const timingLog = debugLog("timing");

/**
 * Times one phase of a job for `DEBUG=spark-autobundle:timing`: a line "spark-autobundle:timing <phase>
 * <ms> ms, ended at <ms> ms" (the end since the process started, so phases that overlap can be laid on
 * one timeline). Costs one env check when off.
 */
export async function timed<T>(phase: string, work: () => Promise<T>): Promise<T> {
  if (!debugEnabled(process.env, "timing")) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    const ended = performance.now();
    timingLog("%s %s ms, ended at %s ms", phase, (ended - started).toFixed(1), ended.toFixed(1));
  }
}

/** A point in time for the timing lines (e.g. "imported"), since the process started. */
export function timingMark(event: string): void {
  if (debugEnabled(process.env, "timing")) timingLog("%s at %s ms", event, performance.now().toFixed(1));
}
