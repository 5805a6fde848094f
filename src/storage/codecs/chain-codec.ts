import type { Block } from "../../core/block.js";
import type { NativeChainIndex, RecordIndex } from "../index/native-chain-index.js";

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

/** Where a chain file's sound part ends, and what a load does at its end. */
export interface SoundPart {
  /** Where the file's sound part ends: everything from here on is the torn tail. */
  end: number;
  /** The torn last record that a load cuts off, or null. */
  torn: TornTail | null;
  /** Bytes a load appends to finish the last record (a JSON line that lacks its newline). */
  completion: Buffer | null;
}

/** The records of a chain file, decoded but not yet validated. */
export interface DecodedChainFile extends SoundPart {
  /** One decoded value per whole record, in file order. */
  records: unknown[];
  /** The byte offset at which each record starts. */
  offsets: number[];
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
   * What decode says of a file's end (its sound part, a torn last record, a
   * completion), from the framing alone: no record is decoded, so damage
   * inside a record is left to the record check. A wrong format, a bad header
   * or (binary) a damaged length field throws a ChainLoadError as decode does.
   */
  soundPart(bytes: Buffer, path: string): SoundPart;
  /**
   * Where each record of a file whose .hash vouches for it starts, with its
   * data id and previous_hash read in place (by `native` where given), or
   * null when a record is not laid out as this codec writes it (the full
   * decode then judges the file). Nothing else inside a record is checked.
   */
  indexVouched(bytes: Buffer, native: NativeChainIndex | null): RecordIndex | null;
  /**
   * Where the record at `start` of a run of records ends (its framing, and in
   * binary its CRC, checked), or why no sound whole record starts there.
   */
  recordEnd(bytes: Buffer, start: number): number | string;
  /**
   * Where the whole records of `bytes` from `from` on end, by their framing
   * alone (the last one that fits; `from` when none does), or -1 when a
   * record's framing is damaged: how a file is read in chunks that end
   * between records (natively where `native` is given and it pays).
   */
  wholeRecordsEnd(bytes: Buffer, from: number, native?: NativeChainIndex | null): number;
  /** The block a record holds (its bytes, framing included), or why it holds none. */
  decodeRecord(record: Buffer): Block | string;
}
