// spark.addArtifacts / addArtifact / copyFromLocalToFs, as pyspark's SparkSession has them.
//
// pyspark names an artifact after the file (files/data.txt, pyfiles/mod.py, archives/a.zip#dir). Spark
// puts files, pyfiles and unpacked archives by that base name in one per-session directory, and can't
// replace one: a second data.txt with other bytes is refused (ARTIFACT_ALREADY_EXISTS) or, sent under
// another name, accepted and then fails every task that fetches it ("exists and does not match
// contents", measured on 4.1.4). So here:
// - the server-side name is content-addressed (`files/<sha12>/data.txt`): the workers still see
//   `data.txt` (Spark keeps only the base name), and a held name always means these exact bytes, which
//   is what the shared uploader (rpc/artifacts-held.ts: held-markers, one stream, hash-checked) assumes;
// - the session remembers which bytes each visible name holds: the same file again costs nothing, a
//   changed one is refused before anything is sent, naming both files;
// - names the auto-bundle uses (sab-*, _sab_*, <project>-<hash12>.zip) are refused;
// - after the server-side session changes (a restart), a plan hook sends them again before the next
//   job, checked against the bytes first added, as the bundle hook does for its code.
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { addArtifacts } from "./rpc/artifacts.js";
import { uploadMissing, type ArtifactTransport, type PendingArtifact, type UploadCounters } from "./rpc/artifacts-held.js";
import type { SessionChange } from "./rpc/client.js";
import { GrpcCode, SparkConnectError } from "./errors.js";
import { debugLog } from "../shared/debug.js";

const debug = debugLog("artifacts");

/** pyspark's keyword arguments; at most one may be true. With none, only a `.jar` is accepted. */
export interface AddArtifactsOptions {
  pyfile?: boolean;
  archive?: boolean;
  file?: boolean;
}

/** What spark.addArtifacts needs of a session (SparkSession fits). */
export interface ArtifactSessionPort {
  readonly client: ArtifactTransport;
  onSessionChange(listener: (change: SessionChange) => void): () => void;
  addPlanHook(hook: (kind: "execute" | "analyze", message: object) => Promise<void>): () => void;
}

export type ArtifactKind = "pyfile" | "archive" | "file" | "jar";

/** One parsed path: what kind, where it shows on the workers, and under which name it is sent. */
export interface ArtifactTarget {
  kind: ArtifactKind;
  /** The local file. */
  path: string;
  /** What the workers see: the file's base name (files, pyfiles), the archive's directory, the jar's name. */
  visible: string;
  /** The server-side name, e.g. "files/0123456789ab/data.txt" or "archives/0123456789ab/a.zip#dir". */
  name: string;
}

const PYFILE_SUFFIXES = [".py", ".zip", ".egg", ".jar"];
const ARCHIVE_SUFFIXES = [".zip", ".jar", ".tar.gz", ".tgz", ".tar"];

/** Splits pyspark's `path#fragment` (archives only: elsewhere `#` is part of the file name) and resolves the path. */
export function parseArtifactPath(spec: string, archive: boolean): { path: string; fragment?: string } {
  let text = spec;
  let fragment: string | undefined;
  if (/^[a-z][a-z0-9+.-]+:/i.test(text) && !/^[a-z]:[\\/]/i.test(text)) {
    if (!text.startsWith("file:")) {
      throw badInput(`Cannot add ${spec}: only local files (a path or a file: URL) can be added, not ${text.split(":")[0]}: URLs.`, "Download the file first, then add its local path.");
    }
    const url = new URL(text);
    if (archive && url.hash) fragment = decodeURIComponent(url.hash.slice(1));
    url.hash = "";
    text = fileURLToPath(url);
  } else if (archive && text.includes("#")) {
    const at = text.lastIndexOf("#");
    fragment = text.slice(at + 1);
    text = text.slice(0, at);
  }
  if (fragment !== undefined && text.includes("#")) {
    throw badInput(`Cannot add archive ${spec}: "#" separates the archive from its directory name, so the file name can't contain one too.`, "Rename the archive so that its name has no \"#\".");
  }
  if (fragment === "") fragment = undefined;
  if (fragment !== undefined && (fragment.includes("/") || fragment.includes("\\") || fragment === "." || fragment === "..")) {
    throw badInput(`Cannot add archive ${spec}: the directory name "${fragment}" after "#" must be a plain name.`, "Use a name without slashes, e.g. archive.zip#mydata.");
  }
  return { path: path.resolve(text), fragment };
}

