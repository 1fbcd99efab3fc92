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
