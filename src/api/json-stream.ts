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

/** Reads blocks [from, from + limit) of the chain (decoded on demand: keep `limit` small). */
export type ReadBlocks = (from: number, limit: number) => readonly Block[];

/** Blocks read from the chain at a time while an answer is written. */
const READ_STEP = 4;

/**
 * Blocks [from, stop) as the chain holds them when asked, read a few at a
 * time as the client reads (no copy of them per request). Were the chain to
 * switch to a branch without block stop - 1 meanwhile, the answer is cut off
 * (an error for the client) rather than mix two branches: block stop - 1
 * unchanged means every block before it is too (each holds its parent's hash).
 */
function* lazyBlocks(read: ReadBlocks, from: number, stop: number): Generator<Block> {
  if (stop <= from) return;
  const last = read(stop - 1, 1)[0];
  const lastText = last ? encodeBlock(last) : "";
  for (let at = from; at < stop; at += READ_STEP) {
    const now = read(stop - 1, 1)[0];
    if (!now || encodeBlock(now) !== lastText) {
      throw new Error("the chain switched branch while it was being sent");
    }
    yield* read(at, Math.min(READ_STEP, stop - at));
  }
}

/**
 * GET /blocks: `{"blocks":[...],"length":N}`: at most `limit` blocks from
 * `from`, cut to `maxBytes` of JSON (at least one block).
 */
export function* blocksPage(
  read: ReadBlocks,
  from: number,
  limit: number,
  length: number,
  maxBytes: number,
): Generator<string> {
  yield '{"blocks":[';
  yield* capped(lazyBlocks(read, from, Math.min(length, from + limit)), encodeBlock, maxBytes);
  yield `],"length":${length}}`;
}

/** GET /data: the pending messages, as many as fit in `maxBytes`. */
export function* pendingList(messages: readonly Data[], maxBytes: number): Generator<string> {
  yield "[";
  yield* capped(messages, (d) => JSON.stringify({ id: d.id, message: d.message }), maxBytes);
  yield "]";
}

/** GET /chain: `{"chain":[...],"length":N}`, the whole chain as it was when asked. */
export function* wholeChain(read: ReadBlocks, length: number): Generator<string> {
  yield '{"chain":[';
  let first = true;
  for (const block of lazyBlocks(read, 0, length)) {
    yield first ? encodeBlock(block) : `,${encodeBlock(block)}`;
    first = false;
  }
  yield `],"length":${length}}`;
}

/** The stall time-out of a server: its connection time-out (see buildServer). */
export function stallMsOf(app: FastifyInstance): number {
  return app.server.timeout > 0 ? app.server.timeout : DEFAULTS.stalledConnectionMs;
}
