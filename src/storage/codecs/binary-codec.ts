/*
 * The binary chain file ("binary", the original's "pickle"), version 1.
 * Every integer is little-endian.
 *
 *   file    := header record*
 *   header  := magic "BCHAIN" (6 ASCII bytes) | version u8 = 1 | reserved u8 = 0
 *   record  := length u32 | ~length u32 | payload (length bytes) | crc u32
 *   payload := flags u8 | index varint | timestamp varint | data.id (16 raw bytes)
 *              | previous_hash (32 raw bytes; absent when flags & 0x01)
 *              | proof varint (absent when flags & 0x02)
 *              | data.message (all remaining payload bytes)
 *
 *   ~length  the bitwise NOT of length: a damaged length field is told apart
 *            from a record cut short by a crash, so damage is never "repaired"
 *            by cutting off the good records after it.
 *   crc      CRC-32 (zlib's) of the record's first 8 bytes and its payload.
 *   flags    0x01 previous_hash is null (genesis), 0x02 proof is null (genesis),
 *            0x04 the message is UTF-16LE instead of UTF-8: a JS string with a
 *            lone surrogate has no UTF-8 form, yet it is a valid message whose
 *            hash must survive a save. Other bits must be 0.
 *   varint   unsigned LEB128 of at most 8 bytes, holding at most 2^53 - 1.
 *   data.id and previous_hash are the bytes their lowercase hex text stands for.
 *
 * A record costs 12 bytes of framing plus about 57 bytes of fields plus the
 * message, against about 230 bytes plus the message in JSON Lines.
 */
import { crc32 } from "node:zlib";
import type { Block } from "../../core/block.js";
import { ChainLoadError } from "../chain-load-error.js";
import type { NativeChainIndex, RecordIndex } from "../index/native-chain-index.js";
import type { ChainCodec, DecodedChainFile, SoundPart, TornTail } from "./chain-codec.js";

export const BINARY_MAGIC = Buffer.from("BCHAIN", "ascii");
export const BINARY_VERSION = 1;
const HEADER = Buffer.concat([BINARY_MAGIC, Buffer.from([BINARY_VERSION, 0])]);
const FRAME_HEAD = 8;
const FRAME_TAIL = 4;
/** No sound record comes near this; a larger length is damage. */
const MAX_PAYLOAD = 64 * 1024 * 1024;

const FLAG_NO_PREVIOUS = 0x01;
const FLAG_NO_PROOF = 0x02;
const FLAG_UTF16 = 0x04;
const KNOWN_FLAGS = FLAG_NO_PREVIOUS | FLAG_NO_PROOF | FLAG_UTF16;

const ID_BYTES = 16;
const HASH_BYTES = 32;
const MAX_VARINT_BYTES = 8;
const LONE_SURROGATE = /\p{Cs}/u;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export { BINARY_RECORDS_MEDIA_TYPE } from "../../config/config.js";

/** The blocks of a page of binary records, or why it is not one (damage, a cut record). */
export function decodeBinaryRecords(bytes: Buffer): Block[] | string {
  try {
    const decoded = decode(Buffer.concat([HEADER, bytes]), "the page");
    if (decoded.torn) return `the page ends inside a record (${decoded.torn.reason})`;
    return decoded.records as Block[];
  } catch (err) {
    return (err as Error).message;
  }
}

/** The binary format's codec (layout at the top of this module). */
export const BINARY_CODEC: ChainCodec = {
  format: "binary",
  header: HEADER,
  encodeRecord,
  decode,
  soundPart,
  recordEnd,
  wholeRecordsEnd,
  indexVouched(bytes, native) {
    if (bytes.length < HEADER.length || !bytes.subarray(0, HEADER.length).equals(HEADER)) {
      return null;
    }
    return native ? native.indexRecords(bytes, HEADER.length, true) : indexRecords(bytes);
  },
  decodeRecord: (record) => decodePayload(record.subarray(FRAME_HEAD, record.length - FRAME_TAIL)),
};

/**
 * The TypeScript twin of native/chain-index.c for binary files: the records
 * framed by their length fields alone (the length check included, not the
 * CRC), and in each payload the data id and previous_hash copied from where
 * the layout puts them. Null when the records do not tile the file or one is
 * not laid out so (a block after genesis with no previous_hash included).
 */
