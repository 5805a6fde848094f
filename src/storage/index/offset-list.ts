const WORD = 2 ** 32;

/**
 * Byte offsets that never decrease (where each record starts), appended at
 * the end and cut back after a truncation: 4 bytes each (the low 32 bits in
 * one Uint32Array), plus, for files past 4 GiB, the index at which the high
 * part goes up each time (a few numbers: one per 4 GiB). A 10-million-block
 * chain's offsets take 40 MB instead of 80.
 */
export class OffsetList {
  private low: Uint32Array;
  private count: number;
  /** wraps[k]: the first index whose offset is at least (k + 1) * 2^32. */
  private readonly wraps: number[];

  /** The first `count` of `values` (copied). */
  constructor(values: ArrayLike<number> = [], count = values.length) {
    this.low = new Uint32Array(Math.max(count, 0));
    this.count = 0;
    this.wraps = [];
    this.pushShifted(values, count, 0);
  }

  static of(offsets: readonly number[]): OffsetList {
    return new OffsetList(offsets);
  }

  /** A list from what `parts` gave (its low words taken, not copied): an index kept on disk. */
  static fromParts(low: Uint32Array, wraps: readonly number[]): OffsetList {
    const list = new OffsetList();
    list.low = low;
    list.count = low.length;
    list.wraps.push(...wraps);
    return list;
  }

  /** The low 32 bits of each offset (a view, not a copy) and where the high part goes up. */
  parts(): { low: Uint32Array; wraps: readonly number[] } {
    return { low: this.low.subarray(0, this.count), wraps: [...this.wraps] };
  }

  get length(): number {
    return this.count;
  }

  /** The offset at `index`, or undefined past the end. */
  at(index: number): number | undefined {
    if (!(index >= 0 && index < this.count)) return undefined;
    const low = this.low[index] as number;
    const wraps = this.wraps;
    if (wraps.length === 0 || index < (wraps[0] as number)) return low;
    let high = 0;
    while (high < wraps.length && (wraps[high] as number) <= index) high++;
    return high * WORD + low;
  }

  push(offset: number): void {
    this.pushShifted([offset], 1, 0);
  }

  /**
   * Appends `count` offsets, each `base` plus one of `values`, in one go
   * (room made once, for `expected` offsets in all when that is more).
   */
  pushShifted(values: ArrayLike<number>, count: number, base: number, expected = 0): void {
    const needed = this.count + count;
    this.grow(needed, expected);
    const low = this.low;
    const wraps = this.wraps;
    let at = this.count;
    for (let i = 0; i < count; i++, at++) {
      const offset = base + (values[i] as number);
      if (wraps.length === 0 && offset < WORD) {
        low[at] = offset;
        continue;
      }
      const high = Math.floor(offset / WORD);
      if (high < wraps.length) {
        throw new RangeError(`offset ${offset} is below the one before it`);
      }
      while (wraps.length < high) wraps.push(at);
      low[at] = offset - high * WORD;
    }
    this.count = needed;
  }

  /**
   * Room for `extra` more offsets (for `expected` in all when that is more),
   * to be written as their low 32 bits into `low` from `at` on (by the addon)
   * and then kept by commitWritten.
   */
  reserve(extra: number, expected = 0): { low: Uint32Array; at: number } {
    this.grow(this.count + extra, expected);
    return { low: this.low, at: this.count };
  }

  /**
   * Keeps the `count` offsets written after the last one (see reserve): the
   * records of one chunk of a file, [base, end) in it, of at most 4 GiB, so
   * that their offsets cross at most one multiple of 2^32, where their low
   * parts drop.
   */
  commitWritten(count: number, base: number, end: number): void {
    const from = this.count;
    const wraps = this.wraps;
    // The chunk starts past a multiple of 2^32 that no offset before it reached.
    while (wraps.length < Math.floor(base / WORD)) wraps.push(from);
    if (Math.floor(base / WORD) < Math.floor((end - 1) / WORD)) {
      const low = this.low;
      let at = from + 1;
      while (at < from + count && (low[at] as number) >= (low[at - 1] as number)) at++;
      if (at < from + count) wraps.push(at);
    }
    this.count = from + count;
  }

  /** Keeps the first `length` offsets. */
  truncate(length: number): void {
    this.count = Math.min(this.count, Math.max(0, length));
    while (this.wraps.length > 0 && (this.wraps[this.wraps.length - 1] as number) >= this.count) {
      this.wraps.pop();
    }
  }

  private grow(needed: number, expected: number): void {
    if (needed <= this.low.length) return;
    // By an eighth at least: amortised O(1) appends, and little slack on a long chain.
    const bigger = new Uint32Array(Math.max(needed, expected, this.count + (this.count >> 3), 64));
    bigger.set(this.low.subarray(0, this.count));
    this.low = bigger;
  }

  copy(): OffsetList {
    const copy = new OffsetList();
    copy.low = this.low.slice(0, this.count);
    copy.count = this.count;
    copy.wraps.push(...this.wraps);
    return copy;
  }
}
