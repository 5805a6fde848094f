/** Runs shorter than this are copied into a tail of their own rather than kept as they came. */
const MIN_KEPT = 64 * 1024;
/** The size of a new tail segment that single records are written into. */
const TAIL_BYTES = 1024 * 1024;

/**
 * A byte space that grows at its end without ever copying what it holds: a
 * list of segments, each covering the offsets from its base up to the next
 * one's. Large runs (a sync's pages) are kept as the buffers they came in;
 * small writes (a mined block) go into tail segments of its own. Writes after
 * a truncation go over the old bytes of a tail of its own, never over a run
 * it was given.
 */
export class SegmentedBytes {
  private readonly bases: number[] = [0];
  private readonly parts: Buffer[];
  /** Whether the segment is one of its own (written into), or a run it was given (never written). */
  private readonly own: boolean[] = [true];
  private size: number;

  /** Starts with `first` (taken, not copied, written into), of which `used` bytes count. */
  constructor(first: Buffer, used: number) {
    this.parts = [first];
    this.size = used;
  }

  /** How many bytes it holds. */
  get length(): number {
    return this.size;
  }

  /** Bytes [from, to): a view when one segment holds them (copy it to keep it), else a copy. */
  view(from: number, to: number): Buffer {
    const k = this.segmentOf(from);
    const base = this.bases[k] as number;
    const end = this.bases[k + 1] ?? this.size;
    if (to <= end) return (this.parts[k] as Buffer).subarray(from - base, to - base);
    return this.copy(from, to);
  }

  /** A copy of bytes [from, to). */
  copy(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(Math.max(0, to - from));
    for (let at = from; at < to; ) {
      const k = this.segmentOf(at);
      const base = this.bases[k] as number;
      const end = Math.min(to, this.bases[k + 1] ?? this.size);
      (this.parts[k] as Buffer).copy(out, at - from, at - base, end - base);
      at = end;
    }
    return out;
  }

  /**
   * Bytes [from, to) as pieces, one after another, that stay as they are
   * while this changes: views of the runs it was given (never written), and
   * copies of what lies in its own segments (written over after a
   * truncation). A save of a long sync's records then copies next to nothing.
   */
  pieces(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    for (let at = from; at < to; ) {
      const k = this.segmentOf(at);
      const base = this.bases[k] as number;
      const end = Math.min(to, this.bases[k + 1] ?? this.size);
      const part = (this.parts[k] as Buffer).subarray(at - base, end - base);
      out.push(this.own[k] ? Buffer.from(part) : part);
      at = end;
    }
    return out;
  }

  /**
   * Appends `bytes`, kept as they are (not copied: the caller must not change
   * them afterwards) unless they are few.
   */
  append(bytes: Buffer): void {
    if (bytes.length < MIN_KEPT) {
      this.write(bytes);
      return;
    }
    const last = this.parts.length - 1;
    const tail = this.parts[last] as Buffer;
    const tailEnd = (this.bases[last] as number) + tail.length;
    if (
      !this.own[last] &&
      tailEnd === this.size &&
      tail.buffer === bytes.buffer &&
      tail.byteOffset + tail.length === bytes.byteOffset
    ) {
      // The next slice of the same page: one segment.
      this.parts[last] = Buffer.from(tail.buffer, tail.byteOffset, tail.length + bytes.length);
    } else {
      this.addSegment(bytes, false);
    }
    this.size += bytes.length;
  }

  /** Appends a copy of `bytes`, into a tail segment of its own. */
  write(bytes: Buffer): void {
    const last = this.parts.length - 1;
    const at = this.size - (this.bases[last] as number);
    const tail = this.parts[last] as Buffer;
    if (this.own[last] && at + bytes.length <= tail.length) {
      bytes.copy(tail, at);
    } else {
      const segment = Buffer.allocUnsafe(Math.max(TAIL_BYTES, bytes.length));
      bytes.copy(segment, 0);
      this.addSegment(segment, true);
    }
    this.size += bytes.length;
  }

  /** Keeps the first `size` bytes. */
  truncate(size: number): void {
    if (size >= this.size) return;
    while (this.parts.length > 1 && (this.bases[this.bases.length - 1] as number) >= size) {
      this.bases.pop();
      this.parts.pop();
      this.own.pop();
    }
    this.size = size;
  }

  private addSegment(bytes: Buffer, own: boolean): void {
    this.bases.push(this.size);
    this.parts.push(bytes);
    this.own.push(own);
  }

  /** The segment holding offset `at`: the last whose base is at or below it. */
  private segmentOf(at: number): number {
    const last = this.bases.length - 1;
    if (at >= (this.bases[last] as number)) return last;
    let lo = 0;
    let hi = last - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.bases[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
