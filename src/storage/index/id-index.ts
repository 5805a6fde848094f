import { randomBytes } from "node:crypto";
import type { NativeChainIndex } from "./native-chain-index.js";

const ID_BYTES = 16;
const EMPTY = 0;
const REMOVED = -1;
const HEX_ID = /^[0-9a-f]{32}$/;

/**
 * Data id -> index of the block that holds it, for a chain of any length: the
 * ids as raw bytes in one buffer (16 bytes a block) and an open-addressing
 * table of block indexes in an Int32Array, with a tag byte per slot (8 bits
 * of the id's hash) so that a probe meeting a taken slot seldom reads that
 * block's id: on a long chain the ids are the largest buffer, and each read
 * of one is a cache miss. A Map of a million 32-character strings costs about
 * 100 MB and seconds to build; this costs 21 to 24 bytes a block and a
 * fraction of that time. Blocks are added in index order and removed from the
 * end (a reorg), as the chain changes.
 */
export class IdIndex {
  private ids: Buffer;
  private count = 0;
  /** Slot -> block index + 1 (0 empty, -1 removed). */
  private table: Int32Array;
  /** Slot -> the tag of the id placed there (tagOf its hash); meaningless where the slot is not taken. */
  private tags: Uint8Array;
  private used = 0;
  private readonly scratch = Buffer.alloc(ID_BYTES);
  /** A seed per process, so that ids chosen to collide in the table cannot be prepared in advance. */
  private readonly seed = randomBytes(4).readUInt32LE(0);

  constructor(expected = 1024) {
    this.ids = Buffer.allocUnsafe(Math.max(expected, 16) * ID_BYTES);
    this.table = new Int32Array(tableSizeFor(expected));
    this.tags = new Uint8Array(this.table.length);
  }

  /**
   * The index of a chain's `count` ids, given as 16 raw bytes each in `ids`
   * (taken, not copied), built in one go (by `native` where given). Where an
   * id appears twice, `duplicate` is the index of the first block whose id an
   * earlier block holds (the index is then unusable), else -1.
   */
  static fromIds(
    ids: Buffer,
    count: number,
    native: NativeChainIndex | null,
  ): { index: IdIndex; duplicate: number } {
    const index = new IdIndex(0);
    index.ids = ids;
    index.newTable(count);
    const duplicate = native
      ? native.fillIdTable(ids, count, index.seed, index.table, index.tags)
      : index.placeAll(count);
    index.count = count;
    index.used = count;
    return { index, duplicate };
  }

  /**
   * Adds the ids of blocks size..count-1, given with all before them in
   * `ids` (16 raw bytes each: the chain's ids so far, taken, not copied, as
   * a chunked load gathers them); `expected` is how many ids the table should
   * make room for when it must grow. Gives the first of them whose id an
   * earlier block holds, or -1; after a duplicate the index is unusable.
   */
  extendFrom(
    ids: Buffer,
    count: number,
    native: NativeChainIndex | null,
    expected = count,
  ): number {
    const first = this.count;
    this.ids = ids;
    if (!roomFor(count, this.table.length)) {
      this.newTable(Math.max(expected, count));
      this.count = count;
      this.used = count;
      return native
        ? native.fillIdTable(ids, count, this.seed, this.table, this.tags, 0)
        : this.placeAll(count);
    }
    this.count = count;
    this.used = count;
    return native
      ? native.fillIdTable(ids, count, this.seed, this.table, this.tags, first)
      : this.placeAll(count, first);
  }

  /** The ids of the first `count` blocks, 16 raw bytes each (a view, valid until the next change). */
  idBytes(count = this.count): Buffer {
    return this.ids.subarray(0, Math.min(count, this.count) * ID_BYTES);
  }

  /** How many blocks' ids it holds (the chain's length). */
  get size(): number {
    return this.count;
  }

