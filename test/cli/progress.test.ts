import { describe, expect, it } from "vitest";
import { styleFor } from "../../src/cli/output.js";
import { createProgressBar, renderProgressLine } from "../../src/cli/progress.js";
import { CapturedStream } from "./helpers.js";

const plain = styleFor(new CapturedStream(), {});
const ESC = "\x1b";
const MiB = 1024 * 1024;

describe("upload progress bar", () => {
  it("redraws one line in place on a terminal, only when the visible text changes, and clears it at the end", () => {
    const tty = new CapturedStream({ columns: 72 });
    const bar = createProgressBar(tty, "uploading", plain);
    bar.update(0, 4 * MiB);
    bar.update(2 * MiB, 4 * MiB);
    bar.update(2 * MiB + 1, 4 * MiB); // same text as the line shown: no redraw
    bar.update(4 * MiB, 4 * MiB);
    bar.done();
    expect(tty.chunks).toHaveLength(4);
    expect(tty.chunks.slice(0, 3).every((c) => c.startsWith(`\r${ESC}[2K`))).toBe(true);
    expect(tty.chunks[0]).toContain("  0%  0 B / 4.0 MiB");
    expect(tty.chunks[1]).toContain(" 50%  2.0 MiB / 4.0 MiB");
    expect(tty.chunks[2]).toContain("100%  4.0 MiB / 4.0 MiB");
    expect(tty.chunks[3]).toBe(`\r${ESC}[2K`);
    for (const chunk of tty.chunks) expect(chunk.replace(`\r${ESC}[2K`, "").length).toBeLessThanOrEqual(71);
  });

  it("fills the bar in proportion, fitted to the terminal width", () => {
    const line = renderProgressLine("up", 25, 100, 60, plain);
    const cells = /\[(.*)\]/.exec(line)![1]!;
    expect(line.length).toBeLessThanOrEqual(59);
    expect([...cells].filter((c) => c === "█").length).toBe(Math.floor(cells.length / 4));
    expect(line).toContain(" 25%");
  });

  it("drops the bar but keeps the percentage on a very narrow terminal", () => {
    const line = renderProgressLine("uploading", 3, 4, 24, plain);
    expect(line).toBe("uploading  75%");
  });

  it("draws nothing on a pipe or log file", () => {
    const pipe = new CapturedStream();
    const bar = createProgressBar(pipe, "uploading", plain);
    bar.update(1, 2);
    bar.done();
    expect(pipe.chunks).toEqual([]);
  });

  it("colours the bar only when the style has colour", () => {
    const coloured = styleFor(new CapturedStream({ columns: 80 }), { FORCE_COLOR: "1" });
    expect(renderProgressLine("up", 1, 2, 80, coloured)).toContain(`${ESC}[36m`);
    expect(renderProgressLine("up", 1, 2, 80, plain)).not.toContain(ESC);
  });
});
