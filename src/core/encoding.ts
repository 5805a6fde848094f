import type { Block } from "./block.js";

/** The canonical encoding: fixed key order, no other keys, no white space. */
export function encodeBlock(block: Block): string {
  return JSON.stringify({
    index: block.index,
    timestamp: block.timestamp,
    data: { id: block.data.id, message: block.data.message },
    previous_hash: block.previous_hash,
    proof: block.proof,
  });
}
