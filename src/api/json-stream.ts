import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { DEFAULTS } from "../config/config.js";
import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";
import { encodeBlock } from "../core/encoding.js";

/** Bytes gathered before a piece of an answer is handed to the socket. */
const PIECE_BYTES = 16 * 1024;

/**
 * A JSON answer written piece by piece as the client reads it: the pieces
 * are made only when the socket wants more (back-pressure), so a client that
 * does not read holds at most a piece or two in memory, never the answer.
 * One that asks for nothing more for `stallMs` is dropped (the stream fails,
 * and the server closes the connection).
 */
export function streamed(parts: Iterable<string>, stallMs: number): Readable {
  const pieces = gather(parts);
  let timer: NodeJS.Timeout | undefined;
  const readable = new Readable({
    highWaterMark: PIECE_BYTES,
    read() {
      clearTimeout(timer);
      timer = setTimeout(
        () => readable.destroy(new Error(`the client read nothing for ${stallMs} ms`)),
        stallMs,
      );
      timer.unref();
      try {
        const next = pieces.next();
        if (next.done) {
          clearTimeout(timer);
          this.push(null);
        } else this.push(next.value);
      } catch (err) {
        this.destroy(err as Error);
      }
    },
    destroy(err, callback) {
      clearTimeout(timer);
      pieces.return(undefined);
      callback(err);
    },
  });
  return readable;
}

function* gather(parts: Iterable<string>): Generator<Buffer> {
  let pending: string[] = [];
  let bytes = 0;
  for (const part of parts) {
    pending.push(part);
    bytes += part.length;
    if (bytes >= PIECE_BYTES) {
      yield Buffer.from(pending.join(""), "utf8");
      pending = [];
      bytes = 0;
    }
  }
  if (pending.length > 0) yield Buffer.from(pending.join(""), "utf8");
}

/**
 * `items` encoded as JSON array elements, as many as fit in `maxBytes` (at
 * least one, so that a page always moves a reader on).
 */
function* capped<T>(
  items: Iterable<T>,
  encode: (item: T) => string,
  maxBytes: number,
): Generator<string> {
  let bytes = 0;
  let first = true;
  for (const item of items) {
    const text = encode(item);
    bytes += Buffer.byteLength(text) + 1;
    if (!first && bytes > maxBytes) return;
    yield first ? text : `,${text}`;
    first = false;
  }
}

/** GET /blocks: `{"blocks":[...],"length":N}`, the page cut to `maxBytes` of blocks. */
export function* blocksPage(
  blocks: readonly Block[],
  length: number,
  maxBytes: number,
): Generator<string> {
  yield '{"blocks":[';
  yield* capped(blocks, encodeBlock, maxBytes);
  yield `],"length":${length}}`;
}

/** GET /data: the pending messages, as many as fit in `maxBytes`. */
export function* pendingList(messages: readonly Data[], maxBytes: number): Generator<string> {
  yield "[";
  yield* capped(messages, (d) => JSON.stringify({ id: d.id, message: d.message }), maxBytes);
  yield "]";
}

/** Blocks read from the chain at a time while /chain is written. */
const CHAIN_STEP = 64;

/**
 * GET /chain: `{"chain":[...],"length":N}`, the chain as it was when asked,
 * read a few blocks at a time as the client reads (no copy of the chain per
 * request). Were the chain to switch to a branch that drops its last block
 * meanwhile, the answer is cut off (an error for the client) rather than mix
 * two branches.
 */
export function* wholeChain(
  read: (from: number, limit: number) => readonly Block[],
  length: number,
): Generator<string> {
  const tip = read(length - 1, 1)[0];
  yield '{"chain":[';
  for (let from = 0; from < length; from += CHAIN_STEP) {
    if (read(length - 1, 1)[0] !== tip) throw new Error("the chain changed branch during /chain");
    const blocks = read(from, Math.min(CHAIN_STEP, length - from));
    const text = blocks.map(encodeBlock).join(",");
    yield from === 0 ? text : `,${text}`;
  }
  yield `],"length":${length}}`;
}

/** The stall time-out of a server: its connection time-out (see buildServer). */
export function stallMsOf(app: FastifyInstance): number {
  return app.server.timeout > 0 ? app.server.timeout : DEFAULTS.stalledConnectionMs;
}
