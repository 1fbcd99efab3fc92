// pylock.toml, uv.lock and poetry.lock read into LockedPackage lists (see lockfile.ts). Both record a graph; the
// walk starts at the project's main dependencies and follows each edge whose marker holds for the
// workers, so dev groups and packages meant for other platforms stay out.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import { evaluateMarker, type MarkerEnv } from "./markers.js";
import { checkRequiresPython, isTable, localSource, normalize, sha256Of, strings, tables, type LockContext, type LockedPackage, type Lockfile, type Table } from "./lockfile-common.js";

/** uv.lock (version 1): [[package]] with dependency edges; the project is the package whose source is ".". */
export function uvLock(doc: Table, ctx: LockContext): Pick<Lockfile, "groups" | "select"> {
  if (doc.version !== 1) throw ctx.fail(`version ${String(doc.version)} is not 1, the uv.lock version this release reads`);
  const packages = tables(doc.package);
  const byName = new Map<string, Table[]>();
  for (const p of packages) byName.set(normalize(String(p.name ?? "")), [...(byName.get(normalize(String(p.name ?? ""))) ?? []), p]);
  const sourcePath = (p: Table) => (isTable(p.source) ? (p.source.editable ?? p.source.virtual ?? p.source.directory) : undefined);
  let roots = packages.filter((p) => typeof sourcePath(p) === "string" && localSource(ctx, String(sourcePath(p))) === undefined);
  // A virtual workspace root has no package of its own: its members are the project.
  if (roots.length === 0) roots = strings(isTable(doc.manifest) ? doc.manifest.members : undefined).flatMap((m) => byName.get(normalize(m)) ?? []);
  if (roots.length === 0) throw ctx.fail("no package is the project itself (source \".\") and [manifest] lists no members", "regenerate it at the project root (`uv lock`)");
  const groupTable = (p: Table, key: string) => (isTable(p[key]) ? (p[key] as Table) : {});
  const groups = [...new Set(roots.flatMap((r) => [...Object.keys(groupTable(r, "optional-dependencies")), ...Object.keys(groupTable(r, "dev-dependencies"))]))];
  return {
    groups,
    select(env, wanted) {
      checkRequiresPython(ctx, doc["requires-python"], env);
      const out = new Map<Table, LockedPackage>();
      const seen = new Set<string>();
      const find = (edge: Table): Table => {
        const name = normalize(String(edge.name ?? ""));
        let found = (byName.get(name) ?? []).filter((p) => (edge.version === undefined || p.version === edge.version) && (edge.source === undefined || JSON.stringify(p.source) === JSON.stringify(edge.source)));
        // Forked resolutions: one version per set of resolution-markers.
        if (found.length > 1) found = found.filter((p) => strings(p["resolution-markers"]).some((m) => evaluateMarker(m, env, `${ctx.rel} package ${name}`))).concat(found.filter((p) => !p["resolution-markers"]));
        if (!found[0]) throw ctx.fail(`a dependency edge names ${name}${edge.version ? ` ${String(edge.version)}` : ""}, which it doesn't lock`, "regenerate it (`uv lock`)");
        return found[0];
      };
      const visit = (p: Table, extras: readonly string[], isRoot: boolean): void => {
        const id = `${String(p.name)}@${String(p.version)}@${JSON.stringify(p.source)}@${[...extras].sort().join(",")}`;
        if (seen.has(id)) return;
        seen.add(id);
        if (!isRoot && !out.has(p)) out.set(p, uvPackage(p, ctx));
        const edges = [...tables(p.dependencies), ...extras.flatMap((e) => tables(groupTable(p, "optional-dependencies")[e]))];
        if (isRoot) for (const g of wanted) edges.push(...tables(groupTable(p, "dev-dependencies")[g]));
        for (const edge of edges) {
          if (typeof edge.marker === "string" && !evaluateMarker(edge.marker, env, `${ctx.rel} dependency ${String(edge.name)}`)) continue;
          visit(find(edge), strings(edge.extra), false);
        }
      };
      for (const r of roots) visit(r, wanted, true);
      return [...out.values()].filter((p) => p.name !== "");
    },
  };
}

