import { formatDuration } from "../lib/format.js";
import { sparkline } from "../lib/intervals.js";

const WIDTH = 240;
const HEIGHT = 48;

/** A hand-drawn SVG chart of recent block intervals, with a text summary for screen readers. */
export function Sparkline({ intervals }: { intervals: number[] }) {
  const geometry = sparkline(intervals, WIDTH, HEIGHT);
  if (!geometry) return <p class="muted chart-empty">Not enough blocks yet to chart intervals.</p>;
  const summary = `Last ${intervals.length} block intervals: median ${formatDuration(geometry.median)}, longest ${formatDuration(geometry.max)}`;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="none"
      >
        <polygon class="chart-area" points={geometry.area} />
        <polyline class="chart-line" points={geometry.points} />
      </svg>
      <figcaption>
        median {formatDuration(geometry.median)} · max {formatDuration(geometry.max)} · last{" "}
        {intervals.length}
        {geometry.clipped && ` · scale capped at ${formatDuration(geometry.top)}`}
      </figcaption>
    </figure>
  );
}
