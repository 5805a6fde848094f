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
 * (load_empty_s, load_empty_cpu_s): the floor any start pays.
 */

const LENGTH = Number(process.env.BENCH_LOAD_LENGTH ?? MILLION);

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

const empty = await measure("json", 1);
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
