// A block's hash, computed in the browser: the API gives blocks without their hash
// (SPEC section 1: SHA-256 of the canonical encoding).
import { encodeBlock } from "../../core/encoding.js";
import { sha256Hex } from "./sha256.js";
import type { Block } from "./wire.js";

/** The canonical encoding: the core's own, bundled into the explorer. */
export const canonicalEncoding: (block: Block) => string = encodeBlock;

/** The part of WebCrypto used here; absent outside secure contexts. */
export interface Digester {
  digest(algorithm: "SHA-256", data: Uint8Array): Promise<ArrayBuffer>;
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function defaultDigester(): Digester | null {
  const subtle = (globalThis as { crypto?: { subtle?: Digester } }).crypto?.subtle;
  return subtle ?? null;
}

/** The block's hash as 64 lowercase hex characters: WebCrypto when present, else the plain fallback. */
export async function blockHash(
  block: Block,
  digester: Digester | null = defaultDigester(),
): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalEncoding(block));
  if (digester) return toHex(await digester.digest("SHA-256", bytes));
  return sha256Hex(bytes);
}

/**
 * The hash of every block of a run, by index. A block followed by its successor
 * takes the successor's previous_hash (no work); the last one is computed.
 */
export async function hashesOf(
  blocks: readonly Block[],
  digester: Digester | null = defaultDigester(),
): Promise<Map<number, string>> {
  const byIndex = new Map<number, Block>(blocks.map((b) => [b.index, b]));
  const hashes = new Map<number, string>();
  for (const block of blocks) {
    const next = byIndex.get(block.index + 1);
    hashes.set(block.index, next?.previous_hash ?? (await blockHash(block, digester)));
  }
  return hashes;
}
