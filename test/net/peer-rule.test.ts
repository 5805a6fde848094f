import assert from "node:assert/strict";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { ORIGINAL_PROOF_RULE } from "../../src/core/pow.js";
import { CONTENT_PROOF_RULE } from "../../src/core/proof-rules.js";
import { buildChain } from "../helpers/chain-factory.js";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";
import { PeerServer } from "./peer-server.js";

const D = 3;

/** How many peers the node banned, from its /metrics. */
async function bans(url: string): Promise<number> {
  const text = (await http(`${url}/metrics`)).body as unknown as string;
  const match = /blockchain_peer_requests_total\{outcome="banned"\} (\d+)/.exec(String(text));
  return match ? Number(match[1]) : 0;
}

test("blocks of the other rule pushed by a neighbour: refused, the neighbour set aside, not banned", async () => {
  // A neighbour that says it follows our rule, then pushes blocks of the other.
  const stand = new PeerServer([genesisBlock()]);
  stand.proofRule = "content";
  const peer = await stand.start();
  const node = await startTestMiner({
    mine: false,
    difficulty: D,
    proofRule: "content",
    neighbours: [peer],
  });
  try {
    const headers = { "x-blockchain-node": peer };
    const [, block] = buildChain(2, { difficulty: D }) as [Block, Block];
    assert.equal(CONTENT_PROOF_RULE.isValid(block, genesisBlock(), D), false);
    const first = await postJson(`${node.url}/blocks`, { blocks: [block] }, headers);
    assert.equal(first.status, 400);
    assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, []);
    assert.equal(await bans(node.url), 0);
    // Known now: its next blocks are refused unseen, with the reason.
    const again = await postJson(`${node.url}/blocks`, { blocks: [block] }, headers);
    assert.equal(again.status, 400);
    assert.match(again.body.message, /proof rule/);
    assert.equal((await http(`${node.url}/status`)).body.length, 1);
    assert.equal(await bans(node.url), 0);
  } finally {
    await node.stop();
    await stand.stop();
  }
});

test("a block valid under no rule gets its sender banned once it serves it to our request", async () => {
  const stand = new PeerServer([genesisBlock()]);
  stand.proofRule = "content";
  const peer = await stand.start();
  const node = await startTestMiner({
    mine: false,
    difficulty: D,
    proofRule: "content",
    neighbours: [peer],
  });
  try {
    const [, block] = buildChain(2, { difficulty: D }) as [Block, Block];
    let proof = 0;
    const fails = (p: number) =>
      !ORIGINAL_PROOF_RULE.isValid({ ...block, proof: p }, genesisBlock(), D) &&
      !CONTENT_PROOF_RULE.isValid({ ...block, proof: p }, genesisBlock(), D);
    while (!fails(proof)) proof++;
    // The neighbour really holds the block: it serves it to the node's own request.
    stand.chain = [genesisBlock(), { ...block, proof }];
    const answer = await postJson(
      `${node.url}/blocks`,
      { blocks: [{ ...block, proof }] },
      { "x-blockchain-node": peer },
    );
    assert.equal(answer.status, 400);
    await waitFor(async () => (await bans(node.url)) === 1, { what: "the sender banned" });
    assert.ok(stand.seen("/blocks").some((r) => r.method === "GET" && r.query.get("from") === "1"));
  } finally {
    await node.stop();
    await stand.stop();
  }
});
