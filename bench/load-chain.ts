import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { NodeProcess } from "../test/helpers/node-process.js";
import { copyLongChain, MILLION } from "./lib/million-chain.js";
import { recordResults } from "./lib/results.js";

/*
 * Start-up on a long chain: a node process started on a 1,000,000-block
 * chain file (difficulty 1, with its .hash, as the node itself leaves it), in
 * each format, timed from the spawn until GET /status answers; its resident
 * memory then. Keys: load_json_s, load_binary_s, load_rss_mb (the larger of the
 * two), load_json_rss_mb, load_binary_rss_mb.
 */

const LENGTH = Number(process.env.BENCH_LOAD_LENGTH ?? MILLION);

/** Resident memory of a process in MiB, from /proc (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
}

async function measure(format: "json" | "binary"): Promise<{ seconds: number; rss: number }> {
  const dir = await mkdtemp(join(tmpdir(), "bc-bench-load-"));
  const chainPath = join(dir, "chain.dat");
  try {
    await copyLongChain(format, chainPath, LENGTH);
    const began = performance.now();
    const node = await NodeProcess.start({
      chainPath,
      startTimeoutMs: 300_000,
      args: [
        "--chain-serialization",
        format,
        "--difficulty",
        "1",
        "--no-mine",
        "--log-level",
        "warn",
      ],
    });
    try {
      const status = await fetch(`${node.url}/status`).then((r) => r.json());
      const seconds = (performance.now() - began) / 1000;
      const rss = rssMb(node.child.pid as number);
      if ((status as { length: number }).length !== LENGTH) {
        throw new Error(`the node loaded ${(status as { length: number }).length} blocks`);
      }
      console.log(
        `${format.padEnd(6)} ${LENGTH} blocks: /status after ${seconds.toFixed(2)} s, RSS ${rss.toFixed(0)} MiB`,
      );
      return { seconds, rss };
    } finally {
      await node.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const json = await measure("json");
const binary = await measure("binary");
recordResults({
  load_json_s: json.seconds,
  load_binary_s: binary.seconds,
  load_rss_mb: Math.max(json.rss, binary.rss),
  load_json_rss_mb: json.rss,
  load_binary_rss_mb: binary.rss,
});