function indexRecords(bytes: Buffer): RecordIndex | null {
  const frameStarts: number[] = [];
  let pos = HEADER.length;
  while (pos < bytes.length) {
    const size = frameSize(bytes, pos);
    if (size === 0) return null;
    frameStarts.push(pos);
    pos += size;
  }
  const count = frameStarts.length;
  if (count === 0) return null;
  const ids = Buffer.allocUnsafe(count * ID_BYTES);
  const hashes = Buffer.allocUnsafe(count * HASH_BYTES);
  for (let i = 0; i < count; i++) {
    const start = frameStarts[i] as number;
    const end = (frameStarts[i + 1] ?? bytes.length) - FRAME_TAIL;
    const flags = bytes[start + FRAME_HEAD] as number;
    const id = skipVarint(bytes, skipVarint(bytes, start + FRAME_HEAD + 1, end), end);
    if (id < 0 || end - id < ID_BYTES) return null;
    copyBytes(bytes, id, ID_BYTES, ids, i * ID_BYTES);
    if (i === 0) continue;
    if (flags & FLAG_NO_PREVIOUS || end - id < ID_BYTES + HASH_BYTES) return null;
    copyBytes(bytes, id + ID_BYTES, HASH_BYTES, hashes, (i - 1) * HASH_BYTES);
  }
  return { starts: Float64Array.from(frameStarts), ids, hashes };
}

const DAMAGED_HEADER = "damaged record header (its length check fails)";
export const BAD_CRC = "CRC32 mismatch: the record is damaged";

/** Where the record at `start` ends, its length check and CRC checked; or why it is not whole and sound. */
function recordEnd(bytes: Buffer, start: number): number | string {
  const cut = "the record is cut short (the bytes end inside it)";
  if (bytes.length - start < FRAME_HEAD) return cut;
  const length = bytes.readUInt32LE(start);
  if ((length ^ bytes.readUInt32LE(start + 4)) >>> 0 !== 0xffffffff || length > MAX_PAYLOAD) {
    return DAMAGED_HEADER;
  }
  const crcAt = start + FRAME_HEAD + length;
  if (crcAt + FRAME_TAIL > bytes.length) return cut;
  if (crc32(bytes.subarray(start, crcAt)) !== bytes.readUInt32LE(crcAt)) return BAD_CRC;
  return crcAt + FRAME_TAIL;
}

/** Where the whole records from `from` on end (framing and length check only), or -1 on a damaged length. */
function wholeRecordsEnd(bytes: Buffer, from: number, native?: NativeChainIndex | null): number {
  if (native) return native.wholeFramesEnd(bytes, from);
  let pos = from;
  while (bytes.length - pos >= FRAME_HEAD) {
    const length = bytes.readUInt32LE(pos);
    if ((length ^ bytes.readUInt32LE(pos + 4)) >>> 0 !== 0xffffffff || length > MAX_PAYLOAD) {
      return -1;
    }
    const size = FRAME_HEAD + length + FRAME_TAIL;
    if (bytes.length - pos < size) break;
    pos += size;
  }
  return pos;
}

/** The size of the record at `pos` (framing included), or 0 when its length check fails or it runs past the end. */
function frameSize(bytes: Buffer, pos: number): number {
  if (bytes.length - pos < FRAME_HEAD) return 0;
  const length = bytes.readUInt32LE(pos);
  if ((length ^ bytes.readUInt32LE(pos + 4)) >>> 0 !== 0xffffffff) return 0;
  const size = FRAME_HEAD + length + FRAME_TAIL;
  return bytes.length - pos >= size ? size : 0;
}

/** Where the varint at `at` (at most 8 bytes, before `end`) ends; -1 when it does not. */
function skipVarint(bytes: Buffer, at: number, end: number): number {
  if (at < 0) return -1;
  for (let i = 0; i < MAX_VARINT_BYTES && at + i < end; i++) {
    if ((bytes[at + i] as number) < 0x80) return at + i + 1;
  }
  return -1;
}

/** Copies a few bytes with a plain loop: for 16 or 32 bytes, a million Buffer.copy calls cost far more. */
function copyBytes(from: Buffer, start: number, size: number, to: Buffer, at: number): void {
  for (let i = 0; i < size; i++) to[at + i] = from[start + i] as number;
}

