import { isoTime, relativeTime } from "../lib/format.js";

/** A moment shown relative to now, with the exact time in the markup and on hover. */
export function TimeAgo({ ms, now }: { ms: number; now: number }) {
  const iso = isoTime(ms);
  return (
    <time dateTime={new Date(ms).toISOString()} title={iso}>
      {ms === 0 ? "genesis (1970)" : relativeTime(ms, now)}
    </time>
  );
}
