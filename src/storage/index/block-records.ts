import type { Block } from "../../core/block.js";
import { BINARY_CODEC } from "../codecs/binary-codec.js";
import type { ChainCodec } from "../codecs/chain-codec.js";
import { JSON_LINES_CODEC } from "../codecs/json-lines-codec.js";
import { binaryToJsonLines } from "../codecs/record-transcode.js";
import type { RecordFile } from "../file/record-file.js";
import { type NativeChainIndex, nativeChainIndex } from "./native-chain-index.js";
import { OffsetList } from "./offset-list.js";
import { SegmentedBytes } from "./segmented-bytes.js";

const HASH_BYTES = 32;
/** Decoded blocks kept at hand: the tip and what was just added are read again and again. */
const DECODED_KEPT = 256;
/** Bytes read from the file at a time when every block's hash is derived (the marks). */
const SCAN_BYTES = 16 * 1024 * 1024;

/**
 * Where the saved blocks are: the chain file, the start of each of its
 * records (shared with the ChainStore that appends them) and where the last
 * one ends.
 */
export interface SavedRecords {
  file: RecordFile;
  starts: OffsetList;
}

/**
 * A chain held compactly, in two parts:
 *
 * - the blocks already saved (`onFile` of them) stay in the chain file and
 *   are read on demand (RecordFile: pread), from the start of each record.
 *   Their hashes are not held: the hash of block i is record i + 1's
 *   previous_hash, and the last saved block's hash is kept;
 * - the blocks not saved yet (mined, synced, or written after a reorg's fork
 *   point) are held as records of the codec in one byte space of segments (a
 *   sync's pages are kept as they came, not copied), with their hashes (32
 *   raw bytes each), until a save puts them in the file (`moveToFile`).
 *
 * Memory then follows what must be indexed (8 bytes a saved block), not the
 * chain's size on disk. A block is decoded when asked for, and the last few
 * are kept decoded.
 *
 * Records in memory are written over after a truncation: a caller that keeps
 * bytes beyond the current call takes a copy (`runFrom`).
 */
export class BlockRecords {
  /** The chain file, or null while no block is saved (a chain built in memory). */
  private file: RecordFile | null;
  /** Starts of the file's records; the first `onFile` of them are this chain's blocks. */
  private fileStarts: OffsetList;
  private onFile: number;
  /** Where record `onFile - 1` ends in the file. */
  private fileEnd: number;
  /** The hash of block `onFile - 1` (the others' are the next record's previous_hash). */
  private lastFileHash: Buffer;

  private memory: SegmentedBytes;
  /** Where each unsaved record starts in `memory`. */
  private memoryStarts: OffsetList;
  /** The unsaved blocks' hashes, 32 bytes each. */
  private memoryHashes: Buffer;
  private readonly decoded = new Map<number, Block>();

  private constructor(readonly codec: ChainCodec) {
    this.file = null;
    this.fileStarts = new OffsetList();
    this.onFile = 0;
    this.fileEnd = 0;
    this.lastFileHash = Buffer.alloc(HASH_BYTES);
    this.memory = new SegmentedBytes(Buffer.allocUnsafe(4096), 0);
    this.memoryStarts = new OffsetList();
    this.memoryHashes = Buffer.alloc(HASH_BYTES * 64);
  }

  /** No blocks yet. */
  static empty(codec: ChainCodec): BlockRecords {
    return new BlockRecords(codec);
  }

  /**
   * Records held in memory: `bytes` holds `starts.length` records, the last
   * ending at `bytes.length`; `hashes` their hashes, 32 bytes each (both are
   * taken, not copied). A chain read whole by a tool (convert, import).
   */
  static inMemory(
    codec: ChainCodec,
    bytes: Buffer,
    starts: OffsetList,
    hashes: Buffer,
  ): BlockRecords {
    const records = new BlockRecords(codec);
    records.memory = new SegmentedBytes(bytes, bytes.length);
    records.memoryStarts = starts;
    records.memoryHashes = hashes;
    return records;
  }

  /**
   * The first `count` records of a chain file, read on demand: `saved.starts`
   * where each starts (shared, not copied), `end` where the last one ends,
   * `tipHash` the last one's hash (32 raw bytes).
   */
  static onFile(
    codec: ChainCodec,
    saved: SavedRecords,
    count: number,
    end: number,
    tipHash: Buffer,
  ): BlockRecords {
    const records = new BlockRecords(codec);
    records.file = saved.file;
    records.fileStarts = saved.starts;
    records.onFile = count;
    records.fileEnd = end;
    records.lastFileHash = Buffer.from(tipHash);
    return records;
  }

  get length(): number {
    return this.onFile + this.memoryStarts.length;
  }

