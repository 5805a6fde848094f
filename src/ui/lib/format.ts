// Display formatting: pure functions, so they are unit-tested without a browser.

/** `7f9a64a5…137a9c3e`: enough of a hash to recognise it, short enough for a phone. */
export function shortHash(hash: string | null, keep = 8): string {
  if (hash === null) return "none";
  if (hash.length <= keep * 2 + 1) return hash;
  return `${hash.slice(0, keep)}…${hash.slice(-keep)}`;
}

/** A timestamp (ms since the epoch) as an ISO date-time in UTC, without milliseconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const UNITS: readonly [limitS: number, unitS: number, name: string][] = [
  [60, 1, "s"],
  [3600, 60, "min"],
  [86_400, 3600, "h"],
  [86_400 * 365, 86_400, "d"],
];

/** How long ago `ms` was, relative to `now`: "just now", "42 s ago", "3 min ago", "2 d ago". */
export function relativeTime(ms: number, now: number): string {
  const ageS = Math.round((now - ms) / 1000);
  if (ageS < 0) return `in ${formatDuration(-ageS * 1000)}`;
  if (ageS < 2) return "just now";
  for (const [limit, unit, name] of UNITS) {
    if (ageS < limit) return `${Math.floor(ageS / unit)} ${name} ago`;
  }
  return `${Math.floor(ageS / (86_400 * 365))} y ago`;
}

/** A duration in ms, compact: "850 ms", "4.2 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const total = Math.round(s);
  if (total < 3600) return joinParts(Math.floor(total / 60), "min", total % 60, "s");
  if (total < 86_400)
    return joinParts(Math.floor(total / 3600), "h", Math.floor((total % 3600) / 60), "min");
  return joinParts(Math.floor(total / 86_400), "d", Math.floor((total % 86_400) / 3600), "h");
}

function joinParts(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

/** Hashes per second with an SI prefix: "0 H/s", "950 H/s", "1.25 kH/s", "3.4 MH/s". */
export function formatHashrate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return "0 H/s";
  const prefixes = ["", "k", "M", "G", "T"];
  let value = perSecond;
  let i = 0;
  while (value >= 1000 && i < prefixes.length - 1) {
    value /= 1000;
    i++;
  }
  const digits = i === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${prefixes[i]}H/s`;
}

/** An integer with thin grouping, "100000" -> "100,000", independent of the browser's locale. */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "1 block", "2 blocks". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
