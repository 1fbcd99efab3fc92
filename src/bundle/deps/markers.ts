// PEP 508 environment markers and PEP 440 version specifiers, evaluated for the WORKERS' Python and
// platform (pip evaluates markers for the machine it runs on, which is not where the code runs).
// Follows packaging.markers: a comparison is a version comparison when the right side parses as a
// specifier value, else a string comparison; `in`/`not in` are substring (or, for PEP 751's `extras`
// and `dependency_groups`, set) membership. Checked against packaging itself in markers.test.ts.
import { BundleError } from "../errors.js";

/** The marker variables of one Python environment (worker_facts.py reports them from the workers). */
export interface MarkerEnv {
  [variable: string]: string | readonly string[] | undefined;
  python_version: string;
  python_full_version: string;
  sys_platform: string;
  platform_machine: string;
  platform_system: string;
  os_name: string;
  implementation_name: string;
  platform_python_implementation: string;
  /** Requested extra (PEP 508's `extra`), "" when none. */
  extra?: string;
  /** PEP 751 (pylock.toml): requested extras and dependency groups. */
  extras?: readonly string[];
  dependency_groups?: readonly string[];
}

/** A worker environment from what older probes knew (major.minor and sysconfig's platform): a fallback only. */
export function envFromTarget(pythonVersion: string, sysPlatform: string): MarkerEnv {
  const [os = "linux", ...arch] = sysPlatform.split("-");
  const system = os === "linux" ? "Linux" : os.startsWith("macosx") ? "Darwin" : os.startsWith("win") ? "Windows" : os;
  return {
    python_version: pythonVersion,
    python_full_version: `${pythonVersion}.0`,
    sys_platform: os === "linux" ? "linux" : system === "Darwin" ? "darwin" : system === "Windows" ? "win32" : os,
    // "linux-x86_64", "macosx-14.0-arm64", "win-amd64": the machine is the last part (Windows spells it upper-case).
    platform_machine: system === "Windows" ? (arch.at(-1) ?? "amd64").toUpperCase() : (arch.at(-1) ?? ""),
    platform_system: system,
    os_name: system === "Windows" ? "nt" : "posix",
    implementation_name: "cpython",
    platform_python_implementation: "CPython",
  };
}

type Token = { kind: "str" | "var" | "op" | "(" | ")" | "and" | "or"; text: string };

const OPS = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

function tokenize(marker: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < marker.length) {
    const c = marker[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")") {
      out.push({ kind: c, text: c });
      i++;
    } else if (c === "'" || c === '"') {
      const end = marker.indexOf(c, i + 1);
      if (end < 0) throw new SyntaxError(`unterminated string at ${i}`);
      out.push({ kind: "str", text: marker.slice(i + 1, end) });
      i = end + 1;
    } else {
      const op = OPS.find((o) => marker.startsWith(o, i));
      if (op) {
        out.push({ kind: "op", text: op });
        i += op.length;
        continue;
      }
      const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(marker.slice(i))?.[0];
      if (!word) throw new SyntaxError(`unexpected "${c}" at ${i}`);
      i += word.length;
      if (word === "and" || word === "or") out.push({ kind: word, text: word });
      else if (word === "in") out.push({ kind: "op", text: "in" });
      else if (word === "not") {
        const rest = /^\s+in\b/.exec(marker.slice(i));
        if (!rest) throw new SyntaxError(`"not" without "in" at ${i}`);
        i += rest[0].length;
        out.push({ kind: "op", text: "not in" });
      } else out.push({ kind: "var", text: word.replace(/\./g, "_") }); // os.name and the like: PEP 345's spelling
    }
  }
  return out;
}

/** True when `marker` holds for `env`; a marker that doesn't parse is an error naming it (`where`). */
export function evaluateMarker(marker: string, env: MarkerEnv, where = "a marker"): boolean {
  try {
    const tokens = tokenize(marker);
    let at = 0;
    const peek = () => tokens[at];
    const expect = (kind: Token["kind"]) => {
      const t = tokens[at++];
      if (t?.kind !== kind) throw new SyntaxError(`expected ${kind}, got ${t ? `"${t.text}"` : "the end"}`);
      return t;
    };
    const value = (t: Token): string | readonly string[] => {
      if (t.kind === "str") return t.text;
      if (t.kind !== "var") throw new SyntaxError(`expected a value, got "${t.text}"`);
      if (!(t.text in env) && !["extra", "extras", "dependency_groups", "platform_release", "platform_version", "implementation_version"].includes(t.text)) {
        throw new SyntaxError(`unknown variable ${t.text}`);
      }
      return env[t.text] ?? (t.text === "extras" || t.text === "dependency_groups" ? [] : "");
    };
    const atom = (): boolean => {
      if (peek()?.kind === "(") {
        at++;
        const v = or();
        expect(")");
        return v;
      }
      const left = tokens[at++]!;
      const op = expect("op").text;
      const right = tokens[at++];
      if (!left || !right) throw new SyntaxError("incomplete comparison");
      return compare(value(left), op, value(right), left.kind === "var" && left.text === "extra" ? "extra" : right.kind === "var" && right.text === "extra" ? "extra" : undefined);
    };
    const and = (): boolean => {
      let v = atom();
      while (peek()?.kind === "and") {
        at++;
        v = atom() && v;
      }
      return v;
    };
    const or = (): boolean => {
      let v = and();
      while (peek()?.kind === "or") {
        at++;
        v = and() || v;
      }
      return v;
    };
    const result = or();
    if (at !== tokens.length) throw new SyntaxError(`unexpected "${tokens[at]!.text}"`);
    return result;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new BundleError("BAD_CONFIG", `${where}: the environment marker "${marker}" is not valid PEP 508 (${err.message}). Fix: edit it, or set dependencies: false.`);
  }
}

