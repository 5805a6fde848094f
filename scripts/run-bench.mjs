// Runs the measurements under bench/ (compiled to dist/bench) one after another
// and writes their figures to bench/results.json, one flat JSON object.
// `npm run bench` runs them all and writes a fresh file; `npm run bench -- hashrate`
// runs those whose name matches (a whole name: that one only) and updates only their keys in the file.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const dir = "dist/bench";
const output = "bench/results.json";
const filter = process.argv.slice(2);
const all = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".js")) : [];
// A name that is a bench's whole name runs that bench only (`simnet`, not also `simnet32`).
const matches = (f, p) => (all.includes(`${p}.js`) ? f === `${p}.js` : f.includes(p));
const files = all.filter((f) => filter.length === 0 || filter.some((p) => matches(f, p))).sort();

const scratch = mkdtempSync(join(tmpdir(), "bc-bench-results-"));
const lines = join(scratch, "results.jsonl");
const began = Date.now();
const failed = [];
try {
  for (const file of files) {
    console.log(`\n=== bench/${file.replace(/\.js$/, ".ts")}`);
    const started = Date.now();
    const result = spawnSync(process.execPath, [`${dir}/${file}`], {
      stdio: "inherit",
      env: { ...process.env, BENCH_RESULTS: lines },
    });
    if (result.status !== 0) failed.push(file);
    console.log(`(${file} took ${Math.round((Date.now() - started) / 1000)} s)`);
  }
  const measured = existsSync(lines)
    ? readFileSync(lines, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
  const previous =
    filter.length > 0 && existsSync(output) ? JSON.parse(readFileSync(output, "utf8")) : {};
  delete previous.run_failed;
  const results = Object.assign(previous, ...measured, {
    run_at: new Date(began).toISOString(),
    run_seconds: Math.round((Date.now() - began) / 1000),
    run_node: process.version,
    run_cores: availableParallelism(),
    run_load_avg_1m: Number(loadavg()[0].toFixed(2)),
    ...(failed.length > 0 ? { run_failed: failed.join(" ") } : {}),
  });
  writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${output}:\n${JSON.stringify(results, null, 2)}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed.length > 0 ? 1 : 0);
