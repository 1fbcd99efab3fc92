// Seeded synthetic Python project trees for the benchmarks: same spec → same paths and bytes.
import { createCipheriv, createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface TreeSpec {
  files: number;
  /** Exact total of the files' sizes. */
  bytes: number;
  seed: number;
}

export type FileKind = "py" | "data" | "binary";

export interface PlannedFile {
  /** Forward-slash path relative to the tree root. */
  path: string;
  kind: FileKind;
  size: number;
}

export interface TreePlan {
  spec: TreeSpec;
  files: PlannedFile[];
  largest: number;
}

/** Small deterministic PRNG (mulberry32); Math.random cannot be seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Share of the bytes that are incompressible package data (wheels ship .so, .npy, images...). */
const BINARY_SHARE = 0.25;
/** The single largest file, as a share of the tree: a bundled model or lookup table. */
const LARGEST_SHARE = 0.05;
const BINARY_EXTS = [".bin", ".npy", ".so", ".png", ".gz"];
const DATA_EXTS = [".json", ".csv", ".txt"];

/**
 * Paths, kinds and sizes. Packages of ~100 files (pkgNN/__init__.py, subNN/ subpackages with
 * modules, a data/ dir); ~85% of files are .py, ~10% text data, ~5% binary. Sizes are log-uniform
 * per kind, then scaled so the total is exactly spec.bytes.
 */
export function planTree(spec: TreeSpec): TreePlan {
  if (spec.files < 4 || spec.bytes < spec.files * 64) throw new Error(`tree spec too small: ${JSON.stringify(spec)}; use ≥ 4 files of ≥ 64 bytes each`);
  const rand = rng(spec.seed);
  const logUniform = (lo: number, hi: number) => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));
  const files: PlannedFile[] = [];
  let pkg = -1;
  let sub = 0;
  let inSub = 0;
  for (let i = 0; files.length < spec.files; i++) {
    if (i % 100 === 0) {
      pkg++;
      sub = 0;
      inSub = 0;
      files.push({ path: `pkg${pad(pkg)}/__init__.py`, kind: "py", size: logUniform(100, 2000) });
      continue;
    }
    const r = rand();
    const subDir = `pkg${pad(pkg)}/sub${pad(sub)}`;
    if (inSub === 0) {
      files.push({ path: `${subDir}/__init__.py`, kind: "py", size: logUniform(50, 1000) });
    } else if (r < 0.05) {
      const ext = BINARY_EXTS[Math.floor(rand() * BINARY_EXTS.length)]!;
      files.push({ path: `${subDir}/data/blob${pad(i, 5)}${ext}`, kind: "binary", size: logUniform(4096, 400_000) });
    } else if (r < 0.15) {
      const ext = DATA_EXTS[Math.floor(rand() * DATA_EXTS.length)]!;
      files.push({ path: `${subDir}/data/table${pad(i, 5)}${ext}`, kind: "data", size: logUniform(1000, 100_000) });
    } else {
      files.push({ path: `${subDir}/mod${pad(i, 5)}.py`, kind: "py", size: logUniform(300, 30_000) });
    }
    if (++inSub >= 20) {
      sub++;
      inSub = 0;
    }
  }
  // The largest file is one binary blob of a fixed share; the rest split the remaining bytes.
  const big = files.find((f) => f.kind === "binary") ?? files[files.length - 1]!;
  big.kind = "binary";
  const bigSize = Math.floor(spec.bytes * LARGEST_SHARE);
  const others = files.filter((f) => f !== big);
  const binaryWant = Math.max(0, spec.bytes * BINARY_SHARE - bigSize);
  const textWant = spec.bytes - bigSize - binaryWant;
  scale(others.filter((f) => f.kind === "binary"), binaryWant);
  scale(others.filter((f) => f.kind !== "binary"), textWant);
  big.size = bigSize;
  for (const f of files) f.size = Math.max(64, Math.round(f.size));
  // Rounding drift goes to the largest non-big file so the total is exact.
  const drift = spec.bytes - files.reduce((n, f) => n + f.size, 0);
  const absorber = others.reduce((a, b) => (b.size > a.size ? b : a));
  absorber.size += drift;
  if (absorber.size < 64) throw new Error(`tree spec ${JSON.stringify(spec)} cannot be planned: sizes too small`);
  return { spec, files, largest: Math.max(...files.map((f) => f.size)) };
}

