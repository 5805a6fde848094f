import type { Block } from "../core/block.js";

/*
 * The shapes every chain file codec shares, apart from the codecs themselves
 * so that chain-format.ts (which picks a codec) and the codecs import only
 * downwards: codecs -> chain-codec, chain-format -> codecs.
 */

/** The chain file formats: JSON Lines, or the project's compact binary format. */
export type ChainFormat = "json" | "binary";

/** A torn last record: where it starts and why it counts as torn. */
export interface TornTail {
  offset: number;
  reason: string;
}

/** The records of a chain file, decoded but not yet validated. */
export interface DecodedChainFile {
  /** One decoded value per whole record, in file order. */
  records: unknown[];
  /** The byte offset at which each record starts. */
  offsets: number[];
  /** Where the file's sound part ends: everything from here on is the torn tail. */
  end: number;
  /** The torn last record that a load cuts off, or null. */
  torn: TornTail | null;
  /** Bytes a load appends to finish the last record (a JSON line that lacks its newline). */
  completion: Buffer | null;
}

/** How one format reads and writes chain files. */
export interface ChainCodec {
  readonly format: ChainFormat;
  /** The bytes before the first record (empty for JSON Lines). */
  readonly header: Buffer;
  /** One block as one record, ready to append. */
  encodeRecord(block: Block): Buffer;
  /**
   * Decodes a whole file. A torn last record is reported in `torn`; any other
   * damage throws a ChainLoadError naming `path`, the record and the offset.
   */
  decode(bytes: Buffer, path: string): DecodedChainFile;
  /**
   * Where each record of a file written whole by this codec starts, found
   * from the framing alone, or null when the framing is not clean (the full
   * decode then judges the file). For files whose .hash vouches for their
   * bytes: nothing inside a record is checked.
   */
  frames(bytes: Buffer): number[] | null;
  /**
   * Where the record at `start` of a run of records ends (its framing, and in
   * binary its CRC, checked), or why no sound whole record starts there.
   */
  recordEnd(bytes: Buffer, start: number): number | string;
  /** The block a record holds (its bytes, framing included), or why it holds none. */
  decodeRecord(record: Buffer): Block | string;
  /** Copies the 16 bytes of the data id of the record at [start, end) into `out` at `at` (a vouched-for record). */
  copyId(bytes: Buffer, start: number, end: number, out: Buffer, at: number): void;
  /**
   * Copies the 32 bytes of the previous_hash of the record at [start, end)
   * into `out` at `at`, read in place (a vouched-for record); false when it is null.
   */
  copyPreviousHash(bytes: Buffer, start: number, end: number, out: Buffer, at: number): boolean;
}
