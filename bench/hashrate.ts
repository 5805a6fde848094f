import { spawnSync } from "node:child_process";
import { createHash, hash as oneShotHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { digestMeetsDifficulty, originalSearchInput } from "../src/core/pow.js";
import { scanProofs } from "../src/mining/proof-scanner.js";
import { ProofSearchPool } from "../src/mining/proof-search-pool.js";
import { recordResults } from "./lib/results.js";

/*
 * Proof-search hash rate: the worker pool with one thread and with every
 * core, with the engine the node would use and with the TypeScript fallback;
 * the single-thread loops it replaced (node:crypto per candidate); and the
 * reference `openssl speed -seconds 3 -bytes 16 sha256` (its per-call rate)
 * run on the same machine, each printed as a ratio to the reference. Keys:
 * hash_per_core, hash_all_cores, hash_openssl_ref, hash_engine, and
 * hash_per_core_js, hash_all_cores_js for the fallback.
 */

const SECONDS = 3;
/** Measuring time of the loops kept for comparison. */
const AUX_SECONDS = 1;
/** A difficulty no search reaches in the measuring time, so the pool hashes steadily. */
const UNREACHABLE = 14;
const LAST_PROOF = 1234567;

/**
 * Hashes per second of a pool of `workers` threads, searching for SECONDS
 * then aborted: by the wall clock, and per CPU second of this process (which
 * is what `openssl speed` divides by: its user CPU time, so a busy machine
 * does not lower it).
 */
async function poolRate(workers: number, native?: string): Promise<{ wall: number; cpu: number }> {
  const pool = new ProofSearchPool({ workers, native });
  try {
    // A short warm-up spawns the threads and lets V8 optimise the loop.
    await pool.search(originalSearchInput(LAST_PROOF), UNREACHABLE, AbortSignal.timeout(500));
    const hashesBefore = pool.totalHashes;
    const cpuBefore = process.cpuUsage();
    await pool.search(
      originalSearchInput(LAST_PROOF),
      UNREACHABLE,
      AbortSignal.timeout(SECONDS * 1000),
    );
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { wall: pool.hashrate, cpu: (pool.totalHashes - hashesBefore) / cpuSeconds };
  } finally {
    await pool.close();
  }
}

/** Hashes per second of `loop(start, end)` on this thread, over about SECONDS. */
function loopRate(loop: (start: number, end: number) => void): number {
  const batch = 100_000;
  loop(0, batch);
  const began = performance.now();
  let done = 0;
  while (performance.now() - began < AUX_SECONDS * 1000) {
    loop(done, done + batch);
    done += batch;
  }
  return (done * 1000) / (performance.now() - began);
}

/** The core's former loop: createHash per candidate on `prefix + proof`. */
function createHashLoop(start: number, end: number): void {
  const prefix = String(LAST_PROOF);
  for (let proof = start; proof < end; proof++) {
    digestMeetsDifficulty(
      createHash("sha256")
        .update(prefix + proof)
        .digest(),
      UNREACHABLE,
    );
  }
}

/** crypto.hash (Node 20.12+) per candidate, returning a Buffer. */
function oneShotLoop(start: number, end: number): void {
  const prefix = String(LAST_PROOF);
  for (let proof = start; proof < end; proof++) {
    digestMeetsDifficulty(oneShotHash("sha256", prefix + proof, "buffer"), UNREACHABLE);
  }
}

/** OpenSSL's single-thread SHA-256 rate on 16-byte inputs, or why it is unknown. */
function opensslRate(): number | string {
  const run = spawnSync(
    "openssl",
    ["speed", "-seconds", String(SECONDS), "-bytes", "16", "sha256"],
    {
      encoding: "utf8",
    },
  );
  if (run.error) return `openssl is not available (${run.error.message})`;
  // The result line reads "sha256   139336.40k": thousands of bytes per second.
  const match = /^sha256\s+([\d.]+)k\s*$/m.exec(run.stdout);
  if (!match?.[1]) return `could not parse the output of openssl speed: ${run.stdout.trim()}`;
  return (Number(match[1]) * 1000) / 16;
}

function line(name: string, rate: number, reference: number | string): string {
  const ratio = typeof reference === "number" ? `${(rate / reference).toFixed(3)} x openssl` : "";
  return `${name.padEnd(44)} ${(rate / 1e6).toFixed(3).padStart(8)} M hashes/s  ${ratio}`;
}

const cores = availableParallelism();
const engine = new ProofSearchPool({ workers: 1 }).engine;
console.log(
  `node ${process.version}, ${cores} cores, ${SECONDS} s per pool measure, engine ${engine}`,
);
const reference = opensslRate();
const perCore = await poolRate(1);
const allCores = await poolRate(cores);
const perCoreJs = await poolRate(1, "0");
const allCoresJs = await poolRate(cores, "0");
const rows: Array<[string, number]> = [
  ["createHash per candidate (1 thread, main)", loopRate(createHashLoop)],
  ["crypto.hash per candidate (1 thread, main)", loopRate(oneShotLoop)],
  [
    "TypeScript scanner (1 thread, main)",
    loopRate((start, end) => scanProofs(originalSearchInput(LAST_PROOF), start, end, UNREACHABLE)),
  ],
  ["ProofSearchPool js, 1 worker", perCoreJs.wall],
  [`ProofSearchPool js, ${cores} workers`, allCoresJs.wall],
  [`ProofSearchPool ${engine}, 1 worker`, perCore.wall],
  [`ProofSearchPool ${engine}, 1 worker, per CPU second`, perCore.cpu],
  [`ProofSearchPool ${engine}, ${cores} workers`, allCores.wall],
];
if (typeof reference === "number") {
  console.log(line("openssl speed -bytes 16 sha256 (1 thread)", reference, reference));
} else {
  console.log(`reference: ${reference}`);
}
for (const [name, rate] of rows) console.log(line(name, rate, reference));
console.log(
  `all cores / one: ${(allCores.wall / perCore.wall).toFixed(2)} (${engine}), ${(allCoresJs.wall / perCoreJs.wall).toFixed(2)} (js)`,
);
recordResults({
  hash_per_core: perCore.wall,
  hash_all_cores: allCores.wall,
  ...(typeof reference === "number" ? { hash_openssl_ref: reference } : {}),
  hash_per_core_cpu: perCore.cpu,
  hash_engine: engine,
  hash_per_core_js: perCoreJs.wall,
  hash_per_core_js_cpu: perCoreJs.cpu,
  hash_all_cores_js: allCoresJs.wall,
});
