import {
  chainOf,
  exactlyOnceProblem,
  prng,
  sendRandom,
  spread,
  startRing,
  waitAgreement,
} from "../test/simnet/scenario.js";
import { SimNet, simnetUnavailable } from "../test/simnet/simnet.js";
import { recordResults } from "./lib/results.js";

/*
 * Agreement in the simnet (issue 15's measurement): 8 miners, each in a network
 * namespace of its own (links at 8 Mbit/s), difficulty 4, one worker each,
 * default job intervals, started in a ring by address. Each run sends 24
 * messages to random nodes and times the agreement after the last one; then
 * cuts the net into two halves for 20 s while both halves take 6 messages
 * each (30 s after the start, past the nodes' start-up grace), heals it, and times the agreement after the heal; then checks that
 * every acknowledged message is in the chain exactly once. Prints min, median
 * and max over the runs. Needs root (network namespaces).
 * `SIMNET_RUNS` (default 3; the issue's figures are over 10), `SIMNET_NODES`
 * (default 8), `SIMNET_SEED`. Keys: simnet_last_*_s, simnet_heal_*_s,
 * simnet_failed_runs, simnet_lost_or_duplicated. SIMNET_KEEP=1 keeps each run's
 * folder (the nodes' miner.log) and prints the heal's time; SIMNET_TRACE=1 prints
 * every node's length/pending/tip while an agreement takes longer than 5 s.
 */

const RUNS = Number(process.env.SIMNET_RUNS ?? 3);
const NODES = Number(process.env.SIMNET_NODES ?? 8);
const SEED = Number(process.env.SIMNET_SEED ?? Date.now() % 2 ** 31);
const PARTITION_MS = 20_000;
const TIMEOUT_MS = 180_000;

interface RunResult {
  sendMs: number;
  afterLast: number;
  afterHeal: number;
  problem: string | null;
}

async function oneRun(run: number): Promise<RunResult> {
  const random = prng(SEED + run);
  const net = await SimNet.create({ nodes: NODES });
  try {
    const all = net.nodes.map((n) => n.index);
    await startRing(net);
    const startedAt = Date.now();
    const sendStart = Date.now();
    const acked = await sendRandom(net, 24, all, random, `run ${run}`);
    const sendMs = Date.now() - sendStart;
    const afterLast = await waitAgreement(net, all, acked.length, TIMEOUT_MS);
    // After the start-up grace (20 s, the gossip interval), as a network that has run a while.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, startedAt + 30_000 - Date.now())),
    );
    const half = Math.floor(NODES / 2);
    const left = all.slice(0, half);
    const right = all.slice(half);
    net.partition([left, right]);
    const cutAt = Date.now();
    acked.push(...(await sendRandom(net, 6, left, random, `left ${run}`)));
    acked.push(...(await sendRandom(net, 6, right, random, `right ${run}`)));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, cutAt + PARTITION_MS - Date.now())),
    );
    net.heal();
    if (process.env.SIMNET_KEEP)
      console.log(`run ${run}: healed at ${new Date().toISOString()} (${net.dir})`);
    const afterHeal = await waitAgreement(net, all, acked.length, TIMEOUT_MS);
    const problem = exactlyOnceProblem(await chainOf(net, 0), acked);
    return { sendMs, afterLast, afterHeal, problem };
  } finally {
    await net.destroy();
  }
}

const unavailable = simnetUnavailable();
if (unavailable) {
  console.log(`skipped: ${unavailable}`);
} else {
  console.log(`simnet agreement: ${NODES} nodes, ${RUNS} runs, seed ${SEED}`);
  const results: RunResult[] = [];
  for (let run = 0; run < RUNS; run++) {
    try {
      const result = await oneRun(run);
      results.push(result);
      console.log(
        `run ${run}: 24 messages sent in ${(result.sendMs / 1000).toFixed(1)} s; agreement ${(result.afterLast / 1000).toFixed(1)} s after the last message, ` +
          `${(result.afterHeal / 1000).toFixed(1)} s after the heal; ${result.problem ?? "every message exactly once"}`,
      );
    } catch (err) {
      console.log(`run ${run}: failed: ${(err as Error).message}`);
      results.push({
        sendMs: Number.NaN,
        afterLast: Number.NaN,
        afterHeal: Number.NaN,
        problem: "failed",
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
  recordResults({
    simnet_last_min_s: last.min,
    simnet_last_median_s: last.median,
    simnet_last_max_s: last.max,
    simnet_heal_min_s: heal.min,
    simnet_heal_median_s: heal.median,
    simnet_heal_max_s: heal.max,
    simnet_failed_runs: results.length - ok.length,
    simnet_lost_or_duplicated: lost,
  });
}
