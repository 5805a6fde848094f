import { type FileHandle, open } from "node:fs/promises";
import type { ChainCodec } from "../codecs/chain-codec.js";
import type { NativeChainIndex } from "../index/native-chain-index.js";

/** Bytes read at a time: a read call costs nothing beside it, and two of them are small beside the index (8 MiB: a 1M-block start held 30 MB less than with 32). */
export const CHUNK_BYTES = 8 * 1024 * 1024;

/** The largest chunk: a record larger than this (a binary record holds at most 64 MiB) is no record. */
const MAX_CHUNK_BYTES = 256 * 1024 * 1024;

/** How a chunked read ended, when it ended early: where a torn last record starts (the records before it whole), else null. */
export interface ChunksEnding {
  tornAt: number | null;
}

/** Buffers in turn: the chunk handed out, the one before it (its digest may still run), the next one being read. */
const BUFFERS = 3;

/** Whole records of a chain file, read in one go. */
export interface RecordChunk {
  /** The records (the file's header too in the first chunk): valid until the chunk after next is read. */
  bytes: Buffer;
  /** Where they start in the file. */
  base: number;
  first: boolean;
  last: boolean;
}

/**
 * The records of a chain file of `size` bytes, front to back, in chunks of
 * whole records of about `chunkBytes` (grown when one record is larger); three
 * buffers in turn: the next chunk is read while the consumer works on this
 * one, and the consumer may hand a chunk to the thread pool (its digest),
 * provided it waits for that work before it asks for the chunk after next. Returns false when the file does not end
 * with a whole record (`ending.tornAt` then says where the cut record
 * starts), a record's framing is damaged, or a record would be larger than
 * MAX_CHUNK_BYTES (the bytes are no chain file): the whole-file check says
 * what is wrong. Reads the first `size` bytes of the file; with `from`, only
 * those from there on (a record starts at `from`; no header is read).
 */
export async function* recordChunks(
  handle: FileHandle,
  size: number,
  codec: ChainCodec,
  chunkBytes = CHUNK_BYTES,
  native: NativeChainIndex | null = null,
  ending: ChunksEnding = { tornAt: null },
  from = 0,
): AsyncGenerator<RecordChunk, boolean> {
  // A small file gets buffers of its size: a start on it allocates next to nothing.
  const bytes = Math.min(chunkBytes, Math.max(size - from, 4096));
  let buffers = Array.from({ length: BUFFERS }, () => Buffer.allocUnsafe(bytes));
  let carried = 0;
  let position = from;
  // Never past `size`: the file may hold more (a torn tail left out, or bytes appended meanwhile).
  const readInto = (buffer: Buffer, at: number) =>
    readFull(
      handle,
      buffer.subarray(0, Math.min(buffer.length, at + size - position)),
      at,
      position,
    );
  /** The read of the next chunk, started before this one is handed out. */
  let ahead: Promise<number> | null = null;
  // Bounded: every turn reads more of the file, or grows the chunk, or ends.
  for (let turn = 0; ; turn++) {
    const buffer = buffers[turn % BUFFERS] as Buffer;
    const got = await (ahead ?? readInto(buffer, carried));
    ahead = null;
    const filled = carried + got;
    position += got;
    const atEnd = position >= size;
    // The file's header, in the first chunk of a read from the file's start.
    const first = turn === 0 && from === 0 ? codec.header.length : 0;
    // A header that is not this codec's (another format, version): the whole-file check names it.
    if (turn === 0 && from === 0 && !buffer.subarray(0, first).equals(codec.header)) return false;
    const end = codec.wholeRecordsEnd(buffer.subarray(0, filled), first, native);
    if (end < 0) return false;
    if (atEnd && end !== filled) {
      // The framing is sound up to `end`; what follows it is one record the file ends inside.
      ending.tornAt = position - filled + end;
      return false;
    }
    if (end === first) {
      if (atEnd || filled < buffer.length || buffer.length * 2 > MAX_CHUNK_BYTES) return false;
      // One record larger than a chunk: larger chunks, the bytes read kept.
      const bigger = buffers.map(() => Buffer.allocUnsafe(buffer.length * 2));
      buffer.copy(bigger[turn % BUFFERS] as Buffer, 0, 0, filled);
      buffers = bigger;
      carried = filled;
      turn--;
      continue;
    }
    if (!atEnd) {
      // The bytes after the last whole record start the next chunk, read meanwhile, into the
      // buffer of the chunk handed out two turns ago (the consumer is done with it: see above).
      const next = buffers[(turn + 1) % BUFFERS] as Buffer;
      carried = filled - end;
      buffer.copy(next, 0, end, filled);
      ahead = readInto(next, carried);
      // A consumer that stops here leaves the read to end on its own (a file handle's close
      // waits for it): its failure is nobody's to hear.
      ahead.catch(() => undefined);
    }
    yield {
      bytes: buffer.subarray(0, end),
      base: position - filled,
      first: turn === 0 && from === 0,
      last: atEnd,
    };
    if (atEnd) return true;
  }
}

/** Reads into `buffer` from `at` until it is full or the file ends; gives how many bytes came. */
async function readFull(
  handle: FileHandle,
  buffer: Buffer,
  at: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (at + done < buffer.length) {
    const { bytesRead } = await handle.read(
      buffer,
      at + done,
      buffer.length - at - done,
      position + done,
    );
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Where the last record of a chain file starts when the file ends inside it
 * and every record before it is framed soundly (a save cut short by a
 * crash): read in chunks, framing only. Null when the file ends with a whole
 * record, or its framing is damaged.
 */
export async function tornTailStart(
  path: string,
  codec: ChainCodec,
  native: NativeChainIndex | null,
): Promise<number | null> {
  const handle = await open(path, "r");
  try {
    const ending: ChunksEnding = { tornAt: null };
    const chunks = recordChunks(
      handle,
      (await handle.stat()).size,
      codec,
      CHUNK_BYTES,
      native,
      ending,
    );
    // Bounded: recordChunks reads the file once, front to back.
    for (let next = await chunks.next(); !next.done; next = await chunks.next());
    return ending.tornAt;
  } finally {
    await handle.close();
  }
}