  /** How many leading blocks are read from the chain file (the rest are held in memory). */
  get savedLength(): number {
    return this.onFile;
  }

  /** Where each record held in memory starts, a copy (for records read whole from a file: its offsets). */
  startsOf(): OffsetList {
    return this.memoryStarts.copy();
  }

  /** The bytes of record `index` (maybe a view: copy it to keep it). */
  recordAt(index: number): Buffer {
    if (index < this.onFile) return this.fileBytes(index, index + 1);
    const at = index - this.onFile;
    return this.memory.view(
      this.memoryStarts.at(at) as number,
      this.memoryStarts.at(at + 1) ?? this.memory.length,
    );
  }

  /** The records of blocks [from, to), one after another (a copy). */
  recordsBetween(from: number, to: number): Buffer {
    if (from >= to) return Buffer.alloc(0);
    const split = Math.max(from, Math.min(to, this.onFile));
    const saved = from < split ? this.fileBytes(from, split) : null;
    const held =
      split < to ? this.memory.copy(this.memoryOffset(split), this.memoryOffset(to)) : null;
    if (saved && held) return Buffer.concat([saved, held]);
    return (saved ?? held) as Buffer;
  }

  /** How many bytes the records of blocks [from, to) take. */
  bytesBetween(from: number, to: number): number {
    if (from >= to) return 0;
    const split = Math.max(from, Math.min(to, this.onFile));
    const saved = from < split ? this.endOf(split - 1) - this.startOf(from) : 0;
    const held = split < to ? this.memoryOffset(to) - this.memoryOffset(split) : 0;
    return saved + held;
  }

  /**
   * The records from `from` on, with where each starts and its hash: what a
   * save appends. Their bytes come as pieces that stay as they are while the
   * chain changes (records held in memory as a sync brought them are not
   * copied); `bytes` joins them.
   */
  runFrom(from: number): RecordRun {
    const length = this.length;
    const split = Math.max(from, Math.min(length, this.onFile));
    const pieces: Buffer[] = [];
    if (from < split) pieces.push(this.fileBytes(from, split));
    if (split < length) {
      pieces.push(...this.memory.pieces(this.memoryOffset(split), this.memoryOffset(length)));
    }
    const starts: number[] = new Array(length - from);
    const hashes = Buffer.allocUnsafe((length - from) * HASH_BYTES);
    let at = 0;
    for (let i = from; i < split; i++) {
      starts[i - from] = at;
      at += this.endOf(i) - this.startOf(i);
      (this.hashBytesAt(i) as Buffer).copy(hashes, (i - from) * HASH_BYTES);
    }
    // The blocks held in memory (all of a save's, but after a reorg below the file's end):
    // their starts shifted and their hashes copied in one go, not block by block.
    if (split < length) {
      const shift = at - this.memoryOffset(split);
      for (let i = split; i < length; i++) {
        starts[i - from] = shift + (this.memoryStarts.at(i - this.onFile) as number);
      }
      const held = (split - this.onFile) * HASH_BYTES;
      this.memoryHashes.copy(
        hashes,
        (split - from) * HASH_BYTES,
        held,
        held + (length - split) * HASH_BYTES,
      );
    }
    return recordRun(from, pieces, starts, hashes);
  }

  /**
   * Blocks `from` on as records of `codec`, at most `limit` of them and, past
   * the first, at most `maxBytes` in all: the stored bytes themselves when the
   * chain is held in that codec, else each block re-encoded.
   */
  recordsIn(from: number, limit: number, maxBytes: number, codec: ChainCodec): Buffer {
    const stop = Math.min(this.length, from + limit);
    if (from < 0 || from >= stop) return Buffer.alloc(0);
    if (codec === this.codec || (this.codec === BINARY_CODEC && codec === JSON_LINES_CODEC)) {
      // Whole records up to maxBytes (binary ones are smaller than their JSON lines, so
      // these hold at least what the page may carry): read once, from the file or memory.
      let end = from + 1;
      while (end < stop && this.bytesBetween(from, end + 1) <= maxBytes) end++;
      const stored = this.recordsBetween(from, end);
      if (codec === this.codec) return stored;
      // Byte to byte: no block decoded, no JSON text made.
      const lines = binaryToJsonLines(stored, maxBytes, true);
      if (typeof lines === "string") throw new Error(`stored records do not transcode: ${lines}`);
      return lines.bytes;
    }
    const records: Buffer[] = [];
    let total = 0;
    for (let i = from; i < stop; i++) {
      const record = codec.encodeRecord(this.blockAt(i) as Block);
      if (records.length > 0 && total + record.length > maxBytes) break;
      records.push(record);
      total += record.length;
    }
    return Buffer.concat(records, total);
  }

