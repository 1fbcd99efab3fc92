// Python tracebacks from Spark's workers, made to read like the user's own: frames inside a bundle
// zip ("…/userFiles-…/pricetag-2be6f4690436.zip/pricetag/amounts.py") rewritten to the file on the
// user's disk (noting when the disk no longer holds the version that ran), frames inside a deps zip or
// native archive named by package and version, Spark's frames and spark-autobundle's own hidden, and the
// exception line first.
//
// errors.ts formats with it; what the bundle engine shipped comes from traceback-registry.ts, which it
// fills. Imports nothing else of connect/.
import type { FrameTarget, TracebackMapping } from "./traceback-registry.js";

export { registerBundleFiles, registerDependencies, registeredBundles } from "./traceback-registry.js";
export type { FrameTarget, ShippedFile, ShippedPackage, TracebackMapping } from "./traceback-registry.js";

const FRAME = /^(\s*)File "([^"\n]+)", line (\d+)(.*)$/;
// The last zip, or native-deps directory (an archive Spark unpacked), in a frame's path; then the path inside it.
const INSIDE = /^(?:.*[\\/])?([^\\/]+\.zip|sab-native-[0-9a-f]{12})[\\/](.+)$/;

/** Every `File "…zip/pkg/mod.py", line N` frame of a zip the mapping knows, pointed at what it maps to. */
export function rewriteTraceback(text: string, mapping: TracebackMapping): string {
  return text
    .split("\n")
    .map((line) => {
      const frame = FRAME.exec(line);
      const target = frame ? targetOf(frame[2]!, mapping) : undefined;
      return target ? frameLine(frame!, target) : line;
    })
    .join("\n");
}

function targetOf(file: string, mapping: TracebackMapping): FrameTarget | undefined {
  const inside = INSIDE.exec(file);
  const target = inside ? mapping(inside[1]!, inside[2]!.replaceAll("\\", "/")) : undefined;
  return typeof target === "string" ? { file: target } : target;
}

/** `  File "<target>", line N, in fn` plus, when the disk changed since, that note (after two spaces). */
function frameLine(frame: RegExpExecArray, target: FrameTarget): string {
  return `${frame[1]}File "${target.file}", line ${frame[3]}${frame[4]}${target.note ? `  (${target.note})` : ""}`;
}

// Frames no user edits: pyspark's worker (from pyspark.zip or a site-packages install), importlib's
// machinery (Python hides these itself for import errors), spark-autobundle's loader and overlay stub,
// and the code it compiles into a command under a "<spark-autobundle …>" name (foreach's wrappers).
const HIDDEN = /[\\/]pyspark[\\/]|^<frozen importlib\.|[\\/]_sab_loader_[0-9a-f]{12}\.py$|^<spark-autobundle [^>]+>$/;
const TRACEBACK_HEAD = "Traceback (most recent call last):";
// What Spark puts before the traceback: it says nothing the class name doesn't. 4.1 ends it with
// ". Please see the stack trace below." on a line of its own; 4.2 and 4.3 end it with ":" and start the
// traceback on the same line.
const BOILERPLATE = /^(\[PYTHON_EXCEPTION\] )?An exception was thrown from the Python worker(\. Please see the stack trace below\.|:)$/;
// 4.2 and 4.3 append the SQL state on a line of its own; the error carries it as sqlState.
const SQLSTATE_LINE = /^\s*SQLSTATE: [0-9A-Z]{5}\s*$/;

/**
 * A Python worker's failure as the message leads with it: the exception line(s) first, then the
 * traceback with the project's frames on disk and the frames nobody edits left out (counted). Text
 * with no traceback comes back with only its frames rewritten.
 */
export function formatPythonFailure(text: string, mapping: TracebackMapping): string {
  const lines = text
    .replace(/\s+$/, "")
    .split("\n")
    .flatMap((line) => (line.endsWith(TRACEBACK_HEAD) && line !== TRACEBACK_HEAD ? [line.slice(0, -TRACEBACK_HEAD.length).trim(), TRACEBACK_HEAD] : [line]))
    .filter((line) => !SQLSTATE_LINE.test(line));
  const start = lines.indexOf(TRACEBACK_HEAD);
  if (start < 0) return rewriteTraceback(text, mapping);
  const body: string[] = [];
  let hidden = 0;
  let afterFrames = 1;
  for (let i = start; i < lines.length; ) {
    const frame = FRAME.exec(lines[i]!);
    if (!frame) {
      body.push(lines[i]!);
      i++;
      continue;
    }
    // A frame is its File line plus the more deeply indented source and caret lines under it.
    let end = i + 1;
    while (end < lines.length && lines[end]!.startsWith(`${frame[1]}  `)) end++;
    const target = HIDDEN.test(frame[2]!) ? "hidden" : targetOf(frame[2]!, mapping);
    if (target === "hidden") hidden++;
    else if (!target) body.push(...lines.slice(i, end));
    else {
      body.push(frameLine(frame, target));
      // The worker prints the line it ran (zipimport and the overlay loader serve the shipped source):
      // kept as is. Only a frame printed without one gets it here, and only from a disk still identical.
      const source = end > i + 1 ? undefined : target.sourceLine?.(Number(frame[3]))?.trim();
      body.push(...(source ? [`${frame[1]}  ${source}`] : lines.slice(i + 1, end)));
    }
    i = end;
    afterFrames = body.length;
  }
  const exception = body.splice(afterFrames).join("\n").trim();
  const preamble = lines.slice(0, start).filter((line) => line.trim() !== "" && !BOILERPLATE.test(line.trim()));
  if (hidden > 0) body.push(`  (${hidden} frame${hidden === 1 ? "" : "s"} of Spark's worker and spark-autobundle's own code not shown: see err.pythonTraceback)`);
  return [exception || "Python exception", ...preamble, ...body].join("\n");
}

/** Whether the text carries a Python traceback. */
export function hasPythonTraceback(text: string): boolean {
  return text.includes(TRACEBACK_HEAD);
}
