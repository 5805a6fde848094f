import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timeStart } from "./lib/chain-nodes.js";
import { copyLongChain, MILLION } from "./lib/million-chain.js";
import { recordResults } from "./lib/results.js";

/*
 * Start-up on a long chain: a node process started on a 1,000,000-block
 * chain file (difficulty 1, with its .hash, as the node itself leaves it), in
 * each format, timed from the spawn until GET /status answers; its resident
 * memory then. Keys: load_json_s, load_binary_s, load_rss_mb (the larger of the
 * two), load_json_rss_mb, load_binary_rss_mb. On a shared machine the wall
 * times move with the load, so the run also gives the CPU seconds the node
 * used until then (load_*_cpu_s) and the same for a node on a new chain
 * (load_empty_s, load_empty_cpu_s): the floor any start pays. A new chain's
 * start is short (about 0.15 s), so it is the median of EMPTY_RUNS starts,
 * after one start not counted: the first in this process also paid for the
 * bench's own first request (loading fetch's HTTP client here took 30-60 ms,
 * counted as if the node were slow to answer).
 */

const LENGTH = Number(process.env.BENCH_LOAD_LENGTH ?? MILLION);
const EMPTY_RUNS = Number(process.env.BENCH_EMPTY_RUNS ?? 7);

async function measure(
  format: "json" | "binary",
  length = LENGTH,
): Promise<{ seconds: number; cpu: number; rss: number }> {
  const dir = await mkdtemp(join(tmpdir(), "bc-bench-load-"));
  const chainPath = join(dir, "chain.dat");
  try {
    if (length > 1) await copyLongChain(format, chainPath, length);
    return await timeStart(chainPath, length, {
      args: [
        "--chain-serialization",
        format,
        "--difficulty",
        "1",
        "--no-mine",
        "--log-level",
        "warn",
      ],
      startTimeoutMs: 300_000,
      label: format,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The median wall time and the median CPU seconds of EMPTY_RUNS starts on a new chain, after one not counted. */
async function measureEmpty(): Promise<{ seconds: number; cpu: number }> {
  await measure("json", 1);
  const runs: { seconds: number; cpu: number }[] = [];
  for (let i = 0; i < EMPTY_RUNS; i++) runs.push(await measure("json", 1));
  const bySeconds = [...runs].sort((a, b) => a.seconds - b.seconds);
  const byCpu = [...runs].sort((a, b) => a.cpu - b.cpu);
  const middle = Math.floor(runs.length / 2);
  return {
    seconds: (bySeconds[middle] as { seconds: number }).seconds,
    cpu: (byCpu[middle] as { cpu: number }).cpu,
  };
}

const empty = await measureEmpty();
const json = await measure("json");
const binary = await measure("binary");
recordResults({
  load_json_s: json.seconds,
  load_binary_s: binary.seconds,
  load_rss_mb: Math.max(json.rss, binary.rss),
  load_json_rss_mb: json.rss,
  load_binary_rss_mb: binary.rss,
  load_json_cpu_s: json.cpu,
  load_binary_cpu_s: binary.cpu,
  load_empty_s: empty.seconds,
  load_empty_cpu_s: empty.cpu,
});