  /** The block at `index`, decoded from its record (or undefined past the end). */
  blockAt(index: number): Block | undefined {
    if (index < 0 || index >= this.length) return undefined;
    const kept = this.decoded.get(index);
    if (kept) return kept;
    const block = this.codec.decodeRecord(this.recordAt(index));
    if (typeof block === "string") throw new Error(`record ${index} does not decode: ${block}`);
    this.keep(index, block);
    return block;
  }

  hashAt(index: number): string | undefined {
    return this.hashBytesAt(index)?.toString("hex");
  }

  /**
   * The hash of block `index` as 32 raw bytes (maybe a view: copy it to keep
   * it), or undefined past the end. A saved block's is read from the record
   * after it.
   */
  hashBytesAt(index: number): Buffer | undefined {
    if (index < 0 || index >= this.length) return undefined;
    if (index >= this.onFile) {
      const at = (index - this.onFile) * HASH_BYTES;
      return this.memoryHashes.subarray(at, at + HASH_BYTES);
    }
    if (index === this.onFile - 1) return this.lastFileHash;
    const next = this.blockAt(index + 1) as Block;
    return Buffer.from(next.previous_hash as string, "hex");
  }

  /**
   * The first `size` bytes of every block's hash, one after another (the
   * marks of a chain file): a saved block's is the next record's
   * previous_hash, read from the file a few megabytes at a time by the chain
   * index (`native`, as the trusted start reads them) or, without it, decoded.
   */
  hashPrefixes(size: number, native: NativeChainIndex | null = nativeChainIndex()): Buffer {
    const count = this.length;
    const out = Buffer.allocUnsafe(count * size);
    // Records [from, to) give the hashes of blocks from .. to - 2; the next run starts at to - 1.
    for (let from = 0; from < this.onFile - 1; ) {
      let to = from + 2;
      while (to < this.onFile && this.bytesBetween(from, to + 1) <= SCAN_BYTES) to++;
      const bytes = this.fileBytes(from, to);
      const index = native?.indexRecords(bytes, 0, this.codec.format === "binary") ?? null;
      for (let i = from; i < to - 1; i++) {
        if (index) {
          index.hashes.copy(out, i * size, (i - from) * HASH_BYTES, (i - from) * HASH_BYTES + size);
        } else {
          const base = this.startOf(from);
          const next = bytes.subarray(this.startOf(i + 1) - base, this.endOf(i + 1) - base);
          const block = this.codec.decodeRecord(next);
          if (typeof block === "string")
            throw new Error(`record ${i + 1} does not decode: ${block}`);
          out.write(block.previous_hash as string, i * size, size, "hex");
        }
      }
      from = to - 1;
    }
    for (let i = Math.max(0, this.onFile - 1); i < count; i++) {
      (this.hashBytesAt(i) as Buffer).copy(out, i * size, 0, size);
    }
    return out;
  }

  /**
   * Appends a run of records of this codec, already validated: `bytes` holds
   * them one after another from `starts[0]` to its end, `starts` where each
   * starts, `hashes` their hashes (32 bytes each). The records are kept as
   * they are (the caller must not change `bytes` afterwards); no block is decoded.
   */
  appendRun(bytes: Buffer, starts: readonly number[], hashes: Buffer): void {
    const count = starts.length;
    if (count === 0) return;
    const first = starts[0] as number;
    const base = this.memory.length - first;
    this.memory.append(bytes.subarray(first));
    this.memoryStarts.pushShifted(starts, count, base);
    const at = (this.memoryStarts.length - count) * HASH_BYTES;
    // A run comes from a sync: the chain grows fast, so the hashes double.
    this.memoryHashes = grown(this.memoryHashes, at + count * HASH_BYTES, this.memoryHashes.length);
    hashes.copy(this.memoryHashes, at, 0, count * HASH_BYTES);
  }

  /** Appends a block: its record (encoded here unless given) and its hash. */
  push(block: Block, hash: string, record: Buffer = this.codec.encodeRecord(block)): void {
    const index = this.length;
    const at = this.memoryStarts.length;
    this.memoryStarts.push(this.memory.length);
    this.memory.write(record);
    this.memoryHashes = grown(this.memoryHashes, (at + 1) * HASH_BYTES);
    this.memoryHashes.write(hash, at * HASH_BYTES, HASH_BYTES, "hex");
    this.keep(index, block);
  }

