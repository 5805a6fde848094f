import type { Block } from "../core/block.js";
import { encodeBlock } from "../core/encoding.js";
import { BINARY_MAGIC } from "./binary-codec.js";
import type { ChainCodec, DecodedChainFile } from "./chain-codec.js";
import { ChainLoadError } from "./chain-load-error.js";

const NEWLINE = 0x0a;
/** In a canonical line the first `"id":"` is the data id's: only numbers come before it. */
const ID_KEY = Buffer.from('"id":"');
/** The last `"previous_hash":` of a line is the block's: only the proof follows it. */
const PREVIOUS_KEY = Buffer.from('"previous_hash":');
const ID_HEX = 32;
const HASH_HEX = 64;

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

  frames(bytes: Buffer): number[] | null {
    if (bytes.length === 0 || bytes[bytes.length - 1] !== NEWLINE) return null;
    if (bytes.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)) return null;
    const starts: number[] = [];
    for (let pos = 0; pos < bytes.length; ) {
      starts.push(pos);
      pos = bytes.indexOf(NEWLINE, pos) + 1;
    }
    return starts;
  },

  recordEnd(bytes: Buffer, start: number): number | string {
    const newline = bytes.indexOf(NEWLINE, start);
    return newline < 0 ? "the record is cut short (the bytes end before its newline)" : newline + 1;
  },

  decodeRecord(record: Buffer): Block | string {
    const end = record[record.length - 1] === NEWLINE ? record.length - 1 : record.length;
    const parsed = tryParse(record.toString("utf8", 0, end));
    return parsed.ok ? (parsed.value as Block) : `not valid JSON (${parsed.error})`;
  },

  copyId(bytes: Buffer, start: number, _end: number, out: Buffer, at: number): void {
    hexInto(bytes, bytes.indexOf(ID_KEY, start) + ID_KEY.length, ID_HEX, out, at);
  },

  copyPreviousHash(bytes: Buffer, _start: number, end: number, out: Buffer, at: number): boolean {
    const key = bytes.lastIndexOf(PREVIOUS_KEY, end - 1) + PREVIOUS_KEY.length;
    if (bytes[key] !== 0x22) return false; // null, not a quoted hash
    hexInto(bytes, key + 1, HASH_HEX, out, at);
    return true;
  },
};

/** Value of each ASCII hex digit (lowercase; anything else reads as 0: the bytes are vouched for). */
const NIBBLE = new Uint8Array(128);
for (let d = 0; d < 16; d++) NIBBLE[d.toString(16).charCodeAt(0)] = d;

/** Decodes `digits` hex digits at `from` of `bytes` into `out` at `at`, with no string made. */
function hexInto(bytes: Buffer, from: number, digits: number, out: Buffer, at: number): void {
  for (let i = 0; i < digits; i += 2) {
    out[at + i / 2] =
      ((NIBBLE[(bytes[from + i] as number) & 0x7f] as number) << 4) |
      (NIBBLE[(bytes[from + i + 1] as number) & 0x7f] as number);
  }
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
