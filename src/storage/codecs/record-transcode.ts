import { isUtf8 } from "node:buffer";
import { BINARY_CODEC } from "./binary-codec.js";
import {
  LINES_PARAMS,
  LINES_STOP,
  type NativeTranscode,
  nativeTranscode,
} from "./native-transcode.js";

/*
 * Binary records -> JSON Lines records, byte to byte: a page of a peer's
 * binary records becomes the lines a JSON chain file stores (and hashes)
 * without a Block object, a hex string or a JSON text per block. The output
 * is exactly `${encodeBlock(block)}\n` for the block each record holds (the
 * test holds it to the codecs); a message that needs escapes takes the long
 * way through JSON.stringify, one that is plain text is copied as it is.
 */

const FRAME_HEAD = 8;
const FRAME_TAIL = 4;
const ID_BYTES = 16;
const HASH_BYTES = 32;
const FLAG_NO_PREVIOUS = 0x01;
const FLAG_NO_PROOF = 0x02;
const FLAG_UTF16 = 0x04;
const KNOWN_FLAGS = FLAG_NO_PREVIOUS | FLAG_NO_PROOF | FLAG_UTF16;
/** A line's bytes beyond its message: keys, quotes, 3 numbers of at most 16 digits, id and hash. */
const LINE_OVERHEAD = 256;
/** The fewest bytes of a plain record (a frame, flags, three one-byte varints, id, hash, one byte of message). */
const MIN_PLAIN_RECORD_BYTES = FRAME_HEAD + 1 + 3 + ID_BYTES + HASH_BYTES + 1 + FRAME_TAIL;

const HEX = Buffer.from("0123456789abcdef", "latin1");
const text = (s: string) => Buffer.from(s, "latin1");
const INDEX_KEY = text('{"index":');
const TIMESTAMP_KEY = text(',"timestamp":');
const ID_KEY = text(',"data":{"id":"');
const MESSAGE_KEY = text('","message":');
const PREVIOUS_KEY = text('},"previous_hash":');
const PROOF_KEY = text(',"proof":');
const NULL = text("null");
const END = text("}\n");
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** JSON Lines records, with where each starts. */
export interface TranscodedRun {
  bytes: Buffer;
  starts: number[];
}

/**
 * The JSON Lines records (canonical lines) of the blocks a run of binary
 * records holds, or why the run is not whole and sound: a damaged frame or
 * CRC, a cut record, a payload that holds no block. With `maxBytes`, the
 * lines stop before the one that would take them past it (the first always fits).
 * `trusted` records (this node's own) are framed by their length fields alone,
 * their CRCs not computed again.
 */
export function binaryToJsonLines(
  bytes: Buffer,
  maxBytes = Number.POSITIVE_INFINITY,
  trusted = false,
  native: NativeTranscode | null = trusted ? nativeTranscode() : null,
): TranscodedRun | string {
  const out = new LineWriter(Math.min(bytes.length * 3, maxBytes + LINE_OVERHEAD) + 4096);
  if (trusted && native) return nativeLines(bytes, maxBytes, out, native);
  const starts: number[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const end = trusted ? trustedEnd(bytes, pos) : BINARY_CODEC.recordEnd(bytes, pos);
    if (typeof end === "string") return `record ${starts.length} of the page: ${end}`;
    const start = out.length;
    const problem = out.line(bytes, pos + FRAME_HEAD, end - FRAME_TAIL);
    if (problem) return `record ${starts.length} of the page: ${problem}`;
    if (starts.length > 0 && out.length > maxBytes) {
      out.length = start;
      break;
    }
    starts.push(start);
    pos = end;
  }
  return { bytes: out.done(), starts };
}

/**
 * binaryToJsonLines of this node's own records with the addon: it writes the
 * plain ones (the serving node's time went to this loop in TypeScript, about
 * a microsecond a block), TypeScript the others, one at a time, as above.
 */
function nativeLines(
  bytes: Buffer,
  maxBytes: number,
  out: LineWriter,
  native: NativeTranscode,
): TranscodedRun | string {
  const P = LINES_PARAMS;
  let found = new Float64Array(Math.floor(bytes.length / MIN_PLAIN_RECORD_BYTES) + 1);
  const params = new Float64Array(P.slots);
  params[P.maxBytes] = maxBytes;
  for (;;) {
    params[P.at] = out.length;
    const stop = native.jsonLinesOf(bytes, out.buffer, found, params);
    out.length = params[P.at] as number;
    if (stop !== LINES_STOP.left) break;
    // A record the addon leaves (another form, damage, no room left): TypeScript writes it.
    const pos = params[P.pos] as number;
    const count = params[P.count] as number;
    const end = trustedEnd(bytes, pos);
    if (typeof end === "string") return `record ${count} of the page: ${end}`;
    const start = out.length;
    const problem = out.line(bytes, pos + FRAME_HEAD, end - FRAME_TAIL);
    if (problem) return `record ${count} of the page: ${problem}`;
    if (count > 0 && out.length > maxBytes) {
      out.length = start;
      break;
    }
    if (count === found.length) {
      const bigger = new Float64Array(found.length * 2);
      bigger.set(found);
      found = bigger;
    }
    found[count] = start;
    params[P.count] = count + 1;
    params[P.pos] = end;
  }
  return { bytes: out.done(), starts: Array.from(found.subarray(0, params[P.count] as number)) };
}

/** Where this node's own record at `start` ends, from its length field. */
function trustedEnd(bytes: Buffer, start: number): number | string {
  if (bytes.length - start < FRAME_HEAD) return "the record is cut short (the bytes end inside it)";
  const end = start + FRAME_HEAD + bytes.readUInt32LE(start) + FRAME_TAIL;
  return end <= bytes.length ? end : "the record is cut short (the bytes end inside it)";
}

