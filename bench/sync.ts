import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { NodeProcess } from "../test/helpers/node-process.js";
import { copyLongChain, MILLION } from "./lib/million-chain.js";
import { recordResults } from "./lib/results.js";

/*
 * Chain sync speed: a node serving a 1,000,000-block chain (difficulty 1,
 * started on the chain file), and a fresh node whose only neighbour it is;
 * measures blocks per second from the fresh node serving to it holding the
 * whole chain. Key: sync_blocks_per_s.
 */

const LENGTH = Number(process.env.BENCH_SYNC_LENGTH ?? MILLION);
const COMMON = ["--difficulty", "1", "--no-mine", "--log-level", "error", "--workers", "1"];

/**
 * The node's chain length; 0 while it is too busy to answer (a node that
 * validates a large page may hold its event loop for seconds on a busy machine).
 */
async function lengthOf(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(60_000) });
    return ((await res.json()) as { length: number }).length;
  } catch {
    return 0;
  }
}

const root = await mkdtemp(join(tmpdir(), "bc-bench-sync-"));
const nodes: NodeProcess[] = [];
try {
  const sourcePath = join(root, "source", "chain.dat");
  await copyLongChain("binary", sourcePath, LENGTH);
  const source = await NodeProcess.start({
    chainPath: sourcePath,
    startTimeoutMs: 300_000,
    args: [...COMMON, "--chain-serialization", "binary", "--chain-sync-interval", "3600"],
  });
  nodes.push(source);
  const began = performance.now();
  const fresh = await NodeProcess.start({
    chainPath: join(root, "fresh", "chain.json"),
    args: [...COMMON, "--neighbours", source.address, "--chain-sync-interval", "3600"],
  });
  nodes.push(fresh);
  const deadline = Date.now() + 300_000;
  while ((await lengthOf(fresh.url)) < LENGTH) {
    if (Date.now() > deadline) throw new Error("the fresh node did not sync within 300 s");
    // Every 50 ms (±25 ms on a sync of seconds): polled every 10 ms, answering took a tenth
    // of the syncing node's time.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - began) / 1000;
  const rate = (LENGTH - 1) / seconds;
  console.log(
    `synced ${LENGTH - 1} blocks from one neighbour in ${seconds.toFixed(2)} s: ${Math.round(rate)} blocks/s`,
  );
  recordResults({ sync_blocks_per_s: rate });
} finally {
  await Promise.all(nodes.map((node) => node.stop()));
  await rm(root, { recursive: true, force: true });
}
