import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timeFreshSync } from "./lib/chain-nodes.js";
import { copyLongChain, MILLION } from "./lib/million-chain.js";
import { recordResults } from "./lib/results.js";

/*
 * Chain sync speed: a node serving a 1,000,000-block chain (difficulty 1,
 * started on the chain file), and a fresh node whose only neighbour it is;
 * measures blocks per second from the fresh node serving to it holding the
 * whole chain. Keys: sync_blocks_per_s, and sync_cpu_s and sync_source_cpu_s,
 * the CPU seconds of the fresh and the serving node over the sync.
 */

const LENGTH = Number(process.env.BENCH_SYNC_LENGTH ?? MILLION);

const root = await mkdtemp(join(tmpdir(), "bc-bench-sync-"));
try {
  const sourcePath = join(root, "source", "chain.dat");
  await copyLongChain("binary", sourcePath, LENGTH);
  const { rate, cpu, sourceCpu } = await timeFreshSync(
    sourcePath,
    join(root, "fresh", "chain.json"),
    LENGTH,
    {
      startTimeoutMs: 300_000,
      deadlineMs: 300_000,
    },
  );
  recordResults({ sync_blocks_per_s: rate, sync_cpu_s: cpu, sync_source_cpu_s: sourceCpu });
} finally {
  await rm(root, { recursive: true, force: true });
}