/** pyspark's rules (client/artifact.py _parse_artifacts) for which kind a path becomes. */
export function artifactTarget(spec: string, options: AddArtifactsOptions, sha256: string): ArtifactTarget {
  const { path: file, fragment } = parseArtifactPath(spec, options.archive === true);
  const base = path.basename(file);
  const id = sha256.slice(0, 12);
  const endsWith = (suffixes: string[]) => suffixes.some((s) => base.toLowerCase().endsWith(s));
  let target: ArtifactTarget;
  if (options.pyfile && endsWith(PYFILE_SUFFIXES)) target = { kind: "pyfile", path: file, visible: base, name: `pyfiles/${id}/${base}` };
  else if (options.archive && endsWith(ARCHIVE_SUFFIXES)) {
    const dir = fragment ?? base; // Spark's own default: the archive's file name
    target = { kind: "archive", path: file, visible: dir, name: `archives/${id}/${base}#${dir}` };
  } else if (options.file) target = { kind: "file", path: file, visible: base, name: `files/${id}/${base}` };
  else if (endsWith([".jar"])) target = { kind: "jar", path: file, visible: base, name: `jars/${base.slice(0, -4)}-${id}.jar` };
  else {
    const wanted = options.pyfile ? `pyfile: ${PYFILE_SUFFIXES.join(", ")}` : options.archive ? `archive: ${ARCHIVE_SUFFIXES.join(", ")}` : "no option: .jar";
    throw badInput(
      `Cannot add ${file}: its file format is not supported (${wanted}).`,
      "Pass { file: true } to ship any file (read it on the workers with SparkFiles.get), { pyfile: true } for .py/.zip/.egg, or { archive: true } for .zip/.tar.gz/.tgz/.tar.",
      "UNSUPPORTED_OPERATION",
    );
  }
  refuseReserved(target);
  return target;
}

// The auto-bundle's names (bundle/overlay.ts pyfileArtifact, bundle/deps/wheels.ts, bundle/worker/loader.ts):
// a user file under one would shadow or be swept away by the loader, which treats them as its own versions.
const RESERVED = [/^_?sab[-_]/i, /-[0-9a-f]{12}\.zip$/i];

function refuseReserved(target: ArtifactTarget): void {
  if (target.kind === "jar" || !RESERVED.some((re) => re.test(target.visible))) return;
  throw badInput(
    `Cannot add ${target.path} as "${target.visible}": names starting with sab- or _sab_, and zips named <name>-<12 hex digits>.zip, are the auto-bundle's own.`,
    "Rename the file (or pick another directory name after # for an archive).",
    "ARTIFACT_NAME_RESERVED",
  );
}

interface Held {
  target: ArtifactTarget;
  sha256: string;
}

/** What one SparkSession was sent through addArtifacts, and the re-send on a new server-side session. */
export class SessionArtifacts {
  /** By visible name (jars apart, they live in the class loader, not the files directory). */
  private readonly byVisible = new Map<string, Held>();
  /** Server-side names this server-side session holds (cleared when it changes). */
  private readonly held = new Set<string>();
  private readonly counters: UploadCounters = { uploads: 0, bytes: 0, artifacts: 0 };
  private hooked = false;

  constructor(private readonly session: ArtifactSessionPort) {}

  /** Bytes and streams spent so far (tests assert on these). */
  get uploadCounters(): Readonly<UploadCounters> {
    return this.counters;
  }

  async add(paths: string[], options: AddArtifactsOptions): Promise<void> {
    const chosen = [options.pyfile, options.archive, options.file].filter(Boolean).length;
    if (chosen > 1) throw badInput("addArtifacts takes at most one of pyfile, archive and file.", "Add each kind in its own call.", "INVALID_MULTIPLE_ARGUMENT_CONDITIONS");
    if (paths.length === 0) throw badInput("addArtifacts needs at least one path.", "Pass the files to add: spark.addArtifacts(\"data.txt\", { file: true }).");
    const added: Held[] = [];
    for (const spec of paths) {
      const file = parseArtifactPath(spec, options.archive === true).path;
      const sha256 = await fileSha256(file);
      const target = artifactTarget(spec, options, sha256);
      const key = slot(target);
      const earlier = this.byVisible.get(key) ?? added.find((h) => slot(h.target) === key);
      if (earlier && earlier.sha256 === sha256 && earlier.target.name === target.name) continue;
      if (earlier) throw clash(target, earlier);
      added.push({ target, sha256 });
    }
    this.hookOnce();
    await this.upload(added);
    for (const h of added) this.byVisible.set(slot(h.target), h);
  }

