import { BINARY_CODEC, BINARY_MAGIC } from "./binary-codec.js";
import type { ChainCodec, ChainFormat } from "./chain-codec.js";
import { JSON_LINES_CODEC } from "./json-lines-codec.js";

export type { ChainCodec, ChainFormat, DecodedChainFile, TornTail } from "./chain-codec.js";

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

/** The codec of a format. */
export function codecFor(format: ChainFormat): ChainCodec {
  return format === "binary" ? BINARY_CODEC : JSON_LINES_CODEC;
}
