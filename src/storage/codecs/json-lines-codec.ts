import type { Block } from "../../core/block.js";
import { encodeBlock } from "../../core/encoding.js";
import { ChainLoadError } from "../chain-load-error.js";
import type { NativeChainIndex, RecordIndex } from "../index/native-chain-index.js";
import { BINARY_MAGIC } from "./binary-codec.js";
import { indexOfByte, lastIndexOfByte } from "./byte-search.js";
import type { ChainCodec, DecodedChainFile, SoundPart } from "./chain-codec.js";

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const CLOSE = 0x7d;
const ID_BYTES = 16;
const HASH_BYTES = 32;
/** A canonical line: `{"index":N,"timestamp":N,"data":{"id":"<hex>",...},"previous_hash":"<hex>","proof":N}`. */
const LINE_HEAD = Buffer.from('{"index":');
const TIMESTAMP_KEY = Buffer.from(',"timestamp":');
const ID_KEY = Buffer.from(',"data":{"id":"');
const PREVIOUS_KEY = Buffer.from('"previous_hash":"');
const PROOF_KEY = Buffer.from(',"proof":');

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
    refuseBinary(bytes, path);
    const records: unknown[] = [];
    const offsets: number[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const newline = indexOfByte(bytes, NEWLINE, pos);
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

  soundPart(bytes: Buffer, path: string): SoundPart {
    refuseBinary(bytes, path);
    const end = lastIndexOfByte(bytes, NEWLINE) + 1;
    if (end === bytes.length) return { end, torn: null, completion: null };
    // As decode: a whole JSON value without its newline is a finished write whose "\n" was lost.
    if (tryParse(bytes.toString("utf8", end)).ok) {
      return { end: bytes.length, torn: null, completion: Buffer.from("\n") };
    }
    let line = 1;
    for (
      let at = indexOfByte(bytes, NEWLINE);
      at >= 0 && at < end;
      at = indexOfByte(bytes, NEWLINE, at + 1)
    ) {
      line++;
    }
    const reason = `line ${line} is incomplete (the file ends without its newline)`;
    return { end, torn: { offset: end, reason }, completion: null };
  },

  indexVouched(bytes: Buffer, native: NativeChainIndex | null): RecordIndex | null {
    if (bytes.length === 0 || bytes[bytes.length - 1] !== NEWLINE) return null;
    if (bytes.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)) return null;
    return native ? native.indexRecords(bytes, 0, false) : indexLines(bytes);
  },

  recordEnd(bytes: Buffer, start: number): number | string {
    const newline = indexOfByte(bytes, NEWLINE, start);
    return newline < 0 ? "the record is cut short (the bytes end before its newline)" : newline + 1;
  },

  wholeRecordsEnd(bytes: Buffer, from: number): number {
    return Math.max(from, lastIndexOfByte(bytes, NEWLINE) + 1);
  },

  decodeRecord(record: Buffer): Block | string {
    const end = record[record.length - 1] === NEWLINE ? record.length - 1 : record.length;
    const parsed = tryParse(record.toString("utf8", 0, end));
    return parsed.ok ? (parsed.value as Block) : `not valid JSON (${parsed.error})`;
  },
};

/**
 * The TypeScript twin of native/chain-index.c for JSON Lines: every line
 * framed, and in each the data id read from the front (only numbers precede
 * it in the canonical encoding) and the previous_hash from the back (only the
 * proof follows it), so the message between is never read. Null when a line
 * is not laid out so.
 */
function indexLines(bytes: Buffer): RecordIndex | null {
  const lineStarts: number[] = [];
  for (let pos = 0; pos < bytes.length; pos = indexOfByte(bytes, NEWLINE, pos) + 1) {
    lineStarts.push(pos);
  }
  const count = lineStarts.length;
  const starts = Float64Array.from(lineStarts);
  const ids = Buffer.allocUnsafe(count * ID_BYTES);
  const hashes = Buffer.allocUnsafe(count * HASH_BYTES);
  for (let i = 0; i < count; i++) {
    const end = lineStarts[i + 1] ?? bytes.length;
    const idAt = idOf(bytes, lineStarts[i] as number, end);
    if (idAt < 0 || !unhexInto(bytes, idAt, ID_BYTES, ids, i * ID_BYTES)) return null;
    if (i === 0) continue;
    const hashAt = previousHashOf(bytes, idAt + ID_BYTES * 2 + 1, end);
    if (hashAt < 0 || !unhexInto(bytes, hashAt, HASH_BYTES, hashes, (i - 1) * HASH_BYTES)) {
      return null;
    }
  }
  return { starts, ids, hashes };
}

/** Where the data id's hex digits start in the line [start, end), or -1. */
function idOf(bytes: Buffer, start: number, end: number): number {
  let at = start;
  if (!textAt(bytes, at, end, LINE_HEAD)) return -1;
  at = skipNumber(bytes, at + LINE_HEAD.length, end);
  if (!textAt(bytes, at, end, TIMESTAMP_KEY)) return -1;
  at = skipNumber(bytes, at + TIMESTAMP_KEY.length, end);
  if (!textAt(bytes, at, end, ID_KEY)) return -1;
  at += ID_KEY.length;
  return end - at > ID_BYTES * 2 && bytes[at + ID_BYTES * 2] === QUOTE ? at : -1;
}

/** Where the previous_hash's hex digits start in the line ending at `end` (its "\n" included), not before `after`; or -1. */
function previousHashOf(bytes: Buffer, after: number, end: number): number {
  let at = end - 1;
  if (at - after < 2 || bytes[at - 1] !== CLOSE) return -1;
  for (at--; at > after && isNumberChar(bytes[at - 1] as number); ) at--;
  at -= PROOF_KEY.length + 1 + HASH_BYTES * 2 + PREVIOUS_KEY.length;
  if (at < after) return -1;
  const hex = at + PREVIOUS_KEY.length;
  const ok =
    textAt(bytes, at, end, PREVIOUS_KEY) &&
    bytes[hex + HASH_BYTES * 2] === QUOTE &&
    textAt(bytes, hex + HASH_BYTES * 2 + 1, end, PROOF_KEY);
  return ok ? hex : -1;
}

function textAt(bytes: Buffer, at: number, end: number, text: Buffer): boolean {
  if (end - at < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text[i]) return false;
  return true;
}

function skipNumber(bytes: Buffer, from: number, end: number): number {
  let at = from;
  while (at < end && isNumberChar(bytes[at] as number)) at++;
  return at;
}

/** A character a number of the canonical encoding may hold. */
function isNumberChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45
  );
}

/** Value of each lowercase hex digit; -1 for any other byte. */
const NIBBLE = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) NIBBLE[d.toString(16).charCodeAt(0)] = d;

/** Decodes `size` bytes from the hex digits at `from` into `out` at `at`; false at a byte that is no lowercase hex digit. */
function unhexInto(bytes: Buffer, from: number, size: number, out: Buffer, at: number): boolean {
  for (let i = 0; i < size; i++) {
    const hi = NIBBLE[bytes[from + 2 * i] as number] as number;
    const lo = NIBBLE[bytes[from + 2 * i + 1] as number] as number;
    if (hi < 0 || lo < 0) return false;
    out[at + i] = (hi << 4) | lo;
  }
  return true;
}

function refuseBinary(bytes: Buffer, path: string): void {
  if (bytes.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)) {
    throw new ChainLoadError(
      "WRONG_FORMAT",
      path,
      "the file is in the binary format (it starts with the BCHAIN magic); load it with --chain-serialization binary",
    );
  }
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
