// Finding the project root: explicit root, else walk up from the calling module to a project marker.
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { BundleError } from "../errors.js";
import { CONFIG_FIELD } from "../defaults.js";
import { ownCodeDirectories as sharedOwnCodeDirectories } from "../../shared/package-root.js";

export const PROJECT_MARKERS = ["package.json", "pyproject.toml", "setup.py", "setup.cfg", ".git"] as const;

/** Accepts a plain path or a file:// URL (what import.meta.url and ESM stack frames give). */
export function toFilePath(pathOrUrl: string): string {
  return pathOrUrl.startsWith("file:") ? fileURLToPath(pathOrUrl) : resolve(pathOrUrl);
}

export function findProjectRoot(opts: { root?: string; callerFile?: string }): string {
  if (opts.root !== undefined) {
    const root = toFilePath(opts.root);
    if (!isDirectory(root)) {
      throw new BundleError("ROOT_NOT_FOUND", `The bundle root ${root} is not a directory. Point the \`root\` option (or "${CONFIG_FIELD}.root" in package.json) at your project directory.`, { path: root });
    }
    return refuseWholeTree(root, "is");
  }
  const start = startDirectory(opts.callerFile);
  for (let dir = start; ; dir = dirname(dir)) {
    if (PROJECT_MARKERS.some((marker) => existsSync(join(dir, marker)))) return refuseWholeTree(dir, "was found at");
    if (dirname(dir) === dir) break;
  }
  throw new BundleError(
    "ROOT_NOT_FOUND",
    `No project root found: looked for ${PROJECT_MARKERS.join(", ")} in ${start} and every parent directory. ` +
      `Fix: pass the \`root\` option (e.g. { root: "/path/to/project" }), or add a package.json (optionally with ` +
      `"${CONFIG_FIELD}": { "root": "relative/path" }) or a pyproject.toml to your project directory.`,
    { path: start },
  );
}

/**
 * A file system root or a home directory is never a project: bundling it would walk /proc or every
 * dotfile (and fail on some unreadable one with advice that fixes nothing). Said plainly instead.
 */
function refuseWholeTree(root: string, how: "is" | "was found at"): string {
  const what = dirname(root) === root ? "the file system root" : resolve(root) === resolve(homeDirectory()) ? "your home directory" : undefined;
  if (what === undefined) return root;
  const found = how === "is" ? "" : ` (the nearest ${PROJECT_MARKERS.join(", ")} above the calling file is there)`;
  throw new BundleError(
    "BAD_CONFIG",
    `The project root ${how} ${root}, ${what}${found}: spark-autobundle won't bundle a whole ${what === "your home directory" ? "home directory" : "file system"}. ` +
      `Fix: set the \`root\` option (e.g. { root: "/path/to/project" }) or "${CONFIG_FIELD}.root" in the project's package.json to the directory holding your Python code, ` +
      `or add a package.json or pyproject.toml to that directory so it is found first.`,
    { path: root },
  );
}

function startDirectory(callerFile: string | undefined): string {
  if (callerFile === undefined) return process.cwd();
  const path = toFilePath(callerFile);
  return isDirectory(path) ? path : dirname(path);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw err;
  }
}

let ownDirsMemo: string[] | undefined;

/** This package's own code lives in <package>/src or <package>/dist; frames there are not "the caller". */
export function ownCodeDirectories(): string[] {
  ownDirsMemo ??= sharedOwnCodeDirectories();
  return ownDirsMemo;
}

/**
 * The file of the first stack frame outside this package (and outside node internals and
 * node_modules: test runners and loaders such as vitest/tsx live there), after skipping
 * `skipFrames` extra frames. undefined when no such frame exists (REPL, eval).
 */
export function callerFileFromStack(skipFrames = 0): string | undefined {
  const files = stackFileNames(callerFileFromStack);
  const own = ownCodeDirectories();
  let toSkip = skipFrames;
  for (const name of files) {
    const path = frameFileToPath(name);
    if (path === undefined) continue;
    if (own.some((dir) => path.startsWith(dir))) continue;
    if (path.includes(`${sep}node_modules${sep}`)) continue;
    if (toSkip > 0) {
      toSkip--;
      continue;
    }
    return path;
  }
  return undefined;
}

/** File names of the current stack above `below`, via V8 CallSites, else by parsing the text form. */
function stackFileNames(below: Function): string[] {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = 100;
    Error.prepareStackTrace = (_err, callSites) => callSites;
    Error.captureStackTrace(holder, below);
    const sites = holder.stack;
    if (Array.isArray(sites) && sites.every((s) => typeof (s as NodeJS.CallSite)?.getFileName === "function")) {
      return (sites as NodeJS.CallSite[]).map((site) => site.getFileName() ?? "").filter((name) => name !== "");
    }
    // Some runners (vitest) keep their own prepareStackTrace in charge: parse the text instead.
    const text = typeof sites === "string" ? sites : (new Error().stack ?? "");
    return text
      .split("\n")
      .map(fileFromStackLine)
      .filter((name): name is string => name !== undefined);
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}

/** Maps a CallSite file name to an absolute path; undefined for node internals, eval and the like. */
export function frameFileToPath(name: string): string | undefined {
  if (name.startsWith("file:")) return fileURLToPath(name);
  if (name.startsWith("node:") || name.startsWith("internal/") || name.startsWith("data:")) return undefined;
  if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name) || name.startsWith("\\\\")) return name;
  return undefined;
}

/**
 * The file part of one V8 stack line: "    at fn (file:///a/b.ts:3:5)", "    at /a/b.js:3:5",
 * "    at async fn (C:\\a\\b.js:1:2)", "    at new X (/a b/c.js:1:2)". undefined for other lines.
 */
export function fileFromStackLine(line: string): string | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("at ")) return undefined;
  const inParens = /\((.*):\d+:\d+\)$/.exec(trimmed);
  const bare = /^at (?:async )?(.*):\d+:\d+$/.exec(trimmed);
  const location = inParens?.[1] ?? bare?.[1];
  return location === undefined ? undefined : frameFileToPath(location);
}

/**
 * $HOME as this thread sees it, else the OS's answer: os.homedir() reads the process's environment, which
 * a worker thread's process.env (a copy) doesn't change. The same value on the main thread.
 */
function homeDirectory(): string {
  return process.env.HOME || homedir();
}
