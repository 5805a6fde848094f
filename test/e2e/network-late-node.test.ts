import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { proofOfWork } from "../../src/core/pow.js";
import { feedBlocks, getJson, metricOf, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

const DIFFICULTY = 2;
const RELAY = [
  "--difficulty",
  String(DIFFICULTY),
  "--workers",
  "1",
  "--log-level",
  "warn",
  "--no-mine",
];
const JOBS = [
  "--gossip-interval",
  "0.5",
  "--chain-sync-interval",
  "1",
  "--data-sync-interval",
  "5",
];

/** A valid chain of `length` blocks at DIFFICULTY, with recent timestamps. */
function longChain(length: number): Block[] {
  const chain = [genesisBlock()];
  const start = Date.now() - length - 60_000;
  for (let i = 1; i < length; i++) {
    const parent = chain[i - 1] as Block;
    chain.push({
      index: i,
      timestamp: start + i,
      data: { id: i.toString(16).padStart(32, "0"), message: `late node block ${i}` },
      previous_hash: hashBlock(parent),
      proof: proofOfWork(parent.proof, DIFFICULTY),
    });
  }
  return chain;
}

interface Status {
  length: number;
  tip: string;
}

describe("a late node", { timeout: 90_000 }, () => {
  const chain = longChain(3000);
  const nodes: NodeProcess[] = [];
  let source: NodeProcess;
  let late: NodeProcess;

  before(async () => {
    source = await NodeProcess.start({ args: [...RELAY, ...JOBS] });
    nodes.push(source);
    await feedBlocks(source.url, chain.slice(1, 1000));
    for (let i = 0; i < 2; i++) {
      nodes.push(
        await NodeProcess.start({ args: [...RELAY, ...JOBS, "--neighbours", source.address] }),
      );
    }
    late = await NodeProcess.start({ args: [...RELAY, ...JOBS, "--neighbours", source.address] });
    nodes.push(late);
    await waitFor(async () => (await getJson<Status>(`${late.url}/status`)).length === 1000, {
      timeoutMs: 20_000,
      what: "the late node to hold the 1000-block prefix",
    });
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("learns the other nodes by gossip from the one neighbour it knows", async () => {
    const others = nodes.slice(1, 3).map((n) => n.address);
    await waitFor(
      async () => {
        const { neighbours } = await getJson<{ neighbours: string[] }>(`${late.url}/neighbours`);
        return others.every((o) => neighbours.includes(o)) && neighbours.includes(source.address);
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "the late node to list all three others" },
    );
  });

  it("syncs a long chain fetching only the missing blocks", async () => {
    const fetchedBefore = await metricOf(late.url, "blockchain_blocks_fetched_total");
    await feedBlocks(source.url, chain.slice(1000));
    const tip = hashBlock(chain[2999] as Block);
    await waitFor(
      async () => {
        const statuses = await Promise.all(nodes.map((n) => getJson<Status>(`${n.url}/status`)));
        return statuses.every((s) => s.length === 3000 && s.tip === tip);
      },
      { timeoutMs: 40_000, intervalMs: 100, what: "every node to hold the 3000-block chain" },
    );
    const fetched = (await metricOf(late.url, "blockchain_blocks_fetched_total")) - fetchedBefore;
    assert.ok(
      fetched >= 2000 && fetched <= 2100,
      `the late node fetched ${fetched} blocks for 2000 missing`,
    );
  });
});
