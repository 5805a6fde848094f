import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type Devnet, startDevnet, stopDevnet } from "./lib/devnet.js";
import { recordResults } from "./lib/results.js";

/*
 * The two proof rules side by side, at the same difficulty: a 5-node
 * `blockchain devnet` per rule, every message submitted at once (spread over
 * the nodes), timed until all nodes agree on a chain holding them all.
 * Figures per rule:
 * - blocks per second: messages / time to agreement;
 * - forks per 100 blocks: blocks mined (blockchain_blocks_mined_total summed
 *   over the nodes) that did not end in the agreed chain, per 100 of its blocks;
 * - reorgs per 100 blocks (blockchain_reorgs_total summed).
 * Keys: devnet5_blocks_per_s_<rule>, forks_per_100_<rule>, reorgs_per_100_<rule>,
 * proof_rules_difficulty. BENCH_DIFFICULTY (default 5, the node's default) and BENCH_MESSAGES
 * (default 60) change the run.
 */

const NODES = 5;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 60);
const DIFFICULTY = Number(process.env.BENCH_DIFFICULTY ?? 5);
const RULES = ["original", "content"] as const;
const AGREEMENT_TIMEOUT_MS = 300_000;

interface Status {
  length: number;
  tip: string;
  pending: number;
}

async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/status`)).json()) as Status;
}

/** The sum of one counter over the nodes, from their /metrics. */
async function counterSum(urls: string[], name: string): Promise<number> {
  let sum = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const match = new RegExp(`^${name} (\\d+)`, "m").exec(text);
    sum += match ? Number(match[1]) : 0;
  }
  return sum;
}

async function measure(rule: string): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), `bc-bench-rule-${rule}-`));
  let devnet: Devnet | null = null;
  try {
    devnet = await startDevnet(NODES, dir, DIFFICULTY, ["--proof-rule", rule]);
    const { urls } = devnet;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        fetch(`${urls[i % urls.length]}/add`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: `${rule} bench message ${i}` }),
        }).then((res) => {
          if (res.status !== 200) throw new Error(`POST /add answered ${res.status}`);
        }),
      ),
    );
    const deadline = Date.now() + AGREEMENT_TIMEOUT_MS;
    for (;;) {
      const statuses = await Promise.all(urls.map(status));
      const first = statuses[0] as Status;
      const agreed = statuses.every(
        (s) => s.tip === first.tip && s.length === MESSAGES + 1 && s.pending === 0,
      );
      if (agreed) break;
      if (Date.now() > deadline) throw new Error(`${rule}: no agreement within 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    const mined = await counterSum(urls, "blockchain_blocks_mined_total");
    const reorgs = await counterSum(urls, "blockchain_reorgs_total");
    const forks = mined - MESSAGES;
    console.log(
      `${rule}: ${MESSAGES} blocks in ${seconds.toFixed(2)} s = ${(MESSAGES / seconds).toFixed(2)} blocks/s; ` +
        `${mined} mined, ${forks} not in the agreed chain (${((100 * forks) / MESSAGES).toFixed(1)} per 100 blocks); ${reorgs} reorgs`,
    );
    return {
      [`devnet5_blocks_per_s_${rule}`]: MESSAGES / seconds,
      [`forks_per_100_${rule}`]: (100 * forks) / MESSAGES,
      [`reorgs_per_100_${rule}`]: (100 * reorgs) / MESSAGES,
    };
  } finally {
    if (devnet) await stopDevnet(devnet);
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `5-node devnet, difficulty ${DIFFICULTY}, ${MESSAGES} messages submitted at once, 1 worker per node`,
);
const results: Record<string, number> = { proof_rules_difficulty: DIFFICULTY };
for (const rule of RULES) Object.assign(results, await measure(rule));
recordResults(results);