/** One record, written straight into one buffer: a save of many blocks makes many of these. */
function encodeRecord(block: Block): Buffer {
  const { index, timestamp, proof, previous_hash: previous } = block;
  const { id, message } = block.data;
  checkNumber(index, "index");
  checkNumber(timestamp, "timestamp");
  if (proof !== null) checkNumber(proof, "proof");
  checkHex(id, ID_BYTES, "data.id");
  if (previous !== null) checkHex(previous, HASH_BYTES, "previous_hash");
  const utf16 = LONE_SURROGATE.test(message);
  const encoding = utf16 ? "utf16le" : "utf8";
  const messageBytes = Buffer.byteLength(message, encoding);
  const payloadLength =
    1 +
    varintLength(index) +
    varintLength(timestamp) +
    ID_BYTES +
    (previous === null ? 0 : HASH_BYTES) +
    (proof === null ? 0 : varintLength(proof)) +
    messageBytes;
  const frame = Buffer.allocUnsafe(FRAME_HEAD + payloadLength + FRAME_TAIL);
  frame.writeUInt32LE(payloadLength, 0);
  frame.writeUInt32LE(~payloadLength >>> 0, 4);
  let at = FRAME_HEAD;
  frame[at++] =
    (previous === null ? FLAG_NO_PREVIOUS : 0) |
    (proof === null ? FLAG_NO_PROOF : 0) |
    (utf16 ? FLAG_UTF16 : 0);
  at = writeVarint(frame, at, index);
  at = writeVarint(frame, at, timestamp);
  at += frame.write(id, at, ID_BYTES, "hex");
  if (previous !== null) at += frame.write(previous, at, HASH_BYTES, "hex");
  if (proof !== null) at = writeVarint(frame, at, proof);
  at += frame.write(message, at, messageBytes, encoding);
  frame.writeUInt32LE(crc32(frame.subarray(0, at)), at);
  return frame;
}

function checkNumber(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`cannot encode block: ${field} must be a non-negative safe integer`);
  }
}