  /** pyspark's copyFromLocalToFs: the server writes the file to `dest` on its file system (Hadoop's). */
  async copyFromLocalToFs(localPath: string, destPath: string): Promise<void> {
    if (/^[a-z][a-z0-9+.-]+:/i.test(destPath)) {
      throw badInput(`copyFromLocalToFs: ${destPath} has a scheme; the destination is a path on the server's default file system.`, "Pass an absolute path without a scheme, e.g. /data/input.csv.", "NO_SCHEMA_AND_DRIVER_DEFAULT_SCHEME");
    }
    if (!destPath.startsWith("/")) throw badInput(`copyFromLocalToFs: the destination ${destPath} must be an absolute path.`, "Start it with /, e.g. /data/input.csv.");
    const local = path.resolve(localPath);
    await fileSha256(local); // names a missing file or a directory before anything is sent
    try {
      await addArtifacts(this.session.client, [{ name: `forward_to_fs${destPath}`, path: local }]);
    } catch (err) {
      // Spark refuses a local-disk destination unless the server was started allowing it (a static conf).
      // 4.x says so; 3.5 fails the stream with a bare UNKNOWN (no class, no message), so that is hedged.
      if (!(err instanceof SparkConnectError)) throw err;
      const said = /local file system destination path is not supported/i.test(err.message);
      const bare = err.errorClass === undefined && err.grpcCode === GrpcCode.UNKNOWN && err.exceptionClasses.length === 0;
      if (said || bare) {
        const why = said ? "the server's default file system is its local disk, where Spark refuses to write uploads by default" : "the server refused it without saying why (Spark 3.5 sends no reason; the usual one is a destination on its local disk, which Spark refuses by default; its log has the exception)";
        throw new SparkConnectError(`copyFromLocalToFs(${local}, ${destPath}): ${why}.`, {
          errorClass: "COPY_TO_LOCAL_FS_DISABLED",
          fix: "Start the server with --conf spark.connect.copyFromLocalToFs.allowDestLocal=true (a static conf; for the embedded server: ensureLocalServer({ sparkConf: { \"spark.connect.copyFromLocalToFs.allowDestLocal\": \"true\" } })), or copy to a distributed file system path.",
          cause: err,
        });
      }
      throw err;
    }
  }

  private async upload(items: Held[]): Promise<void> {
    if (items.length === 0) return;
    const pending: PendingArtifact[] = items.map((h) => ({ name: h.target.name, path: h.target.path, sha256: h.sha256 }));
    const sent = await uploadMissing(this.session.client, this.held, pending, this.counters);
    debug("addArtifacts: sent %s", sent.length ? sent.join(", ") : "nothing (the session holds them)");
  }

  private hookOnce(): void {
    if (this.hooked) return;
    this.hooked = true;
    this.session.onSessionChange(() => this.held.clear());
    // A new server-side session holds none of them: send them again before its first job.
    this.session.addPlanHook(async () => {
      const missing = [...this.byVisible.values()].filter((h) => !this.held.has(h.target.name));
      if (missing.length > 0) await this.upload(missing);
    });
  }
}

/** Files, pyfiles and archive directories share the workers' per-session directory; jars their own loader. */
function slot(target: ArtifactTarget): string {
  return target.kind === "jar" ? `jar:${target.visible}` : `dir:${target.visible}`;
}

function clash(target: ArtifactTarget, earlier: Held): SparkConnectError {
  const what = target.kind === "archive" ? `directory "${target.visible}"` : `"${target.visible}"`;
  return new SparkConnectError(
    `Cannot add ${target.path}: this session already holds ${what} with other bytes (from ${earlier.target.path}, as ${earlier.target.kind}), and Spark can't replace a file in a session (its workers keep the first copy).`,
    {
      errorClass: "ARTIFACT_ALREADY_EXISTS",
      messageParameters: { path: target.path, name: target.visible, earlier: earlier.target.path },
      fix: "Give the new version another name (data-v2.txt, or archive.zip#dir2), or add it to a new session (SparkSession.builder().create()).",
    },
  );
}

async function fileSha256(file: string): Promise<string> {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (err) {
    throw new SparkConnectError(`Cannot add ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}.`, {
      errorClass: "ARTIFACT_UNREADABLE",
      messageParameters: { path: file },
      fix: "Check the path (relative paths are taken from the current directory, " + process.cwd() + ").",
      cause: err,
    });
  }
  if (!isFile) throw badInput(`Cannot add ${file}: it is a directory, not a file.`, "Zip the directory and add the zip with { archive: true } (or { pyfile: true } for Python packages).", "ARTIFACT_UNREADABLE");
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function badInput(message: string, fix: string, errorClass = "INVALID_ARTIFACT"): SparkConnectError {
  return new SparkConnectError(message, { errorClass, fix });
}

const registry = new WeakMap<object, SessionArtifacts>();

/** The one SessionArtifacts of a session, made on first use. */
export function sessionArtifacts(session: ArtifactSessionPort): SessionArtifacts {
  let artifacts = registry.get(session);
  if (!artifacts) registry.set(session, (artifacts = new SessionArtifacts(session)));
  return artifacts;
}

/** spark.addArtifacts's arguments: paths, then an optional options object. */
export function splitArtifactArgs(args: Array<string | string[] | AddArtifactsOptions>): { paths: string[]; options: AddArtifactsOptions } {
  const last = args[args.length - 1];
  const options = typeof last === "object" && last !== null && !Array.isArray(last) ? (args.pop() as AddArtifactsOptions) : {};
  const paths = args.flat() as unknown[];
  for (const p of paths) if (typeof p !== "string") throw badInput(`addArtifacts takes paths (strings) and one trailing options object, got ${typeof p}.`, "Call spark.addArtifacts(\"a.py\", \"b.py\", { pyfile: true }).");
  return { paths: paths as string[], options };
}