function uvPackage(p: Table, ctx: LockContext): LockedPackage {
  const name = normalize(String(p.name ?? ""));
  const version = String(p.version ?? "");
  const source = isTable(p.source) ? p.source : {};
  const dir = source.editable ?? source.directory;
  if (typeof dir === "string") {
    const local = localSource(ctx, dir);
    return local ? { name, version, hashes: [], local } : { name: "", version, hashes: [] };
  }
  // A virtual package is not installed (only its dependencies are): nothing of its own to ship.
  if (typeof source.virtual === "string") return { name: "", version, hashes: [] };
  if (typeof source.path === "string") {
    return String(source.path).endsWith(".whl") ? { name, version, hashes: [], wheelFile: join(ctx.dir, source.path) } : { name, version, hashes: [], unsupported: `a local archive (${source.path}), not a wheel` };
  }
  const hashes = tables(p.wheels).map((w) => sha256Of(w.hash)).filter((h): h is string => !!h);
  const registry = typeof source.registry === "string" && !/^https:\/\/pypi\.org\/simple\/?$/.test(source.registry) ? source.registry : undefined;
  const why = source.git ? `a git checkout (${String(source.git)})` : source.url ? `a direct URL (${String(source.url)})` : !tables(p.wheels).length ? "an sdist with no wheels (only wheels are shipped)" : undefined;
  return { name, version, hashes, index: registry, unsupported: why };
}

/**
 * poetry.lock. Lock format 2.1 (Poetry 2) marks each package with its groups and markers; 1.x with a
 * category; 2.0 with neither, so the graph is walked from pyproject.toml's main dependencies.
 */
export function poetryLock(doc: Table, ctx: LockContext): Pick<Lockfile, "groups" | "select"> {
  const packages = tables(doc.package);
  const pyproject = readPyproject(ctx);
  const poetry = isTable(pyproject.tool) && isTable(pyproject.tool.poetry) ? pyproject.tool.poetry : {};
  const project = isTable(pyproject.project) ? pyproject.project : {};
  const groupNames = new Set<string>([...packages.flatMap((p) => strings(p.groups)), ...Object.keys(isTable(poetry.group) ? poetry.group : {}), ...Object.keys(isTable(poetry.extras) ? poetry.extras : {}), ...Object.keys(isTable(project["optional-dependencies"]) ? project["optional-dependencies"] : {}), ...Object.keys(isTable(doc.extras) ? doc.extras : {})]);
  groupNames.delete("main");
  if (poetry["dev-dependencies"]) groupNames.add("dev");
  return {
    groups: [...groupNames],
    select(env, wanted) {
      const chosen = new Set(["main", ...wanted]);
      // Poetry writes `extra == "…"` into the markers of packages an extra brings in.
      const holds = (marker: string, where: string) => ["", ...wanted].some((extra) => evaluateMarker(marker, { ...env, extra }, where));
      if (packages.some((p) => Array.isArray(p.groups))) {
        return packages
          .filter((p) => {
            const groups = strings(p.groups).filter((g) => chosen.has(g));
            if (!groups.length) return false;
            const where = `${ctx.rel} package ${String(p.name)}`;
            if (typeof p.markers === "string") return holds(p.markers, where);
            const table = isTable(p.markers) ? p.markers : {};
            return groups.some((g) => typeof table[g] !== "string" || holds(table[g] as string, where));
          })
          .map((p) => poetryPackage(p, ctx));
      }
      if (packages.some((p) => typeof p.category === "string")) {
        return packages.filter((p) => chosen.has(String(p.category)) && (!p.optional || wanted.length > 0)).map((p) => poetryPackage(p, ctx));
      }
      return walkPoetry(packages, rootEdges(poetry, project, wanted), ctx, holds).map((p) => poetryPackage(p, ctx));
    },
  };
}

