// The overview's chart of recent block intervals, drawn as a hand-made SVG sparkline.
import type { Block } from "./wire.js";

/** Times between consecutive blocks (ms), oldest first; genesis (timestamp 0) is left out. */
export function blockIntervals(blocks: readonly Block[]): number[] {
  const sorted = [...blocks].filter((b) => b.index > 0).sort((a, b) => a.index - b.index);
  const intervals: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as Block;
    const cur = sorted[i] as Block;
    if (cur.index === prev.index + 1) intervals.push(cur.timestamp - prev.timestamp);
  }
  return intervals;
}

export interface SparklineGeometry {
  /** The polyline's points attribute. */
  points: string;
  /** The same line closed along the bottom, for a filled area. */
  area: string;
  max: number;
  median: number;
  /** The value at the top of the box: the max, or a cap when an outlier would flatten the rest. */
  top: number;
  /** Whether some values were above the cap and drawn at the top. */
  clipped: boolean;
}

/** An interval this many times the median is an outlier (an idle node's long wait) and is capped. */
export const OUTLIER_FACTOR = 4;

/**
 * Points of a sparkline of `values` in a `width` x `height` box (y grows downwards,
 * 0 at the bottom). A node idles without messages, so one interval can be hours
 * among seconds: values beyond OUTLIER_FACTOR x the median are drawn at the top.
 */
export function sparkline(
  values: readonly number[],
  width: number,
  height: number,
  pad = 2,
): SparklineGeometry | null {
  if (values.length === 0) return null;
  const max = Math.max(...values);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const top = median > 0 ? Math.min(max, median * OUTLIER_FACTOR) : max;
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const scale = top > 0 ? (height - 2 * pad) / top : 0;
  const coords = values.map((v, i) => {
    const x = values.length > 1 ? pad + i * step : width / 2;
    const y = height - pad - Math.min(v, top) * scale;
    return `${round(x)},${round(y)}`;
  });
  const points = coords.join(" ");
  const first = values.length > 1 ? pad : width / 2;
  const last = values.length > 1 ? width - pad : width / 2;
  const area = `${round(first)},${height - pad} ${points} ${round(last)},${height - pad}`;
  return { points, area, max, median, top, clipped: top < max };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
