// Git's own view of the tree: tracked files plus untracked-but-not-ignored ones (pre-commit edits).
import { execFile } from "node:child_process";
import { BundleError } from "../errors.js";
import { type WarningEvent } from "../events.js";

/** Variables that would point git at some other repository than the one containing root. */
const REPO_OVERRIDING_ENV = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX"];

/**
 * Paths (relative to root, forward slashes) that git lists under root: `git ls-files -z --cached
 * --others --exclude-standard`. Deleted-but-tracked files are still listed here; callers stat them.
 * Returns undefined when root is not inside a git work tree, or git cannot be used (then a warning
 * is reported) so the caller falls back to reading .gitignore files itself.
 */
export async function listGitFiles(root: string, warn: (w: WarningEvent) => void): Promise<string[] | undefined> {
  let stdout: Buffer;
  try {
    stdout = await execGit(root, ["-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderrText?: string };
    const stderr = e.stderrText ?? "";
    if (e.code === "ENOENT" && stderr === "") {
      warn({ type: "warning", code: "git-unavailable", message: "git is not installed; reading .gitignore files directly (global excludes and .git/info/exclude are not applied). Install git to use its exact view of the tree." });
      return undefined;
    }
    if (/not a git repository/i.test(stderr)) return undefined;
    if (/dubious ownership|safe\.directory/i.test(stderr)) {
      warn({ type: "warning", code: "git-unavailable", path: root, message: `git refuses to read the repository containing ${root} (it belongs to another user); reading .gitignore files directly. To use git's view, run: git config --global --add safe.directory <repo root>` });
      return undefined;
    }
    throw new BundleError("GIT_FAILED", `\`git ls-files\` failed in ${root}: ${stderr.trim() || e.message}. Fix the repository (try \`git status\` there), or set the \`root\` option to a directory outside it.`, { path: root, cause: err });
  }
  const paths = new Set<string>();
  for (const entry of stdout.toString("utf8").split("\0")) {
    // An untracked nested repository is listed as "dir/"; callers see it as a directory and warn.
    if (entry !== "") paths.add(entry.endsWith("/") ? entry.slice(0, -1) : entry);
  }
  return [...paths];
}

/**
 * What git ignores under root (for explaining a selection): paths relative to root, a wholly
 * ignored directory as one "dir/" entry. From `git status --ignored`, because `ls-files --ignored
 * --directory` skips ignored files inside untracked directories. Only called once listGitFiles worked there.
 */
export async function listGitIgnored(root: string): Promise<string[]> {
  let prefix: string;
  let stdout: Buffer;
  try {
    prefix = (await execGit(root, ["rev-parse", "--show-prefix"])).toString("utf8").trim();
    stdout = await execGit(root, ["status", "--porcelain=v1", "-z", "--ignored=traditional", "--untracked-files=normal", "--", "."]);
  } catch (err) {
    const stderr = (err as { stderrText?: string }).stderrText ?? "";
    throw new BundleError("GIT_FAILED", `\`git status --ignored\` failed in ${root}: ${stderr.trim() || (err as Error).message}. Fix the repository (try \`git status\` there).`, { path: root, cause: err });
  }
  const ignored: string[] = [];
  const entries = stdout.toString("utf8").split("\0");
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.startsWith("R") || entry.startsWith("C")) i++; // a rename/copy carries its source path next
    // Status paths are relative to the repository root; keep the ones under root, relative to it.
    if (entry.startsWith("!! ") && entry.slice(3).startsWith(prefix)) ignored.push(entry.slice(3 + prefix.length));
  }
  return ignored;
}

/** Runs git in root with this process's env minus repository overrides; rejects with stderrText attached. */
function execGit(root: string, args: string[], stdin?: string): Promise<Buffer> {
  const env = { ...process.env };
  for (const name of REPO_OVERRIDING_ENV) delete env[name];
  return new Promise<Buffer>((resolvePromise, reject) => {
    const child = execFile("git", args, { cwd: root, env, encoding: "buffer", maxBuffer: 1024 * 1024 * 1024, windowsHide: true }, (err, out, stderr) => {
      if (err) reject(Object.assign(err, { stderrText: stderr.toString("utf8") }));
      else resolvePromise(out);
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** Which ignore rule hides a path: the file (relative to root when inside it) and line, and the pattern. */
export interface IgnoreRule {
  path: string;
  source: string;
  line: number;
  pattern: string;
}

/**
 * The ignore rules (from .gitignore files, .git/info/exclude or the global excludes) that hide
 * `paths` (relative to root), by `git check-ignore -v`: so a warning about missing code can name the
 * line to change instead of guessing. Empty outside a git work tree or without git: only a hint.
 */
export async function ignoringRules(root: string, paths: string[]): Promise<IgnoreRule[]> {
  if (paths.length === 0) return [];
  let stdout: Buffer;
  try {
    stdout = await execGit(root, ["-c", "core.quotepath=off", "check-ignore", "-v", "-z", "--stdin"], paths.join("\0"));
  } catch (err) {
    // Exit 1: none of them is ignored. Anything else (no git, no repository) leaves the hint out.
    return [];
  }
  // -z -v: <source> NUL <line> NUL <pattern> NUL <path> NUL, per ignored path.
  const fields = stdout.toString("utf8").split("\0");
  const rules: IgnoreRule[] = [];
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const [source, line, pattern, path] = fields.slice(i, i + 4) as [string, string, string, string];
    if (source === "") continue; // a negated match: not ignored
    rules.push({ path, source, line: Number(line), pattern });
  }
  return rules;
}
