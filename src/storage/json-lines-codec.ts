import type { Block } from "../core/block.js";
import { encodeBlock } from "../core/encoding.js";
import { BINARY_MAGIC } from "./binary-codec.js";
import type { ChainCodec, DecodedChainFile } from "./chain-codec.js";
import { ChainLoadError } from "./chain-load-error.js";

const NEWLINE = 0x0a;

/**
 * JSON Lines: one block per line in the canonical encoding, genesis first,
 * every line ended by "\n". A crash can only tear the last line, so a last
 * line without its newline is the torn record; any bad line before it is
 * damage, not a crash.
 */
export const JSON_LINES_CODEC: ChainCodec = {
  format: "json",
  header: Buffer.alloc(0),

  encodeRecord(block: Block): Buffer {
    return Buffer.from(`${encodeBlock(block)}\n`, "utf8");
  },

  decode(bytes: Buffer, path: string): DecodedChainFile {
    if (bytes.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)) {
      throw new ChainLoadError(
        "WRONG_FORMAT",
        path,
        "the file is in the binary format (it starts with the BCHAIN magic); load it with --chain-serialization binary",
      );
    }
    const records: unknown[] = [];
    const offsets: number[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, pos);
      const line = records.length + 1;
      if (newline === -1) {
        // A whole JSON value without its newline is a finished write whose "\n" was lost: keep it.
        const last = tryParse(bytes.toString("utf8", pos));
        if (last.ok) {
          records.push(last.value);
          offsets.push(pos);
          return { records, offsets, end: bytes.length, torn: null, completion: Buffer.from("\n") };
        }
        const reason = `line ${line} is incomplete (the file ends without its newline)`;
        return { records, offsets, end: pos, torn: { offset: pos, reason }, completion: null };
      }
      const parsed = tryParse(bytes.toString("utf8", pos, newline));
      if (!parsed.ok) {
        throw new ChainLoadError("BAD_RECORD", path, `not valid JSON (${parsed.error})`, {
          index: records.length,
          line,
          offset: pos,
        });
      }
      records.push(parsed.value);
      offsets.push(pos);
      pos = newline + 1;
    }
    return { records, offsets, end: pos, torn: null, completion: null };
  },
};

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
