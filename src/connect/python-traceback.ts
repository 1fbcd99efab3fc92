// Python tracebacks from Spark's workers, made to read like the user's own: frames inside a bundle
// zip ("…/userFiles-…/pricetag-2be6f4690436.zip/pricetag/amounts.py") rewritten to the file on the
// user's disk, Spark's and the loader's own frames hidden, and the exception line first.
//
// A leaf (imports nothing of ours): errors.ts formats with it, and the bundle engine registers what it
// ships through registerBundleFiles. The registry is process-wide and keyed by the zip's file name, not
// by session: error objects are built where no session is known, the name is in the frame itself, and
// names are content-addressed, so one name means the same files whichever session shipped it.

/** Where a file inside a shipped zip lives on this machine; undefined when the zip isn't ours. */
export type TracebackMapping = (zipName: string, pathInZip: string) => string | undefined;

/** How many shipped zips are remembered: a watch session makes one per edit, and old ones stop failing. */
const REMEMBERED_ZIPS = 64;
const shipped = new Map<string, ReadonlyMap<string, string>>();

/**
 * Records that the zip artifact `artifactName` ("pyfiles/pricetag-2be6f4690436.zip") holds these files
 * (zip-relative path → absolute path on disk). An overlay zip registers every file of its version: the
 * worker reports each module inside the overlay, changed or not.
 */
export function registerBundleFiles(artifactName: string, files: Iterable<{ zipPath: string; absPath: string }>): void {
  const zipName = artifactName.slice(artifactName.lastIndexOf("/") + 1);
  shipped.delete(zipName);
  shipped.set(zipName, new Map([...files].map((f) => [f.zipPath, f.absPath])));
  for (const oldest of shipped.keys()) {
    if (shipped.size <= REMEMBERED_ZIPS) break;
    shipped.delete(oldest);
  }
}

/** The mapping of every zip registered in this process. */
export const registeredBundles: TracebackMapping = (zipName, pathInZip) => shipped.get(zipName)?.get(pathInZip);

const FRAME = /^(\s*)File "([^"\n]+)", line (\d+)(.*)$/;
const IN_ZIP = /^(?:.*[\\/])?([^\\/]+\.zip)[\\/](.+)$/;

/** Every `File "…zip/pkg/mod.py", line N` frame of a zip the mapping knows, pointed at the file on disk. */
export function rewriteTraceback(text: string, mapping: TracebackMapping): string {
  return text
    .split("\n")
    .map((line) => {
      const frame = FRAME.exec(line);
      if (!frame) return line;
      const local = localPath(frame[2]!, mapping);
      return local === undefined ? line : `${frame[1]}File "${local}", line ${frame[3]}${frame[4]}`;
    })
    .join("\n");
}

function localPath(file: string, mapping: TracebackMapping): string | undefined {
  const inZip = IN_ZIP.exec(file);
  return inZip ? mapping(inZip[1]!, inZip[2]!.replaceAll("\\", "/")) : undefined;
}

// Frames no user edits: pyspark's worker (from pyspark.zip or a site-packages install), importlib's
// machinery (Python hides these itself for import errors), and spark-autobundle's loader and overlay stub.
const HIDDEN = /[\\/]pyspark[\\/]|^<frozen importlib\.|[\\/]_sab_loader_[0-9a-f]{12}\.py$/;
const TRACEBACK_HEAD = "Traceback (most recent call last):";
// What pyspark puts before the traceback on some versions: it says nothing the class name doesn't.
const BOILERPLATE = /^(\[PYTHON_EXCEPTION\] )?An exception was thrown from the Python worker\. Please see the stack trace below\.$/;

/**
 * A Python worker's failure as the message leads with it: the exception line(s) first, then the
 * traceback with the project's frames on disk and the frames nobody edits left out (counted). Text
 * with no traceback comes back with only its frames rewritten.
 */
export function formatPythonFailure(text: string, mapping: TracebackMapping): string {
  const lines = text.replace(/\s+$/, "").split("\n");
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
    if (HIDDEN.test(frame[2]!)) hidden++;
    else body.push(rewriteTraceback(lines[i]!, mapping), ...lines.slice(i + 1, end));
    i = end;
    afterFrames = body.length;
  }
  const exception = body.splice(afterFrames).join("\n").trim();
  const preamble = lines.slice(0, start).filter((line) => line.trim() !== "" && !BOILERPLATE.test(line.trim()));
  if (hidden > 0) body.push(`  (${hidden} frame${hidden === 1 ? "" : "s"} of Spark's worker and spark-autobundle's loader not shown: see err.pythonTraceback)`);
  return [exception || "Python exception", ...preamble, ...body].join("\n");
}

/** Whether the text carries a Python traceback. */
export function hasPythonTraceback(text: string): boolean {
  return text.includes(TRACEBACK_HEAD);
}
