// The result decoder, loaded on first use. apache-arrow's ESM build is ~150 modules, a third of this
// package's import time (issue 19: ~100 ms of a rerun's ~400 ms import on this machine), and only actions
// that return rows need it. An action starts its job first and loads the decoder while the server works.
import type * as Decode from "./decode.js";

let decoder: Promise<typeof Decode> | undefined;

export function loadDecoder(): Promise<typeof Decode> {
  decoder ??= import("./decode.js");
  return decoder;
}

/**
 * Starts `responses` (its first step sends the request) and loads the decoder meanwhile; the stream comes
 * back whole, the first response included, once both are under way.
 */
export async function withDecoder<T>(responses: AsyncIterable<T>): Promise<{ decode: typeof Decode; responses: AsyncIterable<T> }> {
  const iterator = responses[Symbol.asyncIterator]();
  const first = iterator.next();
  // The request's failure surfaces where the caller reads the stream, not here as an unhandled rejection.
  first.catch(() => undefined);
  const decode = await loadDecoder();
  async function* replay(): AsyncGenerator<T> {
    let step = await first;
    try {
      while (!step.done) {
        yield step.value;
        step = await iterator.next();
      }
    } finally {
      // A consumer that stops early (toLocalIterator's caller breaking out) must end the request too.
      if (!step.done) await iterator.return?.();
    }
  }
  return { decode, responses: replay() };
}
