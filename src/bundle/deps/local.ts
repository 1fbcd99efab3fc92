// Local packages a requirements file or lockfile names by path (`../shared-lib`, `-e ./libs/foo`,
// `file:///…`), other than the project itself: shipped as source. Their importable files are picked by
// the same rules as the project's (layout, .gitignore, default excludes, the secret guard), hashed, and
// written into a wheel of our own (modules + a dist-info, no build backend run), which then travels in
// the deps zip like any pure wheel. Why not `pip wheel --no-deps`: a build backend runs in an isolated
// env pip must first download (no network, no build), takes seconds per change, and most local
// libraries are plain Python; packages that must be compiled are refused with the way out.
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "smol-toml";
import { BundleError } from "../errors.js";
import { detectLayout } from "../project/layout.js";
import { selectFiles } from "../select/select.js";
import { hashFiles, type HashedFile } from "../archive/hash.js";
import { writeDeterministicZip } from "../archive/zip.js";

/** A directory named by a requirement line or lockfile entry. */
export interface LocalPath {
  /** Absolute directory. */
  path: string;
  /** The line as written (or "name (uv.lock)"), and file:line, for messages. */
  line: string;
  where: string;
  /** A marker after the path (`../lib ; python_version >= "3.10"`), evaluated for the workers. */
  marker?: string;
  /** From a lockfile: its pinned name and version. */
  name?: string;
  version?: string;
}

export interface LocalPackage {
  name: string;
  version: string;
  dir: string;
  where: string;
  /** Content hash of the shipped files (hashFiles' framing): the resolution key changes with any edit. */
  hash: string;
  files: HashedFile[];
  /** Its own [project].dependencies (requirements files bring these along, as pip would install them). */
  dependencies: string[];
}

/** Build backends that compile: their source alone does not import. */
const COMPILING_BACKENDS = ["maturin", "mesonpy", "scikit_build_core", "setuptools_rust", "pybind11"];

/** Reads, selects and hashes a local package; errors name the line and both fixes. */
export async function readLocalPackage(local: LocalPath): Promise<LocalPackage> {
  const fail = (why: string, fix = "edit that line"): never => {
    throw new BundleError("BAD_CONFIG", `${local.where}: "${local.line}" ${why}. Fix: ${fix}, or set dependencies: false (in the sparkAutobundle options) and install it on the workers yourself.`, { path: local.path });
  };
  if (!existsSync(local.path) || !statSync(local.path).isDirectory()) fail(`names ${local.path}, which is not a directory`);
  const meta = metadataOf(local.path, fail);
  const compiled = COMPILING_BACKENDS.find((b) => meta.backend?.replace(/[-.]/g, "_").startsWith(b));
  const setupPy = join(local.path, "setup.py");
  if (compiled || (existsSync(setupPy) && /\bext_modules\s*=/.test(readFileSync(setupPy, "utf8")))) {
    fail(`is a package with native code (${compiled ? `build backend ${meta.backend}` : "setup.py ext_modules"}) that can't ship as source`, `build a wheel (\`pip wheel --no-deps ${local.path} -w wheels\`) and name it instead (\`--find-links wheels\` plus its name), edit that line`);
  }
  const files = await selectFiles(local.path, detectLayout(local.path));
  if (files.length === 0) fail(`names ${local.path}, which holds no importable Python modules (a package dir with __init__.py, or src/<pkg>/)`);
  const content = await hashFiles(files);
  return { name: local.name ?? meta.name ?? basename(local.path), version: local.version ?? meta.version ?? "0", dir: local.path, where: local.where, hash: content.hash, files: content.files, dependencies: meta.dependencies };
}

interface Metadata {
  name?: string;
  version?: string;
  backend?: string;
  dependencies: string[];
}

function metadataOf(dir: string, fail: (why: string, fix?: string) => never): Metadata {
  const out: Metadata = { dependencies: [] };
  const pyproject = join(dir, "pyproject.toml");
  if (existsSync(pyproject)) {
    let doc: Record<string, Record<string, unknown> | undefined>;
    try {
      doc = parse(readFileSync(pyproject, "utf8")) as typeof doc;
    } catch (err) {
      return fail(`has a pyproject.toml that is not valid TOML (${(err as Error).message.split("\n")[0]})`, `fix ${pyproject}, edit that line`);
    }
    const project = doc.project ?? {};
    const poetry = ((doc.tool ?? {}) as Record<string, Record<string, unknown> | undefined>).poetry ?? {};
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    out.name = str(project.name) ?? str(poetry.name);
    out.version = str(project.version) ?? str(poetry.version);
    out.backend = str(doc["build-system"]?.["build-backend"]);
    if (Array.isArray(project.dependencies)) out.dependencies = project.dependencies.filter((d): d is string => typeof d === "string").map((d) => d.trim());
  }
  const cfg = join(dir, "setup.cfg");
  if (existsSync(cfg)) {
    const text = readFileSync(cfg, "utf8");
    out.name ??= /^\s*name\s*=\s*(\S+)/m.exec(text)?.[1];
    out.version ??= /^\s*version\s*=\s*([0-9][^\s]*)/m.exec(text)?.[1];
  }
  return out;
}

/** Writes the package as a pure wheel (its files + a dist-info, so importlib.metadata sees its version). */
export async function writeLocalWheel(pkg: LocalPackage, outDir: string): Promise<string> {
  const dist = `${pkg.name.replace(/[-_.]+/g, "_")}-${wheelVersion(pkg.version)}`;
  const path = join(outDir, `${dist}-py3-none-any.whl`);
  const info = (name: string, text: string) => ({ zipPath: `${dist}.dist-info/${name}`, content: Buffer.from(text) });
  await writeDeterministicZip(path, pkg.files, [
    info("METADATA", `Metadata-Version: 2.1\nName: ${pkg.name}\nVersion: ${pkg.version}\nSummary: shipped from ${pkg.dir} by spark-autobundle\n`),
    info("WHEEL", "Wheel-Version: 1.0\nGenerator: spark-autobundle\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    info("RECORD", ""),
  ]);
  return path;
}

/** Wheel file names can't hold "-" in the version. */
const wheelVersion = (v: string) => v.replace(/-/g, "_");
