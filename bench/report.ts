// Benchmark rows → stdout table, Markdown for the README, and bench/results.json.
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { median } from "./measure.js";
import type { MachineInfo, Versions } from "./machine.js";

export type Unit = "ms" | "MB/s" | "MiB" | "bytes";
export type Section = "a" | "b" | "c" | "d" | "e" | "f" | "g" | "h";

export interface Contender {
  name: string;
  median: number | null;
  samples: number[];
}

export interface Row {
  id: string;
  section: Section;
  title: string;
  unit: Unit;
  /** Which direction is better for this figure. */
  better: "lower" | "higher";
  ours: Contender;
  rival: Contender;
  /** How many times better ours is (> 1: ours wins), whichever the direction. */
  ratio: number | null;
  /** The target, when it has one. */
  target?: { text: string; met: boolean | null };
  /** pending: the feature measured is not there yet (the code ran anyway, see note). */
  status: "ok" | "pending" | "error";
  note?: string;
}

export interface TreeInfo {
  name: string;
  files: number;
  bytes: number;
  largest: number;
}

export interface Results {
  schema: 1;
  createdAt: string;
  quick: boolean;
  plan: { warmup: number; runs: number };
  machine: MachineInfo;
  versions: Versions;
  trees: TreeInfo[];
  rows: Row[];
}

export function contender(name: string, samples: number[]): Contender {
  return { name, median: median(samples), samples: samples.map((s) => round(s)) };
}

/** A row from two contenders; ratio = rival/ours for lower-is-better figures, ours/rival otherwise. */
export function makeRow(fields: Omit<Row, "ratio" | "status"> & { status?: Row["status"]; targetRatio?: number }): Row {
  const { ours, rival, better, targetRatio, status, ...rest } = fields;
  const ratio = ours.median && rival.median ? (better === "lower" ? rival.median / ours.median : ours.median / rival.median) : null;
  const row: Row = { ...rest, ours, rival, better, ratio: ratio === null ? null : round(ratio, 2), status: status ?? "ok" };
  if (targetRatio !== undefined) row.target = { text: `≥ ${targetRatio}×`, met: ratio === null ? null : ratio >= targetRatio };
  return row;
}

export function errorRow(id: string, section: Section, title: string, error: unknown): Row {
  const empty = (name: string): Contender => ({ name, median: null, samples: [] });
  return { id, section, title, unit: "ms", better: "lower", ours: empty("spark-autobundle"), rival: empty("-"), ratio: null, status: "error", note: (error as Error).message.split("\n")[0] };
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatValue(value: number | null, unit: Unit): string {
  if (value === null) return "–";
  if (unit === "bytes") return value >= 1e6 ? `${(value / 1e6).toFixed(2)} MB` : value >= 1e3 ? `${(value / 1e3).toFixed(1)} kB` : `${value} B`;
  if (unit === "ms") return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
  return `${value.toFixed(1)} ${unit}`;
}

function verdict(row: Row): string {
  if (row.status === "error") return `error: ${row.note ?? ""}`;
  const target = row.target ? `target ${row.target.text}: ${row.target.met === null ? "?" : row.target.met ? "met" : "NOT met"}` : "";
  return [row.status === "pending" ? "PENDING" : "", target, row.note ?? ""].filter(Boolean).join("; ");
}

function cells(row: Row): string[] {
  return [
    row.section,
    row.title,
    `${formatValue(row.ours.median, row.unit)}`,
    `${row.rival.name}: ${formatValue(row.rival.median, row.unit)}`,
    row.ratio === null ? "–" : `${row.ratio.toFixed(2)}×`,
    verdict(row),
  ];
}

const HEADER = ["", "benchmark", "spark-autobundle", "rival", "ratio", "notes"];

/** Fixed-width table for the terminal. */
export function textTable(rows: Row[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/** For the README "Performance" section; ratio > 1 means spark-autobundle is better. */
export function markdownTable(results: Results): string {
  const m = results.machine;
  const lines = [
    `Measured ${results.createdAt.slice(0, 10)} on ${m.cpuModel} (${m.cores} cores, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, ${m.os}); ` +
      `Node ${results.versions.node}, Spark ${results.versions.spark}, ${results.versions.zip}. Median of ${results.plan.runs} runs after ${results.plan.warmup} warm-up; ratio > 1 means spark-autobundle is better.`,
    "",
    `| | benchmark | spark-autobundle | rival | ratio | notes |`,
    `|---|---|---|---|---|---|`,
    ...results.rows.map((row) => `| ${cells(row).map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** Written to a temp file, then renamed: never a half-written results.json. */
export function writeResults(path: string, results: Results): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(results, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Problems with a results.json's shape (empty when it is well-formed). */
export function validateResults(data: unknown): string[] {
  const problems: string[] = [];
  const need = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  const r = data as Partial<Results> | null;
  need(typeof r === "object" && r !== null, "not an object");
  if (typeof r !== "object" || r === null) return problems;
  need(r.schema === 1, "schema must be 1");
  need(typeof r.createdAt === "string" && !Number.isNaN(Date.parse(r.createdAt)), "createdAt must be an ISO date");
  need(typeof r.quick === "boolean", "quick must be a boolean");
  need(Number.isInteger(r.plan?.runs) && Number.isInteger(r.plan?.warmup), "plan.runs/warmup must be integers");
  const m = r.machine;
  need(typeof m?.cpuModel === "string" && Number.isInteger(m?.cores) && typeof m?.memoryBytes === "number" && typeof m?.os === "string", "machine needs cpuModel, cores, memoryBytes, os");
  for (const key of ["node", "pyspark", "java", "python", "zip"] as const) need(typeof r.versions?.[key] === "string", `versions.${key} must be a string`);
  need(Array.isArray(r.trees), "trees must be an array");
  need(Array.isArray(r.rows) && r.rows.length > 0, "rows must be a non-empty array");
  for (const row of r.rows ?? []) {
    const where = `row ${row?.id}`;
    need(typeof row.id === "string" && /^[a-h]$/.test(row.section) && typeof row.title === "string", `${where}: id, section (a-h), title`);
    need(["ms", "MB/s", "MiB", "bytes"].includes(row.unit) && ["lower", "higher"].includes(row.better), `${where}: unit, better`);
    need(["ok", "pending", "error"].includes(row.status), `${where}: status`);
    for (const side of [row.ours, row.rival]) {
      need(typeof side?.name === "string" && Array.isArray(side?.samples) && (side.median === null || typeof side.median === "number"), `${where}: contender shape`);
    }
    need(row.ratio === null || (typeof row.ratio === "number" && row.ratio > 0), `${where}: ratio`);
    // A row judged against a target alone (the hook's own cost) has no rival to take a ratio with.
    const judged = (row.rival.samples.length > 0 && row.ratio !== null) || row.target !== undefined;
    if (row.status === "ok") need(row.ours.samples.length > 0 && judged, `${where}: an ok row has samples and a ratio or a target`);
  }
  return problems;
}