function checkHex(hex: string, size: number, field: string): void {
  if (typeof hex !== "string" || hex.length !== size * 2 || !/^[0-9a-f]*$/.test(hex)) {
    throw new TypeError(
      `cannot encode block: ${field} must be ${size * 2} lowercase hex characters`,
    );
  }
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

/** Writes `value` as a varint at `at`; returns the offset after it. */
function writeVarint(out: Buffer, at: number, value: number): number {
  let pos = at;
  let rest = value;
  // Division instead of shifts: shifts would cut the value to 32 bits.
  while (rest >= 0x80) {
    out[pos++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[pos++] = rest;
  return pos;
}

function decode(bytes: Buffer, path: string): DecodedChainFile {
  return walk(bytes, path, true);
}

function soundPart(bytes: Buffer, path: string): SoundPart {
  const { end, torn, completion } = walk(bytes, path, false);
  return { end, torn, completion };
}

/**
 * The records of a file, front to back: `full`, each one's CRC checked and
 * its block decoded (a bad one throws); else only the framing, and the CRC of
 * the last record, whose zeros may be a torn write.
 */
function walk(bytes: Buffer, path: string, full: boolean): DecodedChainFile {
  const records: unknown[] = [];
  const offsets: number[] = [];
  const done = (end: number, torn: TornTail | null): DecodedChainFile => ({
    records,
    offsets,
    end,
    torn,
    completion: null,
  });
  if (bytes.length < HEADER.length && HEADER.subarray(0, bytes.length).equals(bytes)) {
    return done(0, { offset: 0, reason: "the file ends inside its header" });
  }
  checkHeader(bytes, path);
  let pos = HEADER.length;
  for (let index = 0; pos < bytes.length; index++) {
    if (bytes.length - pos < FRAME_HEAD) {
      return done(pos, {
        offset: pos,
        reason: `record ${index} is incomplete (the file ends inside it)`,
      });
    }
    const length = bytes.readUInt32LE(pos);
    if ((length ^ bytes.readUInt32LE(pos + 4)) >>> 0 !== 0xffffffff || length > MAX_PAYLOAD) {
      if (isZeroFrom(bytes, pos)) {
        return done(pos, {
          offset: pos,
          reason: `record ${index} is zero bytes (an interrupted write)`,
        });
      }
      throw new ChainLoadError("BAD_RECORD", path, DAMAGED_HEADER, { index, offset: pos });
    }
    const crcAt = pos + FRAME_HEAD + length;
    const stop = crcAt + FRAME_TAIL;
    if (stop > bytes.length) {
      return done(pos, {
        offset: pos,
        reason: `record ${index} is incomplete (the file ends inside it)`,
      });
    }
    if (full || stop === bytes.length) {
      const stored = bytes.readUInt32LE(crcAt);
      if (crc32(bytes.subarray(pos, crcAt)) !== stored) {
        // A crash after the file grew but before its last bytes landed leaves zeros there.
        if (stop === bytes.length && stored === 0) {
          return done(pos, {
            offset: pos,
            reason: `record ${index} ends in zero bytes (an interrupted write)`,
          });
        }
        if (full) throw new ChainLoadError("BAD_CRC", path, BAD_CRC, { index, offset: pos });
      }
    }
    if (full) {
      const decoded = decodePayload(bytes.subarray(pos + FRAME_HEAD, crcAt));
      if (typeof decoded === "string") {
        throw new ChainLoadError("BAD_RECORD", path, decoded, { index, offset: pos });
      }
      records.push(decoded);
      offsets.push(pos);
    }
    pos = stop;
  }
  return done(pos, null);
}

function checkHeader(bytes: Buffer, path: string): void {
  if (!bytes.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)) {
    if (bytes[0] === 0x7b) {
      throw new ChainLoadError(
        "WRONG_FORMAT",
        path,
        "the file is JSON Lines, not the binary format; load it with --chain-serialization json",
      );
    }
    throw new ChainLoadError("BAD_MAGIC", path, "not a binary chain file (no BCHAIN magic)", {
      offset: 0,
    });
  }
  const version = bytes[BINARY_MAGIC.length];
  if (version !== BINARY_VERSION || bytes[BINARY_MAGIC.length + 1] !== 0) {
    throw new ChainLoadError(
      "UNSUPPORTED_VERSION",
      path,
      `binary format version ${String(version)} is not supported (this node reads version ${BINARY_VERSION})`,
      { offset: BINARY_MAGIC.length },
    );
  }
}

function isZeroFrom(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** The block a payload holds, or why it holds none. */
function decodePayload(payload: Buffer): Block | string {
  const reader = new PayloadReader(payload);
  const flags = reader.byte();
  if (flags === undefined || (flags & ~KNOWN_FLAGS) !== 0) return "bad record flags";
  const index = reader.varint();
  const timestamp = reader.varint();
  const id = reader.hex(ID_BYTES);
  const previous = flags & FLAG_NO_PREVIOUS ? null : reader.hex(HASH_BYTES);
  const proof = flags & FLAG_NO_PROOF ? null : reader.varint();
  if (
    index === undefined ||
    timestamp === undefined ||
    id === undefined ||
    previous === undefined ||
    proof === undefined
  ) {
    return "record payload is too short or holds a bad number";
  }
  const text = reader.rest();
  let message: string;
  if (flags & FLAG_UTF16) {
    if (text.length % 2 !== 0) return "UTF-16 message has an odd byte count";
    message = text.toString("utf16le");
  } else {
    try {
      message = STRICT_UTF8.decode(text);
    } catch {
      return "message is not valid UTF-8";
    }
  }
  return { index, timestamp, data: { id, message }, previous_hash: previous, proof };
}

/** Reads a payload front to back; a read past the end (or a bad varint) gives undefined. */
class PayloadReader {
  private pos = 0;
  constructor(private readonly bytes: Buffer) {}

  byte(): number | undefined {
    const value = this.bytes[this.pos];
    if (value === undefined) return undefined;
    this.pos++;
    return value;
  }

  varint(): number | undefined {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      if (byte === undefined) return undefined;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return Number.isSafeInteger(value) ? value : undefined;
      scale *= 0x80;
    }
    return undefined;
  }

  hex(size: number): string | undefined {
    if (this.pos + size > this.bytes.length) return undefined;
    const text = this.bytes.toString("hex", this.pos, this.pos + size);
    this.pos += size;
    return text;
  }

  rest(): Buffer {
    return this.bytes.subarray(this.pos);
  }
}
