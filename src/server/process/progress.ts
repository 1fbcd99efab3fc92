export type ProgressCallback = (line: string) => void;

export interface StderrProgress extends ProgressCallback {
  /** Ends the updating line so later output starts on a fresh one. */
  end(): void;
}

/**
 * The default progress reporter: on a terminal, one stderr line rewritten in place; elsewhere
 * (CI logs, piped output) one line per message, since "\r" would only garble the log.
 */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): StderrProgress {
  let open = false;
  const report = ((line: string) => {
    if (stream.isTTY) {
      const width = Math.max(20, (stream.columns || 100) - 1);
      stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
      open = true;
    } else {
      stream.write(`${line}\n`);
    }
  }) as StderrProgress;
  report.end = () => {
    if (open) stream.write("\n");
    open = false;
  };
  return report;
}

/** "1m 05s" / "42s" / "0.8s" for progress and timing lines. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}
