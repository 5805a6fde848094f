// Attack 2 (b, c, d) of issue 12: honest peers were banned or dropped for what
// they do not control: a large but honest pending set, a clock a little ahead,
// a full pending set answering 503.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { genesisBlock } from "../../src/core/genesis.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";
import { waitFor } from "../helpers/wait-for.js";
import { PeerServer } from "../net/peer-server.js";

const D = 2;
const HOUR = 60 * 60 * 1000;

async function bans(url: string): Promise<number> {
  const text = String((await http(`${url}/metrics`)).body);
  const match = /blockchain_peer_requests_total\{outcome="banned"\} (\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

test("a neighbour whose pending set passes the answer cap is paged, not banned", async () => {
  // 18 messages of 1 MiB (the largest --max-message-bytes): 18 MiB of JSON, over the 16 MiB cap of one answer.
  const MiB = 1024 * 1024;
  const total = 18;
  const honest = await startTestMiner({ mine: false, difficulty: D, maxMessageBytes: MiB });
  let node: TestMiner | null = null;
  try {
    const text = "x".repeat(MiB - 16);
    for (let i = 0; i < total; i++) {
      const answer = await postJson(`${honest.url}/add`, { message: `${i}`.padEnd(8) + text });
      assert.equal(answer.status, 200);
    }
    const address = new URL(honest.url).host;
    node = await startTestMiner({
      mine: false,
      difficulty: D,
      maxMessageBytes: MiB,
      neighbours: [address],
      dataSyncIntervalS: 0.5,
    });
    const url = node.url;
    await waitFor(async () => (await http(`${url}/status`)).body.pending === total, {
      timeoutMs: 60_000,
      what: "every message fetched in pages",
    });
    assert.deepEqual((await http(`${url}/neighbours`)).body.neighbours, [address]);
    assert.equal(await bans(url), 0);
  } finally {
    await node?.stop();
    await honest.stop();
  }
});

test("a block within the sender's 2 h bound but past ours is refused without a ban", async () => {
  const peer = new PeerServer([genesisBlock()]);
  const address = await peer.start();
  const node = await startTestMiner({
    mine: false,
    difficulty: D,
    neighbours: [address],
    chainSyncIntervalS: 0.2,
  });
  try {
    // Stamped past our clock's bound, as by a peer whose clock runs a little ahead.
    const ahead = mineNext(genesisBlock(), D, "early", Date.now() + 2 * HOUR + 60_000);
    const answer = await postJson(
      `${node.url}/blocks`,
      { blocks: [ahead] },
      { "x-blockchain-node": address, "x-blockchain-node-id": peer.nodeId },
    );
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /more than 2 hours in the future/);
    // The same block through chain sync, round after round.
    peer.chain = [genesisBlock(), ahead];
    await waitFor(() => peer.seen("/blocks").filter((r) => r.method === "GET").length >= 3, {
      what: "several sync rounds",
    });
    assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, [address]);
    assert.equal(await bans(node.url), 0);
  } finally {
    await node.stop();
    await peer.stop();
  }
});

test("a neighbour that answers 503 (full) to relayed messages stays a neighbour", async () => {
  const full = new PeerServer([genesisBlock()]);
  full.override = (req, res) => {
    if (req.method !== "POST" || req.path !== "/data") return false;
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "the node holds 10000 pending messages, its limit" }));
    return true;
  };
  const address = await full.start();
  // A short gossip interval makes the start-up grace (when failures are not counted) short too.
  const node = await startTestMiner({
    mine: false,
    difficulty: D,
    neighbours: [address],
    gossipIntervalS: 0.05,
  });
  try {
    for (let i = 0; i < 6; i++) {
      const seen = full.seen("/data").length;
      const added = await http(`${node.url}/add?message=${randomUUID()}`, { method: "PUT" });
      assert.equal(added.status, 200);
      await waitFor(() => full.seen("/data").length > seen, { what: `relay ${i}` });
    }
    assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, [address]);
  } finally {
    await node.stop();
    await full.stop();
  }
});