  /** The index of the block holding `id`, or undefined. */
  get(id: string): number | undefined {
    if (!HEX_ID.test(id)) return undefined;
    this.scratch.write(id, 0, ID_BYTES, "hex");
    const slot = this.find(this.scratch, 0);
    return slot < 0 ? undefined : (this.table[slot] as number) - 1;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Whether it holds the id given as 16 raw bytes at `at` of `bytes`. */
  hasBytes(bytes: Buffer, at: number): boolean {
    return this.find(bytes, at) >= 0;
  }

  /** As get, the id given as 16 raw bytes at `at` of `bytes`. */
  indexOfBytes(bytes: Buffer, at: number): number | undefined {
    const slot = this.find(bytes, at);
    return slot < 0 ? undefined : (this.table[slot] as number) - 1;
  }

  /** The data id of block `index` (hex), or undefined past the end. */
  idAt(index: number): string | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.ids.toString("hex", index * ID_BYTES, (index + 1) * ID_BYTES);
  }

  /** Adds the id of the next block (its index is `size`); gives the index already holding it instead, if any. */
  add(id: string): number | undefined {
    this.scratch.write(id, 0, ID_BYTES, "hex");
    return this.addBytes(this.scratch, 0);
  }

  /** As add, the id given as 16 raw bytes at `at` of `bytes`. */
  addBytes(bytes: Buffer, at: number): number | undefined {
    const found = this.find(bytes, at);
    if (found >= 0) return (this.table[found] as number) - 1;
    if (!roomFor(this.used + 1, this.table.length)) this.rehash((this.count + 1) * 2);
    if ((this.count + 1) * ID_BYTES > this.ids.length) {
      // By an eighth: the first block mined on a loaded chain must not double what its ids take.
      const bigger = Buffer.allocUnsafe(
        this.ids.length + Math.max(this.ids.length >> 3, 1024 * ID_BYTES),
      );
      this.ids.copy(bigger, 0, 0, this.count * ID_BYTES);
      this.ids = bigger;
    }
    // A plain loop: a Buffer.copy call per id costs more than the 16 bytes it moves.
    const ids = this.ids;
    const to = this.count * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) ids[to + i] = bytes[at + i] as number;
    const index = this.count++;
    this.place(bytes, at, index);
    this.used++;
    return undefined;
  }

  /**
   * The first of ids [from, to) (16 raw bytes each in `query`) that it holds
   * at a block index below `below`, or -1: a run's ids checked against the
   * chain up to its parent, in one call (`native` where given).
   */
  firstHeldBelow(
    query: Buffer,
    from: number,
    to: number,
    below: number,
    native: NativeChainIndex | null,
  ): number {
    if (from >= to) return -1;
    if (native) {
      return native.findIds(this.ids, this.table, this.seed, query, from, to, below, this.tags);
    }
    for (let i = from; i < to; i++) {
      const slot = this.find(query, i * ID_BYTES);
      if (slot >= 0 && (this.table[slot] as number) - 1 < below) return i;
    }
    return -1;
  }

  /**
   * Adds the ids of the next `count` blocks, 16 raw bytes each in `ids`, that
   * it is known not to hold (a validated run: its ids were checked against the
   * chain and each other), so none is looked up first; room is made once
   * (placed by `native` where given).
   */
  addAbsent(ids: Buffer, count: number, native: NativeChainIndex | null = null): void {
    if (count <= 0) return;
    if (!roomFor(this.used + count, this.table.length)) {
      this.rehash((this.count + count) * 2, native);
    }
    const needed = (this.count + count) * ID_BYTES;
    if (needed > this.ids.length) {
      // Runs come from a sync: the chain grows fast, so the ids double.
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.ids.length * 2));
      this.ids.copy(bigger, 0, 0, this.count * ID_BYTES);
      this.ids = bigger;
    }
    ids.copy(this.ids, this.count * ID_BYTES, 0, count * ID_BYTES);
    if (native) {
      native.placeIds(this.ids, this.count, count, this.seed, this.table, this.tags);
    } else {
      for (let i = 0; i < count; i++) this.place(ids, i * ID_BYTES, this.count + i);
    }
    this.count += count;
    this.used += count;
  }

  /** Keeps the ids of the first `length` blocks. */
  truncate(length: number): void {
    for (let index = this.count - 1; index >= length; index--) {
      const slot = this.find(this.ids, index * ID_BYTES);
      if (slot >= 0) this.table[slot] = REMOVED;
    }
    this.count = Math.min(this.count, length);
  }

  private hash(bytes: Buffer, at: number): number {
    let h = this.seed;
    for (let i = 0; i < ID_BYTES; i += 4) {
      h = Math.imul(h ^ bytes.readInt32LE(at + i), 0xcc9e2d51);
      h = (h << 15) | (h >>> 17);
    }
    // MurmurHash3's finaliser: every input bit reaches the low bits the table uses.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  /** The slot holding this id, or -1. */
  private find(bytes: Buffer, at: number): number {
    const mask = this.table.length - 1;
    const hash = this.hash(bytes, at);
    const tag = tagOf(hash);
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot] as number;
      if (entry === EMPTY) return -1;
      if (entry > 0 && this.tags[slot] === tag && this.sameId(bytes, at, (entry - 1) * ID_BYTES)) {
        return slot;
      }
    }
  }

  private sameId(bytes: Buffer, at: number, own: number): boolean {
    const ids = this.ids;
    for (let i = 0; i < ID_BYTES; i += 4) {
      if (bytes.readInt32LE(at + i) !== ids.readInt32LE(own + i)) return false;
    }
    return true;
  }

  /** Places block `index`, whose id (not held yet) is 16 raw bytes at `at` of `bytes`, in a free slot. */
  private place(bytes: Buffer, at: number, index: number): void {
    const mask = this.table.length - 1;
    const hash = this.hash(bytes, at);
    let slot = hash & mask;
    while ((this.table[slot] as number) > 0) slot = (slot + 1) & mask;
    this.table[slot] = index + 1;
    this.tags[slot] = tagOf(hash);
  }

  /** An empty table (and tags) for `expected` ids. */
  private newTable(expected: number): void {
    this.table = new Int32Array(tableSizeFor(expected));
    this.tags = new Uint8Array(this.table.length);
  }

  /** Places ids first..count-1 of `ids` in the table (empty, or holding those before); the first index whose id is already there, or -1. */
  private placeAll(count: number, first = 0): number {
    const { ids, table, tags } = this;
    const mask = table.length - 1;
    for (let index = first; index < count; index++) {
      const at = index * ID_BYTES;
      const hash = this.hash(ids, at);
      const tag = tagOf(hash);
      // One probe both looks for the id and finds its free slot (a fresh table has no removed ones).
      let slot = hash & mask;
      for (let entry = table[slot] as number; entry !== EMPTY; entry = table[slot] as number) {
        if (tags[slot] === tag && this.sameId(ids, at, (entry - 1) * ID_BYTES)) return index;
        slot = (slot + 1) & mask;
      }
      table[slot] = index + 1;
      tags[slot] = tag;
    }
    return -1;
  }

  /** A new table for `expected` ids, without the removed ones. */
  private rehash(expected: number, native: NativeChainIndex | null = null): void {
    this.newTable(Math.max(expected, this.count));
    this.used = this.count;
    if (native) {
      native.fillIdTable(this.ids, this.count, this.seed, this.table, this.tags);
      return;
    }
    for (let index = 0; index < this.count; index++) this.place(this.ids, index * ID_BYTES, index);
  }
}

/** The tag of an id whose hash is `hash` (native/chain-index.c id_tag: the same). */
function tagOf(hash: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> 24;
}

/**
 * A power of two at least 1.5 times `expected`: the table at most two thirds
 * full, so that linear probes stay short (about 2 slots on a hit, 5 on a
 * miss), at 5 to 6.7 bytes a block with the tags (a 10-million-block chain's: 80 MiB).
 */
function tableSizeFor(expected: number): number {
  let size = 64;
  while (size < expected * 1.5) size *= 2;
  return size;
}

/** Whether a table of `size` slots holds `used` entries at most two thirds full. */
function roomFor(used: number, size: number): boolean {
  return used * 3 <= size * 2;
}
