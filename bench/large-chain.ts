import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { SERVING_NODE_FLAGS, timeFreshSync, timeStart } from "./lib/chain-nodes.js";
import { freeBytes, writeChainFiles } from "./lib/large-chain-file.js";
import { recordResults } from "./lib/results.js";

/*
 * A chain of 10,000,000 blocks (2.2 GB of JSON Lines, 0.93 GB binary), made
 * here (bench/lib/large-chain-file.ts, about a minute) in a folder on the disk
 * and removed at the end however the run ends: BENCH_LARGE_DIR (default the OS
 * temp folder), which must have 6 GB free (the two files, and the JSON copy a
 * syncing node writes). Keys:
 *
 * - load_10m_json_s, load_10m_binary_s: a node started on the file, its .hash,
 *   marks and index snapshot beside it as a node that stopped cleanly leaves
 *   them, until GET /status answers; load_10m_*_cpu_s the CPU seconds of the
 *   node until then (all threads); load_10m_rss_mb the largest resident
 *   memory of the starts then;
 * - load_10m_json_cold_s, load_10m_binary_cold_s (and _cold_cpu_s): the start
 *   before, on the file as the bench wrote it, with its .hash and marks but no
 *   index snapshot (as after a kill -9): the whole file read and indexed; its
 *   clean stop leaves the snapshot the timed start above uses;
 * - verify_10m_s: `blockchain verify` (the full check) of the JSON file, wall
 *   clock, and verify_10m_cpu_s, its CPU seconds;
 * - sync_10m_blocks_per_s: a fresh node (JSON Lines) syncing the chain from
 *   a node started on the binary file, from its start until it holds them all;
 *   sync_10m_rss_mb its resident memory then and sync_10m_peak_rss_mb the most
 *   seen meanwhile (it saves as it goes, so what it holds unsaved is bounded);
 *   sync_10m_cpu_s and sync_10m_source_cpu_s the CPU seconds of the fresh and
 *   the serving node over the sync (the machine may be shared: wall clock
 *   moves with its load, CPU seconds less); sync_10m_save_wait_s how long the
 *   sync waited for its saves (blockchain_sync_save_wait_seconds_total: the
 *   disk slower than the sync).
 */

const LENGTH = Number(process.env.BENCH_LARGE_LENGTH ?? 10_000_000);
const NEEDED_BYTES = (6e9 * LENGTH) / 10_000_000;
const BIN = fileURLToPath(new URL("../../bin/blockchain", import.meta.url));

/** CPU seconds (user + system, every thread) a process used so far, from /proc (Linux). */
function cpuSeconds(pid: number | "self", children = false): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const [user, system] = children ? [13, 14] : [11, 12];
  return (Number(fields[user]) + Number(fields[system])) / 100;
}

function measureVerify(path: string) {
  const cpuBefore = cpuSeconds("self", true);
  const began = performance.now();
  const run = spawnSync(process.execPath, [BIN, "verify", path, "--difficulty", "1"], {
    encoding: "utf8",
    timeout: 30 * 60_000,
  });
  const seconds = (performance.now() - began) / 1000;
  const cpu = cpuSeconds("self", true) - cpuBefore;
  if (run.status !== 0 || !run.stdout.startsWith(`valid: ${LENGTH} blocks`)) {
    throw new Error(`verify failed (${run.status}): ${run.stdout}${run.stderr}`);
  }
  console.log(`verify ${LENGTH} blocks (JSON): ${seconds.toFixed(2)} s, ${cpu.toFixed(2)} CPU s`);
  return { seconds, cpu };
}

const base = process.env.BENCH_LARGE_DIR ?? tmpdir();
await mkdir(base, { recursive: true });
const free = await freeBytes(base);
if (free < NEEDED_BYTES) {
  throw new Error(
    `${base} has ${(free / 1e9).toFixed(1)} GB free; the ${LENGTH}-block chain needs ${(NEEDED_BYTES / 1e9).toFixed(1)} GB (set BENCH_LARGE_DIR to a folder with room)`,
  );
}
const root = await mkdtemp(join(base, "bc-bench-large-"));
try {
  const json = join(root, "chain-json.json");
  const binary = join(root, "chain-binary.bin");
  const began = performance.now();
  const sizes = await writeChainFiles(LENGTH, { json, binary });
  console.log(
    `wrote ${LENGTH}-block chains (json ${sizes.json} bytes, binary ${sizes.binary} bytes) in ${((performance.now() - began) / 1000).toFixed(1)} s, load average ${loadavg()[0]?.toFixed(1)}`,
  );
  // On disk before anything is timed: the 3 GB just written would otherwise be written back
  // during the runs below, and the syncing node's saves (fsync) would wait behind it.
  const flushing = performance.now();
  for (const path of [json, binary]) {
    const handle = await open(path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  console.log(`flushed them to disk in ${((performance.now() - flushing) / 1000).toFixed(1)} s`);
  const start = (path: string, format: "json" | "binary") =>
    timeStart(path, LENGTH, {
      args: [...SERVING_NODE_FLAGS, "--chain-serialization", format],
      startTimeoutMs: 600_000,
      label: format,
    });
  const coldJson = await start(json, "json");
  const loadJson = await start(json, "json");
  const coldBinary = await start(binary, "binary");
  const loadBinary = await start(binary, "binary");
  const verify = measureVerify(json);
  const sync = await timeFreshSync(binary, join(root, "fresh", "chain.json"), LENGTH, {
    startTimeoutMs: 600_000,
    deadlineMs: 20 * 60_000,
  });
  recordResults({
    load_10m_json_s: loadJson.seconds,
    load_10m_binary_s: loadBinary.seconds,
    load_10m_json_cpu_s: loadJson.cpu,
    load_10m_binary_cpu_s: loadBinary.cpu,
    load_10m_rss_mb: Math.max(coldJson.rss, loadJson.rss, coldBinary.rss, loadBinary.rss),
    load_10m_json_cold_s: coldJson.seconds,
    load_10m_binary_cold_s: coldBinary.seconds,
    load_10m_json_cold_cpu_s: coldJson.cpu,
    load_10m_binary_cold_cpu_s: coldBinary.cpu,
    verify_10m_s: verify.seconds,
    verify_10m_cpu_s: verify.cpu,
    sync_10m_blocks_per_s: sync.rate,
    sync_10m_rss_mb: sync.rss,
    sync_10m_peak_rss_mb: sync.peakRss,
    sync_10m_cpu_s: sync.cpu,
    sync_10m_source_cpu_s: sync.sourceCpu,
    sync_10m_save_wait_s: sync.saveWait,
  });
} finally {
  await rm(root, { recursive: true, force: true });
  // The file system frees 6 GB after the removal: done here, not during the next bench's timings.
  spawnSync("sync", { timeout: 120_000 });
}
