import type { Block } from "../../core/block.js";
import { BINARY_CODEC } from "./binary-codec.js";
import { indexOfByte } from "./byte-search.js";
import type { ChainCodec } from "./chain-codec.js";
import { JSON_LINES_CODEC } from "./json-lines-codec.js";
import { binaryToJsonLines } from "./record-transcode.js";

const NEWLINE = 0x0a;
const FRAME_HEAD = 8;
const FRAME_TAIL = 4;

/**
 * A page of a peer's blocks as records of one chain file codec, not yet
 * validated: the bytes as they came, where each record starts, and the index
 * the first block claims to have. Blocks are decoded only when asked for (the
 * first, to find where the page fits; the last, to follow it), so that a
 * page goes from the wire to the chain as bytes.
 */
export class RecordPage {
  private constructor(
    readonly codec: ChainCodec,
    readonly bytes: Buffer,
    /** Where each record starts in `bytes`; the last ends at the end of `bytes`. */
    readonly starts: readonly number[],
    /** The index of the first block (the page's own claim, checked by the validation). */
    readonly from: number,
  ) {}

  /** Records of `codec` one after another, framed (nothing inside a record is checked yet), or why they are not. */
  static frame(codec: ChainCodec, bytes: Buffer, from: number): RecordPage | string {
    const starts = codec === BINARY_CODEC ? binaryStarts(bytes) : lineStarts(bytes);
    return typeof starts === "string" ? starts : new RecordPage(codec, bytes, starts, from);
  }

  /** The records of `codec` of blocks (a page a peer answered in JSON); throws for a block no record can hold. */
  static ofBlocks(codec: ChainCodec, blocks: readonly Block[], from: number): RecordPage {
    const records = blocks.map((block) => codec.encodeRecord(block));
    const starts: number[] = [];
    let at = 0;
    for (const record of records) {
      starts.push(at);
      at += record.length;
    }
    return new RecordPage(codec, Buffer.concat(records, at), starts, from);
  }

  static empty(codec: ChainCodec, from: number): RecordPage {
    return new RecordPage(codec, Buffer.alloc(0), [], from);
  }

  get count(): number {
    return this.starts.length;
  }

  /** The bytes of record `i`. */
  recordAt(i: number): Buffer {
    return this.bytes.subarray(this.starts[i] as number, this.starts[i + 1] ?? this.bytes.length);
  }

  /** Block `i` of the page, decoded, or why its record holds none. */
  blockAt(i: number): Block | string {
    if (i < 0 || i >= this.starts.length) return `the page has no record ${i}`;
    return this.codec.decodeRecord(this.recordAt(i));
  }

  /** The records from `i` on (a view). */
  after(i: number): RecordPage {
    return this.slice(i, this.count);
  }

  /** Records `start` (included) to `end` (excluded), a view. */
  slice(start: number, end: number): RecordPage {
    const from = Math.max(0, Math.min(start, this.count));
    const to = Math.max(from, Math.min(end, this.count));
    if (from === 0 && to === this.count) return this;
    const first = this.starts[from] ?? this.bytes.length;
    const last = this.starts[to] ?? this.bytes.length;
    return new RecordPage(
      this.codec,
      this.bytes.subarray(first, last),
      this.starts.slice(from, to).map((at) => at - first),
      this.from + from,
    );
  }

  /** The same blocks as records of `codec`, or why a record holds no block. */
  inCodec(codec: ChainCodec): RecordPage | string {
    if (codec === this.codec) return this;
    if (this.codec === BINARY_CODEC && codec === JSON_LINES_CODEC) {
      const lines = binaryToJsonLines(this.bytes);
      if (typeof lines === "string") return lines;
      // The chain keeps the records it adopts as they are: no room to spare kept with them.
      const fitted =
        lines.bytes.buffer.byteLength > lines.bytes.length * 1.25
          ? Buffer.from(lines.bytes)
          : lines.bytes;
      return new RecordPage(codec, fitted, lines.starts, this.from);
    }
    const blocks: Block[] = [];
    for (let i = 0; i < this.count; i++) {
      const block = this.blockAt(i);
      if (typeof block === "string") return `record ${i} of the page: ${block}`;
      blocks.push(block);
    }
    try {
      return RecordPage.ofBlocks(codec, blocks, this.from);
    } catch (err) {
      return (err as Error).message;
    }
  }
}

/** Where each binary record starts, from the length fields alone (CRCs are the validation's). */
function binaryStarts(bytes: Buffer): number[] | string {
  const starts: number[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    if (bytes.length - pos < FRAME_HEAD) return `record ${starts.length} of the page is cut short`;
    const length = bytes.readUInt32LE(pos);
    if ((length ^ bytes.readUInt32LE(pos + 4)) >>> 0 !== 0xffffffff) {
      return `record ${starts.length} of the page has a damaged header (its length check fails)`;
    }
    const end = pos + FRAME_HEAD + length + FRAME_TAIL;
    if (end > bytes.length) return `record ${starts.length} of the page is cut short`;
    starts.push(pos);
    pos = end;
  }
  return starts;
}

/** Where each line starts; every line ends with its newline. */
function lineStarts(bytes: Buffer): number[] | string {
  const starts: number[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const newline = indexOfByte(bytes, NEWLINE, pos);
    if (newline < 0) return `record ${starts.length} of the page is cut short (no newline)`;
    starts.push(pos);
    pos = newline + 1;
  }
  return starts;
}
