/**
 * Byte offsets (where each record starts), appended at the end and cut back
 * after a truncation: 8 bytes each in one Float64Array (offsets past 4 GiB
 * stay exact), which a million-block load hands over without a copy.
 */
export class OffsetList {
  private values: Float64Array;
  private count: number;

  /** The first `count` of `values` (taken, not copied). */
  constructor(values: Float64Array = new Float64Array(0), count = values.length) {
    this.values = values;
    this.count = count;
  }

  static of(offsets: readonly number[]): OffsetList {
    return new OffsetList(Float64Array.from(offsets));
  }

  get length(): number {
    return this.count;
  }

  /** The offset at `index`, or undefined past the end. */
  at(index: number): number | undefined {
    return index >= 0 && index < this.count ? this.values[index] : undefined;
  }

  push(offset: number): void {
    if (this.count === this.values.length) {
      // By an eighth: amortised O(1) appends, and little slack on a long chain.
      const bigger = new Float64Array(this.count + Math.max(this.count >> 3, 64));
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = offset;
  }

  /**
   * Appends `count` offsets, each `base` plus one of `values`, in one go
   * (room made once, for `expected` offsets in all when that is more).
   */
  pushShifted(values: ArrayLike<number>, count: number, base: number, expected = 0): void {
    const needed = this.count + count;
    if (needed > this.values.length) {
      const bigger = new Float64Array(Math.max(needed, expected, this.count + (this.count >> 3)));
      bigger.set(this.values.subarray(0, this.count));
      this.values = bigger;
    }
    const to = this.values;
    for (let i = 0; i < count; i++) to[this.count + i] = base + (values[i] as number);
    this.count = needed;
  }

  /** Keeps the first `length` offsets. */
  truncate(length: number): void {
    this.count = Math.min(this.count, Math.max(0, length));
  }

  copy(): OffsetList {
    return new OffsetList(this.values.slice(0, this.count));
  }
}
