import { type FileHandle, open } from "node:fs/promises";
import { MARK_BYTES } from "./block-marks.js";
import type { ChainCodec } from "./chain-codec.js";
import type { NativeChainIndex, RecordIndex } from "./native-chain-index.js";
import { OffsetList } from "./offset-list.js";
import { extendDigest, newDigest, type RunningDigest } from "./running-digest.js";

const ID_BYTES = 16;
const HASH_BYTES = 32;
/** Bytes read at a time: large enough that a call's cost is nothing, small beside memory. */
export const INDEX_CHUNK_BYTES = 32 * 1024 * 1024;

/** Where each record of a chain file starts and its data id, read in chunks; no record parsed. */
export interface FileIndex {
  /** Where each record starts (file offsets). */
  starts: OffsetList;
  /** 16 raw bytes per record (the first `count`): its data id. */
  ids: Buffer;
  count: number;
  /** The file's size: where the last record ends. */
  size: number;
  /**
   * When asked for (`withMarks`): each block's mark (the first MARK_BYTES of
   * its hash, from the next record's previous_hash), but the last one's and
   * those at `unmarked` (the last record of each chunk), left to the caller.
   */
  marks: Buffer | null;
  unmarked: number[];
}

/**
 * Reads a chain file from front to back in chunks of whole records
 * (`chunkBytes`, grown when one record is larger), and gives its SHA-256
 * (what its .hash holds) and, as if the .hash vouched for it, where each
 * record starts with its data id (`native` where the addon is built, as
 * indexVouched). The digest of a chunk runs in the thread pool while this
 * thread indexes it and reads the next, so both cost about one pass over the
 * file. The index is null when a record is not laid out as this node writes
 * it, or the file does not end with a whole record (the full check then
 * judges it); the digest is then not taken (null too).
 *
 * Memory: two chunks, and 24 bytes a record (offset and id; 8 more with the
 * marks); never the file.
 */
export async function indexChainFile(
  path: string,
  codec: ChainCodec,
  native: NativeChainIndex | null,
  withMarks = false,
  chunkBytes = INDEX_CHUNK_BYTES,
): Promise<{ index: FileIndex; digest: RunningDigest } | null> {
  const handle = await open(path, "r");
  try {
    return await indexOpenFile(handle, codec, native, withMarks, chunkBytes);
  } finally {
    await handle.close();
  }
}

async function indexOpenFile(
  handle: FileHandle,
  codec: ChainCodec,
  native: NativeChainIndex | null,
  withMarks: boolean,
  chunkBytes: number,
): Promise<{ index: FileIndex; digest: RunningDigest } | null> {
  const size = (await handle.stat()).size;
  if (size <= codec.header.length) return null;
  const digest = newDigest();
  let buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  const starts = new OffsetList();
  let ids = Buffer.allocUnsafe(0);
  let marks = withMarks ? Buffer.allocUnsafe(0) : null;
  const unmarked: number[] = [];
  let count = 0;
  let digesting: Promise<void> = Promise.resolve();
  let carried = 0;
  let position = 0;
  // Bounded: every turn reads at least one byte more, or grows the chunk, or ends.
  for (let turn = 0; ; turn++) {
    const buffer = buffers[turn % 2] as Buffer;
    const filled = carried + (await readFull(handle, buffer, carried, position));
    position += filled - carried;
    const atEnd = position >= size;
    const first = turn === 0 ? codec.header.length : 0;
    const end = codec.wholeRecordsEnd(buffer.subarray(0, filled), first);
    if (end < 0 || (atEnd && end !== filled)) {
      // Damage, a torn or unfinished last record: the full check says which.
      await digesting;
      return null;
    }
    if (end === first) {
      if (atEnd || filled < buffer.length) {
        await digesting;
        return null;
      }
      // One record larger than a chunk: larger chunks, the bytes read kept.
      await digesting;
      const bigger = buffers.map(() => Buffer.allocUnsafe(buffer.length * 2));
      buffer.copy(bigger[turn % 2] as Buffer, 0, 0, filled);
      buffers = bigger;
      carried = filled;
      turn--;
      continue;
    }
    const chunk = buffer.subarray(0, end);
    await digesting;
    digesting = extendDigest(digest, chunk);
    const records = indexChunk(chunk, turn === 0, codec, native);
    if (records === null) {
      await digesting;
      return null;
    }
    const added = records.starts.length;
    const base = position - filled;
    // Room for the whole file at the records' size so far, and an eighth more.
    const expected = Math.ceil((((count + added) * size) / (base + end)) * 1.125);
    starts.pushShifted(records.starts, added, base, expected);
    if ((count + added) * ID_BYTES > ids.length) {
      const bigger = Buffer.allocUnsafe(Math.max(expected, count + added) * ID_BYTES);
      ids.copy(bigger, 0, 0, count * ID_BYTES);
      ids = bigger;
    }
    records.ids.copy(ids, count * ID_BYTES, 0, added * ID_BYTES);
    if (marks !== null) {
      if ((count + added) * MARK_BYTES > marks.length) {
        const bigger = Buffer.allocUnsafe(Math.max(expected, count + added) * MARK_BYTES);
        marks.copy(bigger, 0, 0, count * MARK_BYTES);
        marks = bigger;
      }
      copyMarks(records.hashes, added - 1, marks, count);
      unmarked.push(count + added - 1);
    }
    count += added;
    if (atEnd) {
      await digesting;
      return { index: { starts, ids, count, size, marks, unmarked }, digest };
    }
    // The bytes after the last whole record start the next chunk (whose digest is done).
    const next = buffers[(turn + 1) % 2] as Buffer;
    carried = filled - end;
    buffer.copy(next, 0, end, filled);
  }
}

/** The first MARK_BYTES of `count` hashes (32 bytes each) into `marks` from mark `at` on: byte by byte (a copy call per mark costs more). */
function copyMarks(hashes: Buffer, count: number, marks: Buffer, at: number): void {
  for (let i = 0; i < count; i++) {
    const from = i * HASH_BYTES;
    const to = (at + i) * MARK_BYTES;
    for (let j = 0; j < MARK_BYTES; j++) marks[to + j] = hashes[from + j] as number;
  }
}

/** The records of one chunk as indexVouched gives them; the first chunk holds the file's header. */
function indexChunk(
  chunk: Buffer,
  first: boolean,
  codec: ChainCodec,
  native: NativeChainIndex | null,
): RecordIndex | null {
  if (first) return codec.indexVouched(chunk, native);
  if (native) return native.indexRecords(chunk, 0, codec.format === "binary");
  if (codec.header.length === 0) return codec.indexVouched(chunk, null);
  // The TypeScript indexer reads whole files: this chunk behind the header.
  const records = codec.indexVouched(Buffer.concat([codec.header, chunk]), null);
  if (records === null) return null;
  const starts = records.starts.map((start) => start - codec.header.length);
  return { ...records, starts };
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
