#!/usr/bin/env node
// Thin shim: the CLI lives in the built package (dist/), produced by `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  process.stderr.write(
    `spark-autobundle is not built yet (${fileURLToPath(entry)} is missing).\n` +
      `Build it with \`npm run build\` in ${root}, or run the sources with \`npx tsx src/cli/main.ts\`.\n`,
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