interface Edge {
  name: string;
  extras: string[];
  marker?: string;
  optional?: boolean;
}

/** pyproject.toml's dependencies (PEP 621 and [tool.poetry]) for main plus the wanted groups. */
function rootEdges(poetry: Table, project: Table, wanted: readonly string[]): Edge[] {
  const edges = [...strings(project.dependencies).map(pep508Edge), ...poetryEdges(poetry.dependencies)];
  const optional = isTable(project["optional-dependencies"]) ? project["optional-dependencies"] : {};
  const groups = isTable(poetry.group) ? poetry.group : {};
  const extras = isTable(poetry.extras) ? poetry.extras : {};
  for (const g of wanted) {
    edges.push(...strings(optional[g]).map(pep508Edge));
    if (isTable(groups[g])) edges.push(...poetryEdges((groups[g] as Table).dependencies));
    if (g === "dev") edges.push(...poetryEdges(poetry["dev-dependencies"]));
    for (const name of strings(extras[g])) edges.push({ name: normalize(name), extras: [] });
  }
  return edges.filter((e) => e.name !== "python" && !(e.optional && !wanted.length));
}

function pep508Edge(line: string): Edge {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?[^;]*(?:;(.*))?$/.exec(line);
  return { name: normalize(m?.[1] ?? line), extras: (m?.[2] ?? "").split(",").map((s) => s.trim()).filter(Boolean), marker: m?.[3]?.trim() || undefined };
}

/** [package.dependencies] / [tool.poetry.dependencies]: name = "spec" | { version, markers, optional, extras } | [ {...}, ... ]. */
function poetryEdges(table: unknown): Edge[] {
  if (!isTable(table)) return [];
  return Object.entries(table).flatMap(([name, spec]) =>
    (Array.isArray(spec) ? spec : [spec]).map((s) => (isTable(s) ? { name: normalize(name), extras: strings(s.extras), marker: typeof s.markers === "string" ? s.markers : undefined, optional: s.optional === true } : { name: normalize(name), extras: [] })),
  );
}

function walkPoetry(packages: Table[], roots: Edge[], ctx: LockContext, holds: (m: string, where: string) => boolean): Table[] {
  const byName = new Map(packages.map((p) => [normalize(String(p.name ?? "")), p]));
  const out = new Set<Table>();
  const seen = new Set<string>();
  const visit = (edge: Edge): void => {
    if (edge.marker && !holds(edge.marker, `${ctx.rel} dependency ${edge.name}`)) return;
    const id = `${edge.name}[${edge.extras.sort().join(",")}]`;
    if (seen.has(id)) return;
    seen.add(id);
    const p = byName.get(edge.name);
    if (!p) throw ctx.fail(`pyproject.toml or a locked package depends on ${edge.name}, which it doesn't lock`, "regenerate it (`poetry lock`)");
    out.add(p);
    // An optional dependency comes along only with the extra that names it.
    const extraTable = isTable(p.extras) ? p.extras : {};
    const fromExtras = new Set(edge.extras.flatMap((e) => strings(extraTable[e]).map((s) => normalize(/^[A-Za-z0-9._-]+/.exec(s)?.[0] ?? s))));
    for (const dep of poetryEdges(p.dependencies)) if (!dep.optional || fromExtras.has(dep.name)) visit(dep);
  };
  for (const r of roots) visit(r);
  return [...out];
}

