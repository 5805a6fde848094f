import type { Block } from "../core/block.js";
import { BINARY_CODEC } from "./binary-codec.js";
import type { ChainCodec } from "./chain-codec.js";
import { JSON_LINES_CODEC } from "./json-lines-codec.js";
import { OffsetList } from "./offset-list.js";
import { binaryToJsonLines } from "./record-transcode.js";
import { SegmentedBytes } from "./segmented-bytes.js";

const HASH_BYTES = 32;
/** Decoded blocks kept at hand: the tip and what was just added are read again and again. */
const DECODED_KEPT = 256;

/**
 * A chain held compactly: every block as its record in the chain file's
 * format, one after another (in one byte space of segments: a sync's pages
 * are kept as they came, not copied), plus the start of each record and
 * each block's hash (32 raw bytes). A block is decoded when it is asked for,
 * so that memory per block stays near its size on disk instead of one object
 * graph per block.
 *
 * Records are written over in place after a truncation: a caller that keeps
 * bytes beyond the current call takes a copy (`runFrom`).
 */
export class BlockRecords {
  private readonly space: SegmentedBytes;
  private readonly starts: OffsetList;
  private hashes: Buffer;
  private readonly decoded = new Map<number, Block>();

  /**
   * `bytes` holds `starts.length` records, from `starts[0]` up to `used`;
   * `hashes` their hashes, 32 bytes each (both are taken, not copied).
   */
  constructor(
    readonly codec: ChainCodec,
    bytes: Buffer,
    used: number,
    starts: OffsetList,
    hashes: Buffer,
  ) {
    this.space = new SegmentedBytes(bytes, used);
    this.starts = starts;
    this.hashes = hashes;
  }

  /** No blocks yet (records are appended after the codec's header). */
  static empty(codec: ChainCodec): BlockRecords {
    const bytes = Buffer.alloc(Math.max(4096, codec.header.length));
    codec.header.copy(bytes);
    return new BlockRecords(
      codec,
      bytes,
      codec.header.length,
      new OffsetList(),
      Buffer.alloc(HASH_BYTES * 64),
    );
  }

  get length(): number {
    return this.starts.length;
  }

  /** The bytes of record `index` (a view: copy it to keep it). */
  recordAt(index: number): Buffer {
    const start = this.starts.at(index) as number;
    return this.space.view(start, this.starts.at(index + 1) ?? this.used);
  }

  /** Every record, after the codec's header: a whole file's worth. */
  copyAll(): Buffer {
    return this.space.copy(0, this.used);
  }

  /** Where each record starts (a copy). */
  startsCopy(): OffsetList {
    return this.starts.copy();
  }

  /** The records from `from` on, copied, with where each starts and its hash: what a save appends. */
  runFrom(from: number): { from: number; bytes: Buffer; starts: number[]; hashes: Buffer } {
    const first = this.starts.at(from) ?? this.used;
    const starts: number[] = [];
    for (let i = from; i < this.starts.length; i++) {
      starts.push((this.starts.at(i) as number) - first);
    }
    const hashes = Buffer.from(
      this.hashes.subarray(from * HASH_BYTES, this.starts.length * HASH_BYTES),
    );
    return { from, bytes: this.space.copy(first, this.used), starts, hashes };
  }

  /**
   * Blocks `from` on as records of `codec`, at most `limit` of them and, past
   * the first, at most `maxBytes` in all: the stored bytes themselves when the
   * chain is held in that codec, else each block re-encoded.
   */
  recordsIn(from: number, limit: number, maxBytes: number, codec: ChainCodec): Buffer {
    const stop = Math.min(this.starts.length, from + limit);
    if (from < 0 || from >= stop) return Buffer.alloc(0);
    if (codec === this.codec) {
      let end = from + 1;
      const first = this.starts.at(from) as number;
      while (end < stop && (this.starts.at(end + 1) ?? this.used) - first <= maxBytes) end++;
      return this.space.copy(first, this.starts.at(end) ?? this.used);
    }
    if (this.codec === BINARY_CODEC && codec === JSON_LINES_CODEC) {
      // Byte to byte: no block decoded, no JSON text made.
      const stored = this.space.view(
        this.starts.at(from) as number,
        this.starts.at(stop) ?? this.used,
      );
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
    if (index < 0 || index >= this.starts.length) return undefined;
    const kept = this.decoded.get(index);
    if (kept) return kept;
    const block = this.codec.decodeRecord(this.recordAt(index));
    if (typeof block === "string") throw new Error(`record ${index} does not decode: ${block}`);
    this.keep(index, block);
    return block;
  }

  hashAt(index: number): string | undefined {
    if (index < 0 || index >= this.starts.length) return undefined;
    return this.hashes.toString("hex", index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  /**
   * The first `size` bytes of every block's hash, one after another, read
   * from the raw hashes (a million hex strings would cost seconds and memory).
   */
  hashPrefixes(size: number): Buffer {
    const count = this.starts.length;
    const out = Buffer.allocUnsafe(count * size);
    const hashes = this.hashes;
    if (size % 4 === 0 && hashes.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
      // Four bytes at a time: a million marks in a few milliseconds.
      const from = new Uint32Array(hashes.buffer, hashes.byteOffset, (count * HASH_BYTES) / 4);
      const to = new Uint32Array(out.buffer, out.byteOffset, (count * size) / 4);
      const words = size / 4;
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < words; j++) to[i * words + j] = from[i * 8 + j] as number;
      }
      return out;
    }
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < size; j++) out[i * size + j] = hashes[i * HASH_BYTES + j] as number;
    }
    return out;
  }

  /** The hash of block `index`: a view of its 32 raw bytes (copy it to keep it), or undefined past the end. */
  hashBytesAt(index: number): Buffer | undefined {
    if (index < 0 || index >= this.starts.length) return undefined;
    return this.hashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
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
    const base = this.used - first;
    this.space.append(bytes.subarray(first));
    for (let i = 0; i < count; i++) this.starts.push(base + (starts[i] as number));
    const at = (this.starts.length - count) * HASH_BYTES;
    // A run comes from a sync: the chain grows fast, so the hashes double.
    this.hashes = grown(this.hashes, at + count * HASH_BYTES, this.hashes.length);
    hashes.copy(this.hashes, at, 0, count * HASH_BYTES);
  }

  /** Appends a block: its record (encoded here unless given) and its hash. */
  push(block: Block, hash: string, record: Buffer = this.codec.encodeRecord(block)): void {
    const index = this.starts.length;
    this.starts.push(this.used);
    this.space.write(record);
    this.hashes = grown(this.hashes, (index + 1) * HASH_BYTES);
    this.hashes.write(hash, index * HASH_BYTES, HASH_BYTES, "hex");
    this.keep(index, block);
  }

  /** Keeps the first `length` blocks. */
  truncate(length: number): void {
    if (length >= this.starts.length) return;
    this.space.truncate(this.starts.at(length) as number);
    this.starts.truncate(length);
    for (const index of this.decoded.keys()) if (index >= length) this.decoded.delete(index);
  }

  /** How many bytes the records take (the codec's header included). */
  private get used(): number {
    return this.space.length;
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
