/** Least time between two progress lines. */
export const PROGRESS_INTERVAL_MS = 1000;

/**
 * A reporter for long work: called after each step, it writes one line
 * (`<what>: 12 of 40 ..., about N s left`) at most once per interval, and
 * nothing at all for work that ends within the first interval.
 */
export function progressLine(
  what: string,
  write: (line: string) => void,
  opts: { now?: () => number; intervalMs?: number } = {},
): (done: number, total: number) => void {
  const now = opts.now ?? Date.now;
  const interval = opts.intervalMs ?? PROGRESS_INTERVAL_MS;
  const started = now();
  let last = started;
  return (done, total) => {
    const at = now();
    if (at - last < interval || done >= total) return;
    last = at;
    const perStep = (at - started) / done;
    const left = Math.ceil(((total - done) * perStep) / 1000);
    const percent = Math.floor((100 * done) / total);
    write(`${what}: ${done} of ${total} (${percent}%), about ${left} s left\n`);
  };
}
