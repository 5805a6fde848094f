import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { freePort } from "../helpers/node-process.js";
import { openEvents } from "../helpers/sse.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";
import { waitFor } from "../helpers/wait-for.js";

const D = 2;
const SENDER = { "x-blockchain-node": "127.0.0.1:9" };
const SEEN_FIELDS = [
  "first_seen",
  "from",
  "hash",
  "index",
  "on_main",
  "previous_hash",
  "timestamp",
];

let node: TestMiner;
before(async () => {
  node = await startTestMiner({ mine: false, difficulty: D });
});
after(async () => node.stop());

// biome-ignore lint/suspicious/noExplicitAny: the answer's shape is what is asserted
async function seen(query = ""): Promise<any[]> {
  const { status, body } = await http(`${node.url}/blocks/seen${query}`);
  assert.equal(status, 200);
  return body.blocks;
}

test("GET /blocks/seen keeps both sides of a race and the branch a reorg abandoned", async () => {
  const genesis = genesisBlock();
  const a = mineNext(genesis, D, "race a");
  const b = mineNext(genesis, D, "race b", genesis.timestamp + 2000);
  // Equal length: the smaller tip hash wins, so which sibling the chain keeps is known ahead.
  const [winner, loser] = hashBlock(a) < hashBlock(b) ? [a, b] : [b, a];
  assert.equal((await postJson(`${node.url}/blocks`, { blocks: [winner] }, SENDER)).status, 200);
  const lost = await postJson(`${node.url}/blocks`, { blocks: [loser] }, SENDER);
  assert.deepEqual(lost.body, { accepted: false, length: 2 });

  let blocks = await seen();
  assert.equal(blocks.length, 2);
  for (const block of blocks) assert.deepEqual(Object.keys(block).sort(), SEEN_FIELDS);
  const byHash = new Map(blocks.map((s) => [s.hash, s]));
  const won = byHash.get(hashBlock(winner));
  const side = byHash.get(hashBlock(loser));
  assert.equal(won.on_main, true);
  assert.equal(side.on_main, false, "the sibling that lost the tie is seen, not on the chain");
  assert.equal(side.index, 1);
  assert.equal(side.previous_hash, hashBlock(genesis));
  assert.equal(side.timestamp, loser.timestamp);
  assert.equal(side.from, "127.0.0.1:9", "from: the sender's claimed host:port");
  assert.ok(won.first_seen <= side.first_seen, "oldest first");

  // The loser's side grows longer: the node switches, and the abandoned winner stays seen.
  const longer = mineNext(loser, D, "race b, next");
  const switched = await postJson(`${node.url}/blocks`, { blocks: [loser, longer] }, SENDER);
  assert.deepEqual(switched.body, { accepted: true, length: 3 });
  blocks = await seen();
  assert.equal(blocks.length, 3, "the loser is told once, however often it comes");
  const onMain = Object.fromEntries(blocks.map((s) => [s.hash, s.on_main]));
  assert.deepEqual(onMain, {
    [hashBlock(winner)]: false,
    [hashBlock(loser)]: true,
    [hashBlock(longer)]: true,
  });

  // `after` and `limit` page through them.
  const [first, second] = blocks;
  assert.deepEqual(
    (await seen(`?after=${first.first_seen - 1}&limit=1`)).map((s) => s.hash),
    [first.hash],
  );
  const later = await seen(`?after=${second.first_seen}`);
  assert.ok(later.every((s) => s.first_seen > second.first_seen));
  assert.equal((await http(`${node.url}/blocks/seen?limit=0`)).status, 400);
  assert.equal((await http(`${node.url}/blocks/seen?after=soon`)).status, 400);
});

test("a seen event on /events tells a valid block the node does not adopt", async () => {
  const events = await openEvents(`${node.url}/events`);
  try {
    const chain = (await http(`${node.url}/chain`)).body.chain as Block[];
    const parent = chain[chain.length - 2] as Block;
    // A sibling of the tip that loses the tie or not: either way it is valid, so it is seen.
    const sibling = mineNext(parent, D, "a late sibling", parent.timestamp + 5000);
    await postJson(`${node.url}/blocks`, { blocks: [sibling] }, SENDER);
    const got = await events.until((e) => e.event === "seen");
    const event = got[got.length - 1]?.data;
    assert.deepEqual(Object.keys(event).sort(), SEEN_FIELDS);
    assert.equal(event.hash, hashBlock(sibling));
    assert.equal(event.from, "127.0.0.1:9");
    const tip = (await http(`${node.url}/status`)).body.tip;
    assert.equal(event.on_main, tip === event.hash);
  } finally {
    events.close();
  }
});

test("a mined block is seen from self", async () => {
  const miner = await startTestMiner({ difficulty: D });
  try {
    await postJson(`${miner.url}/add`, { message: "mined here" });
    const mined = await waitFor(
      async () => (await http(`${miner.url}/blocks/seen`)).body.blocks[0],
      { what: "the mined block in /blocks/seen" },
    );
    assert.equal(mined.from, "self");
    assert.equal(mined.on_main, true);
    assert.equal(mined.hash, hashBlock((await http(`${miner.url}/blocks/1`)).body));
  } finally {
    await miner.stop();
  }
});

test("GET /peers tells each neighbour's state, node id, round trip and last answer", async () => {
  const peer = await startTestMiner({ mine: false, difficulty: D });
  const dead = `127.0.0.1:${await freePort()}`;
  const peerAddress = `127.0.0.1:${peer.miner.port}`;
  const watcher = await startTestMiner({
    mine: false,
    difficulty: D,
    neighbours: [peerAddress, dead],
  });
  try {
    const peers = await waitFor(
      async () => {
        const list = (await http(`${watcher.url}/peers`)).body.peers;
        const up = list.find((p: { address: string }) => p.address === peerAddress);
        const down = list.find((p: { address: string }) => p.address === dead);
        return up?.node_id && down?.state === "failing" ? { up, down } : null;
      },
      { what: "one neighbour connected, one failing" },
    );
    for (const p of [peers.up, peers.down]) {
      assert.deepEqual(Object.keys(p).sort(), [
        "address",
        "failures",
        "last_ok",
        "node_id",
        "rtt_ms",
        "state",
      ]);
    }
    assert.equal(peers.up.state, "connected");
    assert.equal(peers.up.node_id, peer.miner.nodeId);
    assert.equal(peers.up.failures, 0);
    assert.equal(typeof peers.up.rtt_ms, "number");
    assert.ok(peers.up.last_ok > Date.now() - 60_000);
    assert.ok(peers.down.failures >= 1);
    assert.equal(peers.down.last_ok, null);
    assert.equal(peers.down.node_id, null);
  } finally {
    await watcher.stop();
    await peer.stop();
  }
});
