// SHA-256 in plain TypeScript. The explorer prefers crypto.subtle, but browsers
// expose it only in secure contexts (https or loopback): a node browsed at
// http://192.168.1.20:12345 still gets its block hashes from this fallback.
import { compressBlock } from "../../core/sha256-block.js";
import { SHA256_H0 } from "../../core/sha256-constants.js";

/** The SHA-256 digest of `bytes`, as 64 lowercase hex characters. */
export function sha256Hex(bytes: Uint8Array): string {
  const bitLength = bytes.length * 8;
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  // The length is a 64-bit big-endian count of bits; messages here stay far below 2^53.
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x1_0000_0000));
  view.setUint32(padded.length - 4, bitLength >>> 0);

  const state = Int32Array.from(SHA256_H0);
  const w = new Int32Array(64);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(offset + i * 4);
    compressBlock(w, state);
  }
  return Array.from(state, (x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
}
