import type { Block } from "../core/block.js";
import type { ChainCodec } from "./chain-codec.js";
import { OffsetList } from "./offset-list.js";

const HASH_BYTES = 32;
/** Decoded blocks kept at hand: the tip and what was just added are read again and again. */
const DECODED_KEPT = 256;

/**
 * A chain held compactly: every block as its record in the chain file's
 * format, one after another in one buffer, plus the start of each record and
 * each block's hash (32 raw bytes). A block is decoded when it is asked for,
 * so that memory per block stays near its size on disk instead of one object
 * graph per block.
 *
 * Records are written over in place after a truncation: a caller that keeps
 * bytes beyond the current call takes a copy (`runFrom`).
 */
export class BlockRecords {
  private bytes: Buffer;
  private used: number;
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
    this.bytes = bytes;
    this.used = used;
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
    return this.bytes.subarray(start, this.starts.at(index + 1) ?? this.used);
  }

  /** Every record, after the codec's header: a whole file's worth. */
  copyAll(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.used));
  }

  /** Where each record starts (a copy). */
  startsCopy(): OffsetList {
    return this.starts.copy();
  }

  /** The records from `from` on, copied, with where each starts and its hash: what a save appends. */
  runFrom(from: number): { from: number; bytes: Buffer; starts: number[]; hashes: string[] } {
    const first = this.starts.at(from) ?? this.used;
    const starts: number[] = [];
    const hashes: string[] = [];
    for (let i = from; i < this.starts.length; i++) {
      starts.push((this.starts.at(i) as number) - first);
      hashes.push(this.hashAt(i) as string);
    }
    return { from, bytes: Buffer.from(this.bytes.subarray(first, this.used)), starts, hashes };
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
      return Buffer.from(this.bytes.subarray(first, this.starts.at(end) ?? this.used));
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

  /** Appends a block: its record (encoded here unless given) and its hash. */
  push(block: Block, hash: string, record: Buffer = this.codec.encodeRecord(block)): void {
    const index = this.starts.length;
    this.bytes = grown(this.bytes, this.used + record.length);
    record.copy(this.bytes, this.used);
    this.starts.push(this.used);
    this.used += record.length;
    this.hashes = grown(this.hashes, (index + 1) * HASH_BYTES);
    this.hashes.write(hash, index * HASH_BYTES, HASH_BYTES, "hex");
    this.keep(index, block);
  }

  /** Keeps the first `length` blocks. */
  truncate(length: number): void {
    if (length >= this.starts.length) return;
    this.used = this.starts.at(length) as number;
    this.starts.truncate(length);
    for (const index of this.decoded.keys()) if (index >= length) this.decoded.delete(index);
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
 * least 1 MiB): appends still cost O(1) on average, and the first block mined
 * on a loaded chain does not double the memory the chain takes.
 */
function grown(buffer: Buffer, size: number): Buffer {
  if (size <= buffer.length) return buffer;
  const step = Math.max(buffer.length >> 3, 1024 * 1024);
  const bigger = Buffer.allocUnsafe(Math.max(size, buffer.length + step));
  buffer.copy(bigger);
  return bigger;
}