function scale(files: PlannedFile[], total: number): void {
  const sum = files.reduce((n, f) => n + f.size, 0);
  if (sum === 0) return;
  for (const f of files) f.size = (f.size * total) / sum;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

const WORDS = ("self data value result items index count total name path config record batch row column frame " +
  "parse load save build merge split filter reduce apply transform normalize encode decode lookup table " +
  "cache key hash schema field offset limit start end buffer stream reader writer handler context state").split(" ");

/** Plausible Python: defs, docstrings, assignments, comments; compresses like real source (~3-4×). */
function pythonText(size: number, rand: () => number): Buffer {
  const word = () => WORDS[Math.floor(rand() * WORDS.length)]!;
  const ident = () => `${word()}_${word()}`;
  const lines: string[] = ['"""Generated module for spark-autobundle benchmarks."""', "from __future__ import annotations", "import json", ""];
  let length = lines.join("\n").length;
  while (length < size) {
    const fn = ident();
    const block = [
      `def ${fn}(${word()}, ${word()}=${Math.floor(rand() * 100)}):`,
      `    """${word()} the ${word()} of ${word()} into ${word()} ${word()}."""`,
      `    ${ident()} = ${word()}.${word()}(${word()}, ${Math.floor(rand() * 1000)})`,
      `    if ${word()} > ${Math.floor(rand() * 50)}:  # ${word()} ${word()} ${word()}`,
      `        return ${ident()}`,
      `    return [${word()} for ${word()} in ${ident()} if ${word()}]`,
      "",
    ].join("\n");
    lines.push(block);
    length += block.length + 1;
  }
  return fit(Buffer.from(lines.join("\n")), size);
}

/** JSON/CSV-like rows of words and numbers; compresses well (~4-6×). */
function dataText(size: number, rand: () => number): Buffer {
  const rows: string[] = [];
  let length = 0;
  while (length < size) {
    const row = `${WORDS[Math.floor(rand() * WORDS.length)]},${Math.floor(rand() * 100000)},${(rand() * 1000).toFixed(3)},${WORDS[Math.floor(rand() * WORDS.length)]}`;
    rows.push(row);
    length += row.length + 1;
  }
  return fit(Buffer.from(rows.join("\n")), size);
}

/** Incompressible bytes: AES-128-CTR keystream keyed by the seed and path (fast and deterministic). */
function binaryBytes(size: number, seed: number, path: string): Buffer {
  const key = createHash("sha256").update(`${seed}\0${path}`).digest();
  const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

function fit(bytes: Buffer, size: number): Buffer {
  return bytes.length >= size ? bytes.subarray(0, size) : Buffer.concat([bytes, Buffer.alloc(size - bytes.length, 0x20)]);
}

/** The bytes of one planned file; each file has its own PRNG stream, so content depends only on (seed, path). */
export function fileContent(spec: TreeSpec, file: PlannedFile): Buffer {
  const fileSeed = createHash("sha256").update(`${spec.seed}\0${file.path}`).digest().readUInt32BE(0);
  if (file.kind === "binary") return binaryBytes(file.size, spec.seed, file.path);
  if (file.kind === "data") return dataText(file.size, rng(fileSeed));
  return pythonText(file.size, rng(fileSeed));
}

/** Writes the planned tree under root (which should be empty). */
export function writeTree(root: string, spec: TreeSpec): TreePlan {
  const plan = planTree(spec);
  const made = new Set<string>();
  for (const file of plan.files) {
    const abs = join(root, file.path);
    const dir = dirname(abs);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(abs, fileContent(spec, file));
  }
  return plan;
}

export const TREE_SIZES = {
  small: { files: 100, bytes: 1_000_000, seed: 1 },
  medium: { files: 1_000, bytes: 10_000_000, seed: 2 },
  large: { files: 10_000, bytes: 100_000_000, seed: 3 },
} as const satisfies Record<string, TreeSpec>;
export type TreeName = keyof typeof TREE_SIZES;

/** `bytes` incompressible, seeded bytes as a stream (for archives too big to build in memory). */
export function* randomStream(bytes: number, seed: number): Generator<Buffer> {
  const key = createHash("sha256").update(`stream\0${seed}`).digest();
  const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
  const block = Buffer.alloc(1024 * 1024);
  for (let left = bytes; left > 0; left -= block.length) yield cipher.update(block.subarray(0, Math.min(block.length, left)));
}
