// Git's own view of the tree: tracked files plus untracked-but-not-ignored ones (pre-commit edits).
import { execFile } from "node:child_process";
import { BundleError, type WarningEvent } from "./options.js";

/** Variables that would point git at some other repository than the one containing root. */
const REPO_OVERRIDING_ENV = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX"];

/**
 * Paths (relative to root, forward slashes) that git lists under root: `git ls-files -z --cached
 * --others --exclude-standard`. Deleted-but-tracked files are still listed here; callers stat them.
 * Returns undefined when root is not inside a git work tree, or git cannot be used (then a warning
 * is reported) so the caller falls back to reading .gitignore files itself.
 */
export async function listGitFiles(root: string, warn: (w: WarningEvent) => void): Promise<string[] | undefined> {
  const env = { ...process.env };
  for (const name of REPO_OVERRIDING_ENV) delete env[name];
  let stdout: Buffer;
  try {
    stdout = await new Promise<Buffer>((resolvePromise, reject) => {
      execFile(
        "git",
        ["-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        { cwd: root, env, encoding: "buffer", maxBuffer: 1024 * 1024 * 1024, windowsHide: true },
        (err, out, stderr) => {
          if (err) reject(Object.assign(err, { stderrText: stderr.toString("utf8") }));
          else resolvePromise(out);
        },
      );
    });
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