  /**
   * Keeps the first `length` blocks. Cutting into the saved blocks leaves the
   * file as it is (the next save cuts it): they are no longer read from it.
   */
  truncate(length: number): void {
    if (length >= this.length) return;
    if (length >= this.onFile) {
      const at = length - this.onFile;
      this.memory.truncate(this.memoryStarts.at(at) as number);
      this.memoryStarts.truncate(at);
    } else {
      // Block length - 1's hash, read while record `length` is still this chain's (it decodes,
      // and keeps, block `length`: the kept blocks are dropped below, after it).
      this.lastFileHash = Buffer.from(this.hashBytesAt(length - 1) as Buffer);
      this.fileEnd = this.startOf(length);
      this.onFile = length;
      this.memory = new SegmentedBytes(Buffer.allocUnsafe(4096), 0);
      this.memoryStarts = new OffsetList();
    }
    for (const index of this.decoded.keys()) if (index >= length) this.decoded.delete(index);
  }

  /**
   * After a save: the first `count` blocks (`count` at least savedLength, at
   * most length) are in `saved`'s file as they are here, record i from
   * `saved.starts[i]`, the last one ending at `end`. They are read from there
   * from now on and leave memory.
   */
  moveToFile(saved: SavedRecords, count: number, end: number): void {
    const length = this.length;
    if (count <= this.onFile || count > length) return;
    if (this.file !== null && this.file !== saved.file) {
      throw new Error("the chain's saved blocks are in another file than the one saved to");
    }
    const lastHash = Buffer.from(this.hashBytesAt(count - 1) as Buffer);
    // The blocks after `count` (added while the save ran: a sync that saves as it goes adds
    // thousands) stay in memory as the pieces they are held in, not copied (but small ones).
    const rest = this.runFrom(count);
    this.file = saved.file;
    this.fileStarts = saved.starts;
    this.onFile = count;
    this.fileEnd = end;
    this.lastFileHash = lastHash;
    this.memory = new SegmentedBytes(Buffer.allocUnsafe(4096), 0);
    for (const piece of rest.pieces) this.memory.append(piece);
    this.memoryStarts = new OffsetList();
    this.memoryStarts.pushShifted(rest.starts, rest.starts.length, 0);
    this.memoryHashes = Buffer.alloc(Math.max(64, rest.starts.length) * HASH_BYTES);
    rest.hashes.copy(this.memoryHashes);
  }

  /** Where record `index` starts: a file offset when saved, else an offset in memory. */
  private startOf(index: number): number {
    if (index < this.onFile) return this.fileStarts.at(index) as number;
    return this.memoryOffset(index);
  }

  /** Where record `index` ends (in the file or in memory, as startOf). */
  private endOf(index: number): number {
    if (index < this.onFile - 1) return this.fileStarts.at(index + 1) as number;
    if (index === this.onFile - 1) return this.fileEnd;
    return this.memoryOffset(index + 1);
  }

  private memoryOffset(index: number): number {
    return this.memoryStarts.at(index - this.onFile) ?? this.memory.length;
  }

  /** Saved records [from, to), read from the file. */
  private fileBytes(from: number, to: number): Buffer {
    const file = this.file as RecordFile;
    return file.read(this.fileStarts.at(from) as number, this.endOf(to - 1));
  }

  private keep(index: number, block: Block): void {
    if (this.decoded.size >= DECODED_KEPT) {
      // The map iterates in insertion order: drop the block kept longest.
      const oldest = this.decoded.keys().next().value as number;
      this.decoded.delete(oldest);
    }
    this.decoded.set(index, block);
  }
}

/** A run of records to append from block `from` on, with the hash of each block. */
export interface RecordRun {
  from: number;
  /** The records of blocks `from`, `from + 1`, ..., one after another, in pieces (that a save may keep). */
  pieces: readonly Buffer[];
  /** The pieces joined (a copy). */
  readonly bytes: Buffer;
  /** Where each record starts in the pieces joined. */
  starts: number[];
  /** The hash of each block, 32 raw bytes each. */
  hashes: Buffer;
}

/** A RecordRun of `pieces`. */
export function recordRun(
  from: number,
  pieces: readonly Buffer[],
  starts: number[],
  hashes: Buffer,
): RecordRun {
  return {
    from,
    pieces,
    starts,
    hashes,
    get bytes() {
      return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    },
  };
}

/**
 * `buffer`, or a copy at least `size` bytes long. It grows by an eighth (at
 * least 1 MiB, or `minStep`): appends still cost O(1) on average, and the
 * first block mined on a loaded chain does not double what the hashes take.
 */
function grown(buffer: Buffer, size: number, minStep = 0): Buffer {
  if (size <= buffer.length) return buffer;
  const step = Math.max(buffer.length >> 3, 1024 * 1024, minStep);
  const bigger = Buffer.allocUnsafe(Math.max(size, buffer.length + step));
  buffer.copy(bigger);
  return bigger;
}
