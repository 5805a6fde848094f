import { createHash } from "node:crypto";
import type { Block } from "./block.js";
import { encodeBlock } from "./encoding.js";

/** SHA-256 hex digest of a string's UTF-8 bytes. */
export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The block hash: SHA-256 of the canonical encoding, 64 lowercase hex characters. */
export function hashBlock(block: Block): string {
  return sha256Hex(encodeBlock(block));
}
