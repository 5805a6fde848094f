import { type FileHandle, open } from "node:fs/promises";
import type { ChainCodec } from "../codecs/chain-codec.js";
import { MARK_BYTES } from "../file/block-marks.js";
import { CHUNK_BYTES, recordChunks } from "../file/record-chunks.js";
import { newDigest, queueDigest, type RunningDigest } from "../file/running-digest.js";
import { IdIndex } from "./id-index.js";
import type { NativeChainIndex, RecordIndex } from "./native-chain-index.js";
import { OffsetList } from "./offset-list.js";

const ID_BYTES = 16;
const HASH_BYTES = 32;
/** Fewer bytes than any record of either format takes (a frame and an id; a line with an id). */
const MIN_RECORD_BYTES = 24;
/** indexRecordsInto's answers when it cannot index a chunk for want of memory, or of room in the arrays. */
const OUT_OF_MEMORY = -2;
const NO_ROOM = -3;

/** Where each record of a chain file starts and its data id, read in chunks; no record parsed. */
export interface FileIndex {
  /** Where each record starts (file offsets). */
  starts: OffsetList;
  /** 16 raw bytes per record (the first `count`): its data id. */
  ids: Buffer;
  /** Data id -> block index, built chunk by chunk (unusable when `duplicate` >= 0). */
  idIndex: IdIndex;
  /** The first block whose data id an earlier block holds, or -1. */
  duplicate: number;
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
 * indexVouched). The digest of each chunk is queued in the thread pool as
 * soon as it is read (the pool hashes chunk after chunk without waiting for
 * this thread), while this thread indexes it and the next one is read, so
 * both cost about one pass over the file. The index is null when a record is not laid out as this node writes
 * it, or the file does not end with a whole record (the full check then
 * judges it); the digest is then not taken (null too). With `limit`, only
 * the file's first `limit` bytes are read (its part before a torn tail).
 *
 * Memory: two chunks, and 24 bytes a record (offset and id; 8 more with the
 * marks); never the file.
 */
export async function indexChainFile(
  path: string,
  codec: ChainCodec,
  native: NativeChainIndex | null,
  withMarks = false,
  chunkBytes = CHUNK_BYTES,
  limit = Number.POSITIVE_INFINITY,
  continued: IndexedFile | null = null,
): Promise<IndexedFile | null> {
  const handle = await open(path, "r");
  try {
    return await indexOpenFile(handle, codec, native, withMarks, chunkBytes, limit, continued);
  } finally {
    await handle.close();
  }
}

/** A chain file's index and SHA-256 (the running digest after its last byte). */
export interface IndexedFile {
  index: FileIndex;
  digest: RunningDigest;
}

/**
 * As indexChainFile, for a file that holds more records after the first
 * `continued.index.size` bytes whose index and digest are known (an index
 * snapshot's): only the records after them are read, and added to that
 * index and digest (which are taken, not copied). Null as indexChainFile's,
 * or when the file holds nothing more.
 */
export function indexChainFileAfter(
  path: string,
  codec: ChainCodec,
  native: NativeChainIndex | null,
  continued: IndexedFile,
): Promise<IndexedFile | null> {
  return indexChainFile(
    path,
    codec,
    native,
    false,
    CHUNK_BYTES,
    Number.POSITIVE_INFINITY,
    continued,
  );
}

