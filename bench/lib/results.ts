import { appendFileSync } from "node:fs";

/** A measured figure or a note about the run, as it goes into bench/results.json. */
export type ResultValue = number | string;

/**
 * Records figures of this bench for bench/results.json: scripts/run-bench.mjs
 * gives every bench the file BENCH_RESULTS to append to and merges them into
 * one flat object at the end. A bench run on its own just prints them.
 */
export function recordResults(values: Record<string, ResultValue>): void {
  const rounded = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === "number" ? Number(value.toPrecision(6)) : value,
    ]),
  );
  console.log(`results: ${JSON.stringify(rounded)}`);
  const file = process.env.BENCH_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify(rounded)}\n`);
}
