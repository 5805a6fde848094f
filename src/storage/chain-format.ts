import type { Block } from "../core/block.js";
import { BINARY_CODEC, BINARY_MAGIC } from "./binary-codec.js";
import { JSON_LINES_CODEC } from "./json-lines-codec.js";

/** The chain file formats: JSON Lines, or the project's compact binary format. */
export type ChainFormat = "json" | "binary";

/** The format names a user may give; `pickle` is the original's name for the binary one. */
export const FORMAT_NAMES = ["json", "binary", "pickle"] as const;

/**
 * The chain format a user's name stands for (`json`, `binary`, or `pickle` =
 * binary); throws a RangeError naming the accepted names otherwise.
 */
export function normalizeFormat(name: string): ChainFormat {
  const key = name.trim().toLowerCase();
  if (key === "json") return "json";
  if (key === "binary" || key === "pickle") return "binary";
  throw new RangeError(
    `unknown chain format '${name}': expected one of ${FORMAT_NAMES.join(", ")} (pickle = binary)`,
  );
}

/** The format a file's first bytes show: binary when they start with the magic, else json. */
export function detectFormat(head: Uint8Array): ChainFormat {
  const magic = head.subarray(0, BINARY_MAGIC.length);
  return Buffer.from(magic).equals(BINARY_MAGIC) ? "binary" : "json";
}

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
}

/** The codec of a format. */
export function codecFor(format: ChainFormat): ChainCodec {
  return format === "binary" ? BINARY_CODEC : JSON_LINES_CODEC;
}