function poetryPackage(p: Table, ctx: LockContext): LockedPackage {
  const name = normalize(String(p.name ?? ""));
  const version = String(p.version ?? "");
  const source = isTable(p.source) ? p.source : {};
  const files = tables(p.files);
  if (source.type === "directory" && typeof source.url === "string") {
    const local = localSource(ctx, source.url);
    return local ? { name, version, hashes: [], local } : { name: "", version, hashes: [] };
  }
  if (source.type === "file" && typeof source.url === "string") {
    return source.url.endsWith(".whl") ? { name, version, hashes: [], wheelFile: join(ctx.dir, source.url) } : { name, version, hashes: [], unsupported: `a local archive (${source.url}), not a wheel` };
  }
  const hashes = files.filter((f) => String(f.file ?? "").endsWith(".whl")).map((f) => sha256Of(f.hash)).filter((h): h is string => !!h);
  const why = source.type === "git" ? `a git checkout (${String(source.url)})` : source.type === "url" ? `a direct URL (${String(source.url)})` : files.length && !files.some((f) => String(f.file ?? "").endsWith(".whl")) ? "an sdist with no wheels (only wheels are shipped)" : undefined;
  const index = source.type === "legacy" && typeof source.url === "string" ? source.url : undefined;
  return { name, version, hashes, index, unsupported: why };
}

function readPyproject(ctx: LockContext): Table {
  const path = join(ctx.root, "pyproject.toml");
  if (!existsSync(path)) return {};
  try {
    return parse(readFileSync(path, "utf8")) as Table;
  } catch {
    return {}; // declared.ts reports a broken pyproject.toml, naming it
  }
}

/** PEP 751. Selection is the file's own: a package is in when its marker holds for the environment. */
export function pylock(doc: Table, ctx: LockContext): Pick<Lockfile, "groups" | "select"> {
  const version = typeof doc["lock-version"] === "string" ? doc["lock-version"] : "";
  if (!/^1\./.test(version)) throw ctx.fail(`lock-version "${version}" is not 1.x, the only PEP 751 version this release reads`, "export it again as a PEP 751 1.0 lockfile");
  const extras = strings(doc.extras);
  const depGroups = strings(doc["dependency-groups"]);
  // PEP 751's default-groups, minus "dev": tools (uv, PDM) list their dev group there for a local install.
  const defaults = strings(doc["default-groups"]).filter((g) => g !== "dev");
  const packages = tables(doc.packages);
  return {
    groups: [...extras, ...depGroups],
    select(env, groups) {
      const wanted = { extras: groups.filter((g) => extras.includes(g)), dependency_groups: groups.length ? groups.filter((g) => depGroups.includes(g)) : defaults };
      const e: MarkerEnv = { ...env, ...wanted };
      const environments = strings(doc.environments);
      if (environments.length && !environments.some((m) => evaluateMarker(m, e, `${ctx.rel} environments`))) {
        throw ctx.fail(`none of its environments (${environments.join("; ")}) is the workers' (Python ${env.python_full_version} on ${env.sys_platform} ${env.platform_machine})`, "lock for that environment too");
      }
      checkRequiresPython(ctx, doc["requires-python"], env);
      const out: LockedPackage[] = [];
      for (const p of packages) {
        const name = normalize(String(p.name ?? ""));
        if (typeof p.marker === "string" && !evaluateMarker(p.marker, e, `${ctx.rel} package ${name}`)) continue;
        const v = typeof p.version === "string" ? p.version : "";
        if (isTable(p.directory)) {
          const local = localSource(ctx, String(p.directory.path ?? "."));
          if (local) out.push({ name, version: v, hashes: [], local });
          continue;
        }
        const wheels = tables(p.wheels);
        const onDisk = wheels.find((w) => typeof w.path === "string");
        if (onDisk) {
          out.push({ name, version: v, hashes: [], wheelFile: resolve(ctx.dir, String(onDisk.path)) });
          continue;
        }
        const hashes = wheels.map((w) => (isTable(w.hashes) ? sha256Of(`sha256:${w.hashes.sha256}`) : undefined)).filter((h): h is string => !!h);
        const why = p.vcs ? "a VCS checkout" : p.archive ? "an archive URL" : !wheels.length ? "an sdist with no wheels (only wheels are shipped)" : !v ? "a package without a version" : undefined;
        out.push({ name, version: v, hashes, index: typeof p.index === "string" ? p.index : undefined, unsupported: why });
      }
      return out;
    },
  };
}

