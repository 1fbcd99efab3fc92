// Prints, as JSON, what vitest resolves from the config in <root> in watch mode, without running
// tests: node inspect-config.mjs <root> [dir-to-await-in-watcher]
// With a dir, also waits (up to 60 s) until vite's file watcher watches it.
import { createVitest } from "vitest/node";

const [root, awaitedDir] = process.argv.slice(2);
const vitest = await createVitest("test", { root, watch: true });
try {
  let watchesAwaitedDir;
  if (awaitedDir !== undefined) {
    // chokidar adds directories asynchronously; wait for it rather than guess how long it takes.
    const deadline = Date.now() + 60_000;
    watchesAwaitedDir = false;
    while (!watchesAwaitedDir && Date.now() < deadline) {
      watchesAwaitedDir = Object.keys(vitest.vite.watcher.getWatched()).includes(awaitedDir);
      if (!watchesAwaitedDir) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const config = vitest.config;
  const result = {
    forceRerunTriggers: config.forceRerunTriggers,
    globalSetup: config.globalSetup,
    testTimeout: config.testTimeout,
    provided: vitest.getRootProject().getProvidedContext(),
    watchesAwaitedDir,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await vitest.close();
}
