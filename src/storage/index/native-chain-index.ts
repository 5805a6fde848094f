import { loadNativeAddon, NATIVE_ENV, nativeTurnedOff } from "../../config/native-addon.js";

/**
 * The records of a vouched-for chain file, indexed without parsing them: the
 * trusted start holds the chain as these plus the file's bytes.
 */
export interface RecordIndex {
  /** The byte offset at which each record starts. */
  starts: Float64Array;
  /** 16 raw bytes per record: its data id. */
  ids: Buffer;
  /**
   * 32 raw bytes per record: block i's hash, read as record i + 1's
   * previous_hash; the last block's is left for the caller to compute.
   */
  hashes: Buffer;
}

/** The addon's part for the trusted start (native/chain-index.c). */
export interface NativeChainIndex {
  /**
   * The records of `bytes` from offset `from` on, laid out as this node
   * writes them (binary records, or canonical JSON lines): where each starts,
   * its data id and its previous_hash; null when a record is not so laid out.
   */
  indexRecords(bytes: Uint8Array, from: number, binary: boolean): RecordIndex | null;
  /**
   * indexRecords written into a chunked load's arrays: record k's offset in
   * the file (`base` plus its place in `bytes`) as its low 32 bits to
   * low[lowAt + k], its id to ids from (idsAt + k) * 16, and, with `marks`,
   * the first markBytes of its hash (record k + 1's previous_hash) to marks
   * from (idsAt + k) * markBytes, the last record's left out. Gives how many
   * records, or -1 (not laid out as this node writes them), -2 (out of
   * memory), -3 (the arrays have no room for them).
   */
  indexRecordsInto(
    bytes: Uint8Array,
    from: number,
    binary: boolean,
    base: number,
    ids: Uint8Array,
    idsAt: number,
    low: Uint32Array,
    lowAt: number,
    marks: Uint8Array | null,
    markBytes: number,
  ): number;
  /** The binary codec's wholeRecordsEnd (where the whole frames from `from` on end, or -1). */
  wholeFramesEnd(bytes: Uint8Array, from: number): number;
  /**
   * Places ids first..count-1 (16 bytes each) in `table`, an open-addressing
   * table of IdIndex's layout and hash with its tag per slot in `tags` (as
   * many as slots), empty (first 0: it is cleared) or
   * holding ids 0..first-1; gives the first index whose id an earlier one
   * holds, or -1.
   */
  fillIdTable(
    ids: Uint8Array,
    count: number,
    seed: number,
    table: Int32Array,
    tags: Uint8Array,
    first?: number,
  ): number;
  /**
   * The first of `query`'s ids [from, to) that `table` (over `ids`) holds at
   * a block index below `below`, or -1.
   */
  findIds(
    ids: Uint8Array,
    table: Int32Array,
    seed: number,
    query: Uint8Array,
    from: number,
    to: number,
    below: number,
    tags: Uint8Array,
  ): number;
  /** Places ids first..first+count-1 of `ids`, none of them held yet, in `table` (with room for them). */
  placeIds(
    ids: Uint8Array,
    first: number,
    count: number,
    seed: number,
    table: Int32Array,
    tags: Uint8Array,
  ): void;
}

/**
 * The addon's chain index, or null where the TypeScript paths run: the addon
 * is not built or lacks it, or BLOCKCHAIN_NATIVE turns it off.
 */
export function nativeChainIndex(setting = process.env[NATIVE_ENV]): NativeChainIndex | null {
  if (nativeTurnedOff(setting)) return null;
  const native = loadNativeAddon();
  if (native instanceof Error || typeof native.indexRecordsInto !== "function") return null;
  if (typeof native.wholeFramesEnd !== "function") return null;
  if (typeof native.findIds !== "function" || typeof native.placeIds !== "function") return null;
  return native as unknown as NativeChainIndex;
}