async function indexOpenFile(
  handle: FileHandle,
  codec: ChainCodec,
  native: NativeChainIndex | null,
  withMarks: boolean,
  chunkBytes: number,
  limit: number,
  continued: IndexedFile | null,
): Promise<IndexedFile | null> {
  const size = Math.min((await handle.stat()).size, limit);
  const from = continued?.index.size ?? 0;
  if (size <= Math.max(codec.header.length, from)) return null;
  const digest = continued?.digest ?? newDigest();
  // A continued index has no marks: the builder takes none.
  const built = new FileIndexBuilder(size, native, withMarks, continued?.index);
  // The digest of the chunk before this one: its buffer is read into next.
  let before: Promise<void> = Promise.resolve();
  let digesting: Promise<void> = Promise.resolve();
  try {
    const chunks = recordChunks(handle, size, codec, chunkBytes, native, undefined, from);
    let next = await chunks.next();
    for (; !next.done; next = await chunks.next()) {
      const { bytes, base, first } = next.value;
      // Queued at once: the pool hashes it right after the chunk before, whatever this thread does.
      digesting = queueDigest(digest, bytes);
      if (native) {
        const from = first ? codec.header.length : 0;
        if (!built.addIndexed(bytes, from, codec.format === "binary", base, native)) return null;
      } else {
        const records = indexChunk(bytes, first, codec);
        if (records === null) return null;
        // The hash of a chunk's last block is the next chunk's first previous_hash: left out.
        built.add(records, records.starts.length, base, base + bytes.length, 1);
      }
      await before;
      before = digesting;
    }
    // false: a torn or unfinished last record, or damage; the full check says which.
    if (next.value !== true || built.count === 0) return null;
  } finally {
    await Promise.allSettled([before, digesting]);
  }
  await digesting;
  return { index: built.index(), digest };
}

/**
 * A FileIndex gathered chunk by chunk: offsets, ids (and the id table, while
 * the thread pool digests the chunk: the start's two largest works overlap),
 * marks when asked for. Room is made for the whole file at the records' size
 * so far, and a little more, so that little is copied or left unused.
 */
export class FileIndexBuilder {
  readonly starts: OffsetList;
  private ids: Buffer = Buffer.allocUnsafe(0);
  private readonly idIndex: IdIndex;
  private duplicate = -1;
  private marks: Buffer | null;
  private readonly unmarked: number[] = [];
  count = 0;

  /** With `continued`, the index goes on from that one's records (its arrays taken; no marks). */
  constructor(
    private readonly size: number,
    private readonly native: NativeChainIndex | null,
    withMarks: boolean,
    continued?: FileIndex,
  ) {
    this.marks = withMarks && !continued ? Buffer.allocUnsafe(0) : null;
    this.starts = continued?.starts ?? new OffsetList();
    this.idIndex = continued?.idIndex ?? new IdIndex(0);
    if (continued) {
      this.ids = continued.ids;
      this.duplicate = continued.duplicate;
      this.count = continued.count;
    }
  }

  /**
   * Adds `added` records of a chunk: their starts (relative to `base`), ids,
   * and hashes (32 bytes each) but the last `unhashed` ones', whose marks are
   * left out; `end` is where the chunk ends in the file.
   */
  add(
    records: { starts: ArrayLike<number>; ids: Buffer; hashes: Buffer },
    added: number,
    base: number,
    end: number,
    unhashed: number,
  ): void {
    const count = this.count;
    const expected = Math.ceil((((count + added) * this.size) / end) * 1.03);
    this.starts.pushShifted(records.starts, added, base, expected);
    this.ids = room(this.ids, count, added, expected, ID_BYTES);
    records.ids.copy(this.ids, count * ID_BYTES, 0, added * ID_BYTES);
    if (this.duplicate < 0) {
      const repeated = this.idIndex.extendFrom(this.ids, count + added, this.native, expected);
      if (repeated >= 0) this.duplicate = repeated;
    }
    if (this.marks !== null) {
      this.marks = room(this.marks, count, added, expected, MARK_BYTES);
      copyMarks(records.hashes, added - unhashed, this.marks, count);
      for (let i = added - unhashed; i < added; i++) this.unmarked.push(count + i);
    }
    this.count = count + added;
  }

