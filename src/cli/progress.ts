// The upload progress bar: one stderr line redrawn in place, on a terminal only.
import { formatBytes } from "../shared/bytes.js";
import { columnsOf, isTty, type Style } from "./output.js";

export interface ProgressBar {
  /** Redraws when the visible text changes (so a thousand small chunks cost a few writes). */
  update(sentBytes: number, totalBytes: number): void;
  /** Clears the line, so what follows starts on a clean one. */
  done(): void;
}

const NO_BAR: ProgressBar = { update: () => undefined, done: () => undefined };
const MIN_BAR_CELLS = 10;
const MAX_BAR_CELLS = 40;

/**
 * A bar such as `uploading [██████░░░░░░]  50%  1.5 MiB / 3.0 MiB`, fitted to the terminal width.
 * On anything but a TTY (a pipe, a CI log) it draws nothing: "\r" redraws would only garble a log.
 */
export function createProgressBar(stream: NodeJS.WritableStream, label: string, style: Style): ProgressBar {
  if (!isTty(stream)) return NO_BAR;
  let shown = "";
  return {
    update(sentBytes, totalBytes) {
      const line = renderProgressLine(label, sentBytes, totalBytes, columnsOf(stream) ?? 80, style);
      if (line === shown) return;
      shown = line;
      stream.write(`\r\x1b[2K${line}`);
    },
    done() {
      if (shown !== "") stream.write("\r\x1b[2K");
      shown = "";
    },
  };
}

/** Uploads smaller than this finish before a bar could say anything useful. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;

/** An engine `onUploadProgress` listener drawing a bar for uploads of PROGRESS_MIN_BYTES or more. */
export function uploadProgress(stream: NodeJS.WritableStream, style: Style): (sentBytes: number, totalBytes: number) => void {
  const bar = createProgressBar(stream, "uploading", style);
  return (sentBytes, totalBytes) => {
    if (totalBytes < PROGRESS_MIN_BYTES) return;
    if (sentBytes >= totalBytes) bar.done();
    else bar.update(sentBytes, totalBytes);
  };
}

/** The bar's text for one state; exported for tests. Never wider than `columns - 1`. */
export function renderProgressLine(label: string, sentBytes: number, totalBytes: number, columns: number, style: Style): string {
  const fraction = totalBytes > 0 ? Math.min(1, Math.max(0, sentBytes / totalBytes)) : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const amounts = `${formatBytes(Math.min(sentBytes, totalBytes))} / ${formatBytes(totalBytes)}`;
  const fixed = `${label} [] ${percent}  ${amounts}`;
  const room = columns - 1 - fixed.length;
  if (room < MIN_BAR_CELLS) return `${label} ${percent}`.slice(0, Math.max(0, columns - 1));
  const cells = Math.min(MAX_BAR_CELLS, room);
  const filled = Math.floor(fraction * cells);
  const bar = style.cyan("█".repeat(filled)) + style.dim("░".repeat(cells - filled));
  return `${label} [${bar}] ${percent}  ${amounts}`;
}