const normExtra = (s: string) => s.toLowerCase().replace(/[-_.]+/g, "-");

function compare(left: string | readonly string[], op: string, right: string | readonly string[], extra: "extra" | undefined): boolean {
  if (Array.isArray(right)) {
    if (op !== "in" && op !== "not in") return false;
    const has = (right as readonly string[]).map(normExtra).includes(normExtra(String(left)));
    return op === "in" ? has : !has;
  }
  let l = String(left);
  let r = String(right);
  if (extra) [l, r] = [normExtra(l), normExtra(r)];
  if (op === "in") return r.includes(l);
  if (op === "not in") return !r.includes(l);
  if (op !== "===" && parseVersion(l) && (parseVersion(r) || (/\.\*$/.test(r) && (op === "==" || op === "!=")))) return specifierContains(`${op}${r}`, l);
  switch (op) {
    case "==":
    case "===":
      return l === r;
    case "!=":
      return l !== r;
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    case ">=":
      return l >= r;
    default:
      return false; // ~= on strings: packaging raises; nothing matches
  }
}

interface Version {
  epoch: number;
  release: number[];
  /** [phase 0 a / 1 b / 2 rc, number]; undefined: not a pre-release. */
  pre?: [number, number];
  post?: number;
  dev?: number;
}

/** PEP 440 public versions (local labels ignored), normalized spellings accepted; undefined when not one. */
export function parseVersion(text: string): Version | undefined {
  const m = /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i.exec(text.trim());
  if (!m) return undefined;
  const phase = m[3]?.toLowerCase();
  const pre = phase === undefined ? undefined : ([phase.startsWith("a") ? 0 : phase.startsWith("b") ? 1 : 2, Number(m[4] || 0)] as [number, number]);
  const post = m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[6] || 0) : undefined;
  return { epoch: Number(m[1] ?? 0), release: m[2]!.split(".").map(Number), pre, post, dev: m[7] !== undefined ? Number(m[7] || 0) : undefined };
}

/** <0, 0, >0 as a sorts before, equal to, after b (PEP 440 ordering). */
export function compareVersions(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  for (let i = 0; i < Math.max(a.release.length, b.release.length); i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0);
    if (d) return d;
  }
  // A dev release of a final version sorts before its pre-releases; a final one after them.
  const preKey = (v: Version): [number, number] => (v.pre ? v.pre : v.dev !== undefined && v.post === undefined ? [-1, 0] : [3, 0]);
  const [pa, pb] = [preKey(a), preKey(b)];
  if (pa[0] !== pb[0]) return pa[0] - pb[0];
  if (pa[1] !== pb[1]) return pa[1] - pb[1];
  const post = (a.post ?? -1) - (b.post ?? -1);
  if (post) return post;
  // No dev segment sorts after any dev release of the same version.
  if (a.dev === b.dev) return 0;
  return a.dev === undefined ? 1 : b.dev === undefined ? -1 : a.dev - b.dev;
}

const sameRelease = (a: Version, b: Version) => a.epoch === b.epoch && compareVersions({ ...a, pre: undefined, post: undefined, dev: undefined }, { ...b, pre: undefined, post: undefined, dev: undefined }) === 0;

/**
 * Does `version` satisfy `specifiers` (PEP 440, comma-separated: ">=3.10, <4", "==3.*", "~=3.8")?
 * Pre-releases count (markers and requires-python compare the interpreter's own version).
 */
export function specifierContains(specifiers: string, version: string): boolean {
  const v = parseVersion(version);
  if (!v) return false;
  return specifiers
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .every((spec) => {
      const m = /^(===|~=|==|!=|<=|>=|<|>)\s*(.+)$/.exec(spec);
      if (!m) throw new SyntaxError(`"${spec}" is not a version specifier`);
      const [, op, raw] = m as unknown as [string, string, string];
      if (op === "===") return version === raw;
      if ((op === "==" || op === "!=") && raw.endsWith(".*")) {
        const prefix = parseVersion(raw.slice(0, -2));
        if (!prefix) throw new SyntaxError(`"${spec}" is not a version specifier`);
        const same = prefix.epoch === v.epoch && prefix.release.every((n, i) => (v.release[i] ?? 0) === n);
        return op === "==" ? same : !same;
      }
      const w = parseVersion(raw);
      if (!w) throw new SyntaxError(`"${spec}" is not a version specifier`);
      const c = compareVersions(v, w);
      switch (op) {
        case "==":
          return c === 0;
        case "!=":
          return c !== 0;
        case "<":
          // PEP 440: <V excludes V's own pre-releases (3.12.0rc1 is not < 3.12.0), >V its post-releases.
          return c < 0 && !(v.pre && !w.pre && sameRelease(v, w));
        case "<=":
          return c <= 0;
        case ">":
          return c > 0 && !(v.post !== undefined && w.post === undefined && sameRelease(v, w));
        case ">=":
          return c >= 0;
        default: {
          // ~=X.Y.Z: >=X.Y.Z, ==X.Y.*
          const prefix = w.release.slice(0, Math.max(1, w.release.length - 1));
          return c >= 0 && prefix.every((n, i) => (v.release[i] ?? 0) === n);
        }
      }
    });
}