/** An output buffer that grows, written a line at a time. */
class LineWriter {
  /** Written from 0 to `length` (the addon writes into it too). */
  buffer: Buffer;
  length = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** Writes the line of the payload at [from, to); null, or why the payload holds no block. */
  line(src: Buffer, from: number, to: number): string | null {
    this.room(to - from + LINE_OVERHEAD);
    let at = from;
    const flags = src[at++] as number;
    if (at > to || (flags & ~KNOWN_FLAGS) !== 0) return "bad record flags";
    const index = readVarint(src, at, to);
    if (index === null) return BAD_NUMBER;
    at = varintEnd(src, at);
    const timestamp = readVarint(src, at, to);
    if (timestamp === null) return BAD_NUMBER;
    at = varintEnd(src, at);
    if (at + ID_BYTES > to) return BAD_NUMBER;
    const idAt = at;
    at += ID_BYTES;
    let previousAt = -1;
    if (!(flags & FLAG_NO_PREVIOUS)) {
      if (at + HASH_BYTES > to) return BAD_NUMBER;
      previousAt = at;
      at += HASH_BYTES;
    }
    let proof: number | null = null;
    if (!(flags & FLAG_NO_PROOF)) {
      proof = readVarint(src, at, to);
      if (proof === null) return BAD_NUMBER;
      at = varintEnd(src, at);
    }
    const mark = this.length;
    this.bytes(INDEX_KEY);
    this.decimal(index);
    this.bytes(TIMESTAMP_KEY);
    this.decimal(timestamp);
    this.bytes(ID_KEY);
    this.hex(src, idAt, ID_BYTES);
    this.bytes(MESSAGE_KEY);
    const problem = this.message(src, at, to, (flags & FLAG_UTF16) !== 0);
    if (problem) {
      this.length = mark;
      return problem;
    }
    this.bytes(PREVIOUS_KEY);
    if (previousAt < 0) {
      this.bytes(NULL);
    } else {
      this.byte(0x22);
      this.hex(src, previousAt, HASH_BYTES);
      this.byte(0x22);
    }
    this.bytes(PROOF_KEY);
    if (proof === null) this.bytes(NULL);
    else this.decimal(proof);
    this.bytes(END);
    return null;
  }

  /** The message as a JSON string: copied when it needs no escape, else JSON.stringify's text. */
  private message(src: Buffer, from: number, to: number, utf16: boolean): string | null {
    let plain = !utf16;
    let ascii = true;
    for (let i = from; plain && i < to; i++) {
      const c = src[i] as number;
      if (c < 0x20 || c === 0x22 || c === 0x5c) plain = false;
      else if (c >= 0x80) ascii = false;
    }
    if (plain && (ascii || isUtf8(src.subarray(from, to)))) {
      this.byte(0x22);
      src.copy(this.buffer, this.length, from, to);
      this.length += to - from;
      this.byte(0x22);
      return null;
    }
    let message: string;
    if (utf16) {
      if ((to - from) % 2 !== 0) return "UTF-16 message has an odd byte count";
      message = src.toString("utf16le", from, to);
    } else {
      try {
        message = STRICT_UTF8.decode(src.subarray(from, to));
      } catch {
        return "message is not valid UTF-8";
      }
    }
    const json = JSON.stringify(message);
    this.room(Buffer.byteLength(json) + LINE_OVERHEAD);
    this.length += this.buffer.write(json, this.length, "utf8");
    return null;
  }

  private room(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  private byte(value: number): void {
    this.buffer[this.length++] = value;
  }

  private bytes(value: Buffer): void {
    const out = this.buffer;
    let at = this.length;
    for (let i = 0; i < value.length; i++) out[at++] = value[i] as number;
    this.length = at;
  }

  private hex(src: Buffer, from: number, count: number): void {
    const out = this.buffer;
    let at = this.length;
    for (let i = from; i < from + count; i++) {
      const b = src[i] as number;
      out[at++] = HEX[b >> 4] as number;
      out[at++] = HEX[b & 15] as number;
    }
    this.length = at;
  }

  /** A non-negative safe integer in decimal, as String(n) writes it. */
  private decimal(value: number): void {
    if (value < 0x80000000) {
      this.int32(value);
      return;
    }
    // Above 2^31: the digits above the last 8, then those 8 (int32 arithmetic for each).
    const high = Math.floor(value / 1e8);
    this.decimal(high);
    const out = this.buffer;
    let low = value - high * 1e8;
    for (let at = this.length + 7; at >= this.length; at--) {
      const next = (low / 10) | 0;
      out[at] = 0x30 + low - next * 10;
      low = next;
    }
    this.length += 8;
  }

  private int32(value: number): void {
    const out = this.buffer;
    let digits = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++;
    let at = this.length + digits;
    this.length = at;
    let rest = value;
    do {
      const next = (rest / 10) | 0;
      out[--at] = 0x30 + rest - next * 10;
      rest = next;
    } while (rest > 0);
  }
}

const BAD_NUMBER = "record payload is too short or holds a bad number";

/** The varint at `at` (at most 8 bytes, a safe integer, inside `to`), or null. */
function readVarint(src: Buffer, at: number, to: number): number | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8 && at + i < to; i++) {
    const byte = src[at + i] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return Number.isSafeInteger(value) ? value : null;
    scale *= 0x80;
  }
  return null;
}

/** Where the varint at `at` ends (it was read whole before). */
function varintEnd(src: Buffer, at: number): number {
  let end = at;
  while ((src[end] as number) & 0x80) end++;
  return end + 1;
}
