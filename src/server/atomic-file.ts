import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Writes via a temp file in the same directory + rename, so readers never see a half-written file. */
export function writeFileAtomic(file: string, data: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    // The mode is applied at creation, so a secret is never readable by others, not even briefly.
    fs.writeFileSync(temp, data, { mode, flag: "wx" });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** Parses a JSON file; undefined when it does not exist. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${file} is not valid JSON; delete it and retry.`, { cause: error });
  }
}