  /**
   * Adds the records of one chunk, `bytes` from `from` on (`base` is where
   * `bytes` starts in the file), indexed by the addon straight into this
   * index's arrays; false when they are not laid out as this node writes
   * them. As add, the chunk's last block gets no mark.
   */
  addIndexed(
    bytes: Buffer,
    from: number,
    binary: boolean,
    base: number,
    native: NativeChainIndex,
  ): boolean {
    const count = this.count;
    const end = base + bytes.length;
    // Room for as many records as the records so far suggest (for the whole file at their size),
    // or, in the first chunk or when that is short, for all that can fit.
    const most = Math.ceil((bytes.length - from) / MIN_RECORD_BYTES) + 1;
    const guess = count === 0 ? most : Math.ceil(((bytes.length * count) / base) * 1.1) + 1;
    const expected = count === 0 ? 0 : Math.ceil(((count + guess) * this.size) / end);
    for (const extra of [guess, most]) {
      const offsets = this.starts.reserve(extra, expected);
      this.ids = room(this.ids, count, extra, expected, ID_BYTES);
      if (this.marks !== null) this.marks = room(this.marks, count, extra, expected, MARK_BYTES);
      const added = native.indexRecordsInto(
        bytes,
        from,
        binary,
        base,
        this.ids,
        count,
        offsets.low,
        offsets.at,
        this.marks,
        MARK_BYTES,
      );
      if (added === NO_ROOM) continue;
      if (added === OUT_OF_MEMORY)
        throw new RangeError("out of memory while indexing the chain file");
      if (added < 0) return false;
      this.starts.commitWritten(added, base, end);
      // Chunk by chunk: on two cores this runs while the thread pool digests the chunk.
      if (this.duplicate < 0) {
        const repeated = this.idIndex.extendFrom(this.ids, count + added, native, expected);
        if (repeated >= 0) this.duplicate = repeated;
      }
      if (this.marks !== null && added > 0) this.unmarked.push(count + added - 1);
      this.count = count + added;
      return true;
    }
    throw new Error("the chain index found more records in a chunk than its bytes can hold");
  }

  /** Whether an id added so far is the one given as 16 raw bytes at `at` of `bytes`. */
  holds(bytes: Buffer, at: number): boolean {
    return this.idIndex.hasBytes(bytes, at);
  }

  /** The first of ids [from, to) (16 raw bytes each in `ids`) among those added so far, or -1. */
  firstHeld(ids: Buffer, from: number, to: number): number {
    return this.idIndex.firstHeldBelow(ids, from, to, this.count, this.native);
  }

  index(): FileIndex {
    const { starts, ids, idIndex, duplicate, count, size, marks, unmarked } = this;
    return { starts, ids, idIndex, duplicate, count, size, marks, unmarked };
  }
}

/** `buffer`, or a larger copy, with room for `count + added` items of `bytes` (for `expected` when it grows). */
function room(
  buffer: Buffer,
  count: number,
  added: number,
  expected: number,
  bytes: number,
): Buffer {
  if ((count + added) * bytes <= buffer.length) return buffer;
  const bigger = Buffer.allocUnsafe(Math.max(expected, count + added) * bytes);
  buffer.copy(bigger, 0, 0, count * bytes);
  return bigger;
}

/** The first MARK_BYTES of `count` hashes (32 bytes each) into `marks` from mark `at` on: byte by byte (a copy call per mark costs more). */
function copyMarks(hashes: Buffer, count: number, marks: Buffer, at: number): void {
  for (let i = 0; i < count; i++) {
    const from = i * HASH_BYTES;
    const to = (at + i) * MARK_BYTES;
    for (let j = 0; j < MARK_BYTES; j++) marks[to + j] = hashes[from + j] as number;
  }
}

/** The records of one chunk as the TypeScript indexVouched gives them; the first chunk holds the file's header. */
function indexChunk(chunk: Buffer, first: boolean, codec: ChainCodec): RecordIndex | null {
  if (first || codec.header.length === 0) return codec.indexVouched(chunk, null);
  // The TypeScript indexer reads whole files: this chunk behind the header.
  const records = codec.indexVouched(Buffer.concat([codec.header, chunk]), null);
  if (records === null) return null;
  const starts = records.starts.map((start) => start - codec.header.length);
  return { ...records, starts };
}
