// Attack 8 of issue 12, the smaller items: the bans map was never pruned, and a
// peer advertising a DNS name was never banned for bad announces.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { normalizeAddress } from "../../src/net/address.js";
import { PeerTable } from "../../src/net/peer-table.js";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";
import { waitFor } from "../helpers/wait-for.js";
import { PeerServer } from "../net/peer-server.js";

test("expired bans are pruned as new ones come", () => {
  let now = 0;
  const peers = new PeerTable({
    self: "127.0.0.1:1",
    max: 3,
    maxFailures: 3,
    banDurationMs: 1000,
    retryBaseMs: 100,
    pinnedRetryMaxMs: 1000,
    learntRetryMaxMs: 1000,
    evictAfterMs: 60_000,
    now: () => now,
  });
  for (let i = 0; i < 500; i++) peers.ban(`127.0.1.${i % 250}:${1000 + i}`);
  assert.equal(peers.banCount, 500);
  now += 1001;
  peers.ban("127.0.0.9:9");
  assert.equal(peers.banCount, 1);
  // However many live bans come, the map stays bounded.
  for (let i = 0; i < 4200; i++) peers.ban(`127.0.2.1:${1 + i}`);
  assert.ok(peers.banCount <= 4096, String(peers.banCount));
});

test("a neighbour named by a DNS name is banned for a bad announce it stands by", async () => {
  const liar = new PeerServer([genesisBlock()]);
  const port = Number((await liar.start()).split(":")[1]);
  // "localhost." is a DNS name (the trailing dot keeps it from being written 127.0.0.1).
  const named = `localhost.:${port}`;
  assert.equal(normalizeAddress(named), `localhost:${port}`);
  const node = await startTestMiner({ mine: false, difficulty: 2, neighbours: [named] });
  try {
    const good = mineNext(genesisBlock(), 2, "good");
    const bad: Block = { ...good, proof: (good.proof as number) + 1 };
    liar.chain = [genesisBlock(), bad];
    const answer = await postJson(
      `${node.url}/blocks`,
      { blocks: [bad] },
      { "x-blockchain-node": named },
    );
    assert.equal(answer.status, 400);
    await waitFor(async () => (await http(`${node.url}/neighbours`)).body.neighbours.length === 0, {
      what: "the DNS-named liar dropped and banned",
    });
    const metrics = String((await http(`${node.url}/metrics`)).body);
    assert.match(metrics, /blockchain_peer_requests_total\{outcome="banned"\} 1/);
  } finally {
    await node.stop();
    await liar.stop();
  }
});
