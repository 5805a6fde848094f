import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { metricOf, NodeProcess } from "../../test/helpers/node-process.js";
import { cpuSeconds, rssMib } from "./process-use.js";

/*
 * Nodes on long chains, as the storage benches start them: a node started on
 * a chain file timed until it answers, and a fresh node timed while it syncs
 * a chain from its only neighbour.
 */

/** A node that only serves: difficulty 1, no mining, one worker, errors only. */
export const SERVING_NODE_FLAGS = [
  "--difficulty",
  "1",
  "--no-mine",
  "--log-level",
  "error",
  "--workers",
  "1",
];

/**
 * The node's chain length; 0 while it is too busy to answer (a node that
 * validates a large page may hold its event loop for seconds on a busy machine).
 */
export async function chainLengthOf(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(60_000) });
    return ((await res.json()) as { length: number }).length;
  } catch {
    return 0;
  }
}

/**
 * Starts a node on `chainPath` and times it from the spawn until GET /status
 * answers; its CPU seconds (every thread) and resident memory then. Throws
 * unless it holds `length` blocks.
 */
export async function timeStart(
  chainPath: string,
  length: number,
  opts: { args: string[]; startTimeoutMs: number; label: string },
): Promise<{ seconds: number; cpu: number; rss: number }> {
  const began = performance.now();
  const node = await NodeProcess.start({
    chainPath,
    startTimeoutMs: opts.startTimeoutMs,
    args: opts.args,
  });
  try {
    const loaded = await chainLengthOf(node.url);
    const seconds = (performance.now() - began) / 1000;
    const pid = node.child.pid as number;
    const cpu = cpuSeconds(pid) ?? Number.NaN;
    const rss = rssMib(pid) ?? Number.NaN;
    if (loaded !== length) throw new Error(`the node loaded ${loaded} blocks, not ${length}`);
    console.log(
      `${opts.label.padEnd(6)} ${length} blocks: /status after ${seconds.toFixed(2)} s (${cpu.toFixed(2)} CPU s), RSS ${rss.toFixed(0)} MiB`,
    );
    return { seconds, cpu, rss };
  } finally {
    await node.stop();
  }
}

/**
 * A node serving the binary chain file `sourcePath` (`length` blocks), and a
 * fresh node (JSON Lines at `freshPath`) whose only neighbour it is: the
 * fresh node's blocks per second from its start until it holds the whole
 * chain, its resident memory then and the most seen while it synced (it
 * saves as it goes: what it holds unsaved is bounded), and the CPU seconds
 * (every thread) of both nodes over the sync.
 */
export async function timeFreshSync(
  sourcePath: string,
  freshPath: string,
  length: number,
  opts: { startTimeoutMs: number; deadlineMs: number },
): Promise<{
  seconds: number;
  rate: number;
  rss: number;
  peakRss: number;
  cpu: number;
  sourceCpu: number;
  saveWait: number;
}> {
  const nodes: NodeProcess[] = [];
  try {
    const source = await NodeProcess.start({
      chainPath: sourcePath,
      startTimeoutMs: opts.startTimeoutMs,
      args: [
        ...SERVING_NODE_FLAGS,
        "--chain-serialization",
        "binary",
        "--chain-sync-interval",
        "3600",
      ],
    });
    nodes.push(source);
    const sourcePid = source.child.pid as number;
    const sourceCpuBefore = cpuSeconds(sourcePid) ?? Number.NaN;
    const began = performance.now();
    const fresh = await NodeProcess.start({
      chainPath: freshPath,
      args: [
        ...SERVING_NODE_FLAGS,
        "--neighbours",
        source.address,
        "--chain-sync-interval",
        "3600",
      ],
    });
    nodes.push(fresh);
    const deadline = Date.now() + opts.deadlineMs;
    const freshPid = fresh.child.pid as number;
    let peakRss = 0;
    while ((await chainLengthOf(fresh.url)) < length) {
      peakRss = Math.max(peakRss, rssMib(freshPid) ?? 0);
      if (Date.now() > deadline) {
        throw new Error(`the fresh node did not sync within ${opts.deadlineMs / 1000} s`);
      }
      // Every 50 ms (±25 ms on a sync of seconds): polled every 10 ms, answering took a tenth
      // of the syncing node's time.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - began) / 1000;
    const rate = (length - 1) / seconds;
    const rss = rssMib(freshPid) ?? Number.NaN;
    const cpu = cpuSeconds(freshPid) ?? Number.NaN;
    const saveWait = await metricOf(fresh.url, "blockchain_sync_save_wait_seconds_total");
    const sourceCpu = (cpuSeconds(sourcePid) ?? Number.NaN) - sourceCpuBefore;
    peakRss = Math.max(peakRss, rss);
    console.log(
      `synced ${length - 1} blocks from one neighbour in ${seconds.toFixed(2)} s: ${Math.round(rate)} blocks/s; ` +
        `fresh node ${cpu.toFixed(2)} CPU s (${saveWait.toFixed(2)} s waiting for saves), RSS ${rss.toFixed(0)} MiB (most ${peakRss.toFixed(0)}), serving node ${sourceCpu.toFixed(2)} CPU s, load average ${loadavg()[0]?.toFixed(2)}`,
    );
    return { seconds, rate, rss, peakRss, cpu, sourceCpu, saveWait };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}
