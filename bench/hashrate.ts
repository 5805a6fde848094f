import { spawnSync } from "node:child_process";
import { createHash, hash as oneShotHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { digestMeetsDifficulty, originalSearchInput } from "../src/core/pow.js";
import { scanProofs } from "../src/mining/proof-scanner.js";
import { ProofSearchPool } from "../src/mining/proof-search-pool.js";
import { recordResults } from "./lib/results.js";
import { measureShaLimit, type ShaLimit } from "./lib/sha-limit.js";

/*
 * Proof-search hash rate: the worker pool with one thread and with every
 * core, with the engine the node would use and with the TypeScript fallback;
 * the single-thread loops it replaced (node:crypto per candidate); and the
 * reference `openssl speed -seconds 3 -bytes 16 sha256` (its per-call rate)
 * run on the same machine, each printed as a ratio to the reference. Keys:
 * hash_per_core, hash_all_cores, hash_openssl_ref, hash_engine, and
 * hash_per_core_js, hash_all_cores_js for the fallback, hash_per_core_portable
 * for the portable C engine (8 AVX2 lanes where the CPU has AVX2).
 *
 * The SHA unit's limit on one core is measured in the same run, just before
 * and just after the one-worker pool, by a small C loop of its own
 * (bench/lib/sha-limit.c: 1 to 4 interleaved compression streams and nothing
 * else): hash_limit_per_core (the best stream count, wall clock, beside
 * hash_per_core) and hash_limit_per_core_cpu (per CPU second, beside
 * hash_per_core_cpu). hash_of_limit is hash_per_core_cpu over
 * hash_limit_per_core_cpu: per CPU second, so that a machine shared with
 * other work does not move it as it moves wall-clock rates.
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

/** The limit measured before and after the pool: the best stream count's mean rates, or why it is unknown. */
function meanLimit(before: ShaLimit | string, after: ShaLimit | string) {
  if (typeof before === "string") return before;
  if (typeof after === "string") return after;
  return {
    wall: (before.best.wall + after.best.wall) / 2,
    cpu: (before.best.cpu + after.best.cpu) / 2,
    streams: before.streams,
    after: after.streams,
  };
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
const limitBefore = measureShaLimit(1, 1);
const perCore = await poolRate(1);
const limitAfter = measureShaLimit(1, 1);
const limit = meanLimit(limitBefore, limitAfter);
const allCores = await poolRate(cores);
const perCorePortable = await poolRate(1, "portable");
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
  ["ProofSearchPool native-portable, 1 worker", perCorePortable.wall],
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
if (typeof limit === "string") {
  console.log(`SHA unit limit: unknown (${limit})`);
} else {
  for (const n of [1, 2, 3, 4] as const) {
    const [before, after] = [limit.streams[n], limit.after[n]];
    console.log(
      `limit loop, ${n} interleaved stream(s): ${(before.wall / 1e6).toFixed(2)} / ${(after.wall / 1e6).toFixed(2)} M/s wall, ${(before.cpu / 1e6).toFixed(2)} / ${(after.cpu / 1e6).toFixed(2)} M/s per CPU second (before / after the pool)`,
    );
  }
  console.log(
    `miner / limit: ${(perCore.wall / limit.wall).toFixed(3)} by the wall clock, ${(perCore.cpu / limit.cpu).toFixed(3)} per CPU second`,
  );
}
recordResults({
  hash_per_core: perCore.wall,
  hash_all_cores: allCores.wall,
  ...(typeof reference === "number" ? { hash_openssl_ref: reference } : {}),
  hash_per_core_cpu: perCore.cpu,
  hash_engine: engine,
  hash_per_core_portable: perCorePortable.wall,
  hash_per_core_js: perCoreJs.wall,
  hash_per_core_js_cpu: perCoreJs.cpu,
  hash_all_cores_js: allCoresJs.wall,
  ...(typeof limit === "string"
    ? {}
    : {
        hash_limit_per_core: limit.wall,
        hash_limit_per_core_cpu: limit.cpu,
        hash_of_limit: perCore.cpu / limit.cpu,
      }),
});
