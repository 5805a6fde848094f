import {
  chainOf,
  exactlyOnceProblem,
  prng,
  SIMNET_NODE_FLAGS,
  sendRandom,
  spread,
  startRing,
  waitAgreement,
} from "../../test/simnet/scenario.js";
import { SimNet } from "../../test/simnet/simnet.js";
import { idleUse } from "./process-use.js";

/*
 * The simnet agreement measurement shared by `bench/simnet.ts` (8 miners) and
 * `bench/simnet32.ts` (32 nodes, all mining or 4 miners and 28 relays): nodes
 * in network namespaces of their own (links at 8 Mbit/s), difficulty 4, one
 * worker each, default job intervals, started in a ring by address. Each run
 * sends 24 messages to random nodes and times the agreement after the last
 * one; 30 s after the start (past the nodes' start-up grace) it cuts the net
 * into two halves for `partitionMs` while each half takes `perHalf` messages,
 * heals it, and times the agreement after the heal; then checks that every
 * acknowledged message is in the chain exactly once.
 */

export interface AgreementShape {
  /** The prefix of the keys written (`simnet`, `simnet32`, `simnet32r`). */
  prefix: string;
  nodes: number;
  /** The nodes that mine; the others run with `--no-mine` (default: all mine). */
  miners?: readonly number[];
  partitionMs: number;
  /** Messages sent to random nodes of each half while it is cut off. */
  perHalf: number;
}

interface RunResult {
  sendMs: number;
  afterLast: number;
  afterHeal: number;
  problem: string | null;
  /** Per node, once agreed and idle: mean RSS (MiB) and CPU (% of one core). */
  idle: { rssMib: number; cpuPct: number } | null;
}

/** How long the nodes' idle CPU is measured for. */
const IDLE_SAMPLE_MS = 10_000;

const TIMEOUT_MS = 180_000;
/** A partition starts this long after the start: the nodes' start-up grace (the gossip interval) is over. */
const SETTLED_MS = 30_000;

async function oneRun(shape: AgreementShape, run: number, seed: number): Promise<RunResult> {
  const random = prng(seed + run);
  const net = await SimNet.create({ nodes: shape.nodes });
  try {
    const all = net.nodes.map((n) => n.index);
    const miners = new Set(shape.miners ?? all);
    await startRing(net, all, (index) =>
      miners.has(index) ? SIMNET_NODE_FLAGS : [...SIMNET_NODE_FLAGS, "--no-mine"],
    );
    const startedAt = Date.now();
    const acked = await sendRandom(net, 24, all, random, `run ${run}`);
    const sendMs = Date.now() - startedAt;
    if (process.env.SIMNET_KEEP)
      console.log(`run ${run}: last message acknowledged at ${new Date().toISOString()}`);
    const afterLast = await waitAgreement(net, all, acked.length, TIMEOUT_MS);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, startedAt + SETTLED_MS - Date.now())),
    );
    const half = Math.floor(shape.nodes / 2);
    const left = all.slice(0, half);
    const right = all.slice(half);
    net.partition([left, right]);
    const cutAt = Date.now();
    acked.push(...(await sendRandom(net, shape.perHalf, left, random, `left ${run}`)));
    acked.push(...(await sendRandom(net, shape.perHalf, right, random, `right ${run}`)));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, cutAt + shape.partitionMs - Date.now())),
    );
    net.heal();
    if (process.env.SIMNET_KEEP)
      console.log(`run ${run}: healed at ${new Date().toISOString()} (${net.dir})`);
    const afterHeal = await waitAgreement(net, all, acked.length, TIMEOUT_MS);
    const problem = exactlyOnceProblem(await chainOf(net, 0), acked);
    const pids = net.nodes.flatMap((n) => (n.process?.child.pid ? [n.process.child.pid] : []));
    const idle = await idleUse(pids, IDLE_SAMPLE_MS);
    return { sendMs, afterLast, afterHeal, problem, idle };
  } finally {
    await net.destroy();
  }
}

/** Runs the shape `runs` times; prints each run and the spread; returns the keys to record. */
export async function measureAgreement(
  shape: AgreementShape,
  runs: number,
  seed: number,
): Promise<Record<string, number>> {
  const minerCount = shape.miners?.length ?? shape.nodes;
  console.log(
    `${shape.prefix}: ${shape.nodes} nodes (${minerCount} mining), ${runs} runs, seed ${seed}`,
  );
  const results: RunResult[] = [];
  for (let run = 0; run < runs; run++) {
    try {
      const result = await oneRun(shape, run, seed);
      results.push(result);
      const idle = result.idle
        ? `; idle node: ${result.idle.rssMib.toFixed(0)} MiB RSS, ${result.idle.cpuPct.toFixed(2)} % CPU`
        : "";
      console.log(
        `run ${run}: 24 messages sent in ${(result.sendMs / 1000).toFixed(1)} s; agreement ${(result.afterLast / 1000).toFixed(1)} s after the last message, ` +
          `${(result.afterHeal / 1000).toFixed(1)} s after the heal; ${result.problem ?? "every message exactly once"}${idle}`,
      );
    } catch (err) {
      console.log(`run ${run}: failed: ${(err as Error).message}`);
      results.push({
        sendMs: Number.NaN,
        afterLast: Number.NaN,
        afterHeal: Number.NaN,
        problem: "failed",
        idle: null,
      });
    }
  }
  const ok = results.filter((r) => Number.isFinite(r.afterLast) && Number.isFinite(r.afterHeal));
  const last = spread(ok.map((r) => r.afterLast / 1000));
  const heal = spread(ok.map((r) => r.afterHeal / 1000));
  const fmt = (s: { min: number; median: number; max: number }) =>
    `min ${s.min.toFixed(1)} s, median ${s.median.toFixed(1)} s, max ${s.max.toFixed(1)} s`;
  console.log(`after the last message: ${fmt(last)}`);
  console.log(`after a heal:           ${fmt(heal)}`);
  const lost = results.filter((r) => r.problem && r.problem !== "failed").length;
  console.log(
    `runs that failed: ${results.length - ok.length}; runs with lost or duplicated messages: ${lost}`,
  );
  const idle = ok.flatMap((r) => (r.idle ? [r.idle] : []));
  const rss = spread(idle.map((u) => u.rssMib));
  const cpu = spread(idle.map((u) => u.cpuPct));
  console.log(
    `an idle node (median over runs): ${rss.median.toFixed(0)} MiB RSS, ${cpu.median.toFixed(2)} % of a core`,
  );
  const p = shape.prefix;
  return {
    [`${p}_idle_rss_mib`]: rss.median,
    [`${p}_idle_cpu_pct`]: cpu.median,
    [`${p}_last_min_s`]: last.min,
    [`${p}_last_median_s`]: last.median,
    [`${p}_last_max_s`]: last.max,
    [`${p}_heal_min_s`]: heal.min,
    [`${p}_heal_median_s`]: heal.median,
    [`${p}_heal_max_s`]: heal.max,
    [`${p}_failed_runs`]: results.length - ok.length,
    [`${p}_lost_or_duplicated`]: lost,
  };
}
