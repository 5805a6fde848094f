import { setTimeout as delay } from "node:timers/promises";
import type { ServedBlock } from "../helpers/node-process.js";
import type { SimNet } from "./simnet.js";

/*
 * Steps shared by the simnet tests and the simnet bench: start a ring, send
 * messages to random nodes, wait until every node holds the same chain, and
 * check that every acknowledged message is in it exactly once.
 */

export interface NodeStatus {
  length: number;
  tip: string;
  pending: number;
  neighbours: string[];
}

/**
 * Flags of the measurements: difficulty 4, one worker, default job
 * intervals. SIMNET_LOG_LEVEL=debug puts each node's announces and syncs in its
 * miner.log (with SIMNET_KEEP, to trace a slow run).
 */
export const SIMNET_NODE_FLAGS = [
  "--difficulty",
  "4",
  "--workers",
  "1",
  "--log-level",
  process.env.SIMNET_LOG_LEVEL ?? "info",
];

/** A small seeded PRNG (mulberry32), so that a run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Starts nodes `indexes` together, each naming the next one (in `indexes`) as
 * its neighbour; `flags` are every node's, or each node's (e.g. `--no-mine` for some).
 */
export async function startRing(
  net: SimNet,
  indexes: readonly number[] = net.nodes.map((n) => n.index),
  flags: readonly string[] | ((index: number) => readonly string[]) = SIMNET_NODE_FLAGS,
): Promise<void> {
  const flagsOf = typeof flags === "function" ? flags : () => flags;
  // A few at a time: 32 node processes starting at once on a loaded 2-core machine
  // each take long enough to miss the start's deadline.
  for (let at = 0; at < indexes.length; at += START_TOGETHER) {
    await Promise.all(
      indexes.slice(at, at + START_TOGETHER).map((index, k) => {
        const next = net.node(indexes[(at + k + 1) % indexes.length] as number);
        return net.start(index, { args: [...flagsOf(index), "--neighbours", next.address] });
      }),
    );
  }
}

/** How many nodes startRing starts at once. */
const START_TOGETHER = 8;

/** Sends `count` messages, one at a time, each to a node drawn from `among`; resolves to their ids. */
export async function sendRandom(
  net: SimNet,
  count: number,
  among: readonly number[],
  random: () => number,
  label: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const index = among[Math.floor(random() * among.length)] as number;
    ids.push(await net.add(index, `${label} ${i} to node ${index}`));
  }
  return ids;
}

/** Statuses of `indexes`; null for a node that does not answer. */
export async function statuses(
  net: SimNet,
  indexes: readonly number[],
): Promise<(NodeStatus | null)[]> {
  return Promise.all(
    indexes.map((i) =>
      net
        .request<NodeStatus>(i, "GET", "/status", undefined, 3_000)
        .then((a) => (a.status === 200 ? a.body : null))
        .catch(() => null),
    ),
  );
}

/**
 * Waits until nodes `indexes` hold one chain of `expected + 1` blocks (at least, when not `exact`; same tip)
 * with nothing pending; resolves to the ms it took, or throws after `timeoutMs`
 * with what each node had.
 */
export async function waitAgreement(
  net: SimNet,
  indexes: readonly number[],
  expected: number,
  timeoutMs: number,
  exact = true,
): Promise<number> {
  const started = Date.now();
  let last: (NodeStatus | null)[] = [];
  while (Date.now() - started < timeoutMs) {
    last = await statuses(net, indexes);
    const first = last[0];
    const agreed =
      first &&
      (exact ? first.length === expected + 1 : first.length >= expected + 1) &&
      last.every((s) => s && s.tip === first.tip && s.length === first.length && s.pending === 0);
    if (agreed) return Date.now() - started;
    if (process.env.SIMNET_TRACE && Date.now() - started > 5_000) {
      const seen = last.map((st) =>
        st ? `${st.length}/${st.pending}/${st.tip.slice(0, 6)}` : "-",
      );
      console.log(`${new Date().toISOString()} ${seen.join(" ")}`);
      await delay(900);
    }
    await delay(100);
  }
  const seen = last.map((s, i) =>
    s
      ? `node ${indexes[i]}: length ${s.length} pending ${s.pending} tip ${s.tip.slice(0, 8)}`
      : `node ${indexes[i]}: no answer`,
  );
  throw new Error(
    `no agreement on ${expected} messages within ${timeoutMs} ms:\n${seen.join("\n")}`,
  );
}

/** Node `index`'s whole chain. */
export async function chainOf(net: SimNet, index: number): Promise<ServedBlock[]> {
  const blocks: ServedBlock[] = [];
  for (let page = 0; page < 1000; page++) {
    const answer = await net.get<{ blocks: ServedBlock[]; length: number }>(
      index,
      `/blocks?from=${blocks.length}&limit=1000`,
    );
    blocks.push(...answer.blocks);
    if (answer.blocks.length === 0 || blocks.length >= answer.length) break;
  }
  return blocks;
}

/** What is wrong with the chain's messages against the acknowledged ids (lost, duplicated, unknown), or null. */
export function exactlyOnceProblem(
  chain: readonly ServedBlock[],
  acked: readonly string[],
): string | null {
  const counts = new Map<string, number>();
  for (const block of chain.slice(1))
    counts.set(block.data.id, (counts.get(block.data.id) ?? 0) + 1);
  const lost = acked.filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const ackedSet = new Set(acked);
  const unknown = [...counts.keys()].filter((id) => !ackedSet.has(id));
  if (lost.length + duplicated.length + unknown.length === 0) return null;
  return `lost ${lost.length} (${lost.slice(0, 3).join(", ")}), duplicated ${duplicated.length}, unknown ${unknown.length}`;
}

/** min, median and max of a list of numbers. */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { min: sorted[0] ?? Number.NaN, median, max: sorted[sorted.length - 1] ?? Number.NaN };
}
