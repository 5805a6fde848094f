import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Block } from "../../src/core/block.js";
import type { Data } from "../../src/core/data.js";
import { hashBlock } from "../../src/core/hash.js";
import { waitFor } from "../helpers/wait-for.js";
import { branch, longChain, stoppedAfterEach } from "./net-fixture.js";
import { PeerServer } from "./peer-server.js";

const LONG = longChain(3000);

const { node, started } = stoppedAfterEach();

function peerWith(chain: Block[]): Promise<PeerServer> {
  return started(new PeerServer(chain));
}

function message(i: number): Data {
  return { id: i.toString(16).padStart(32, "d"), message: `relayed ${i}` };
}

describe("chain sync", () => {
  it("fetches only the blocks after the fork point, in pages", async () => {
    const peer = await peerWith(LONG);
    const n = node(LONG.slice(0, 1000), { neighbours: [peer.address] });
    await n.network.syncNow();
    assert.equal(n.chain.length, 3000);
    assert.equal(n.chain.tipHash, hashBlock(LONG[2999] as Block));
    assert.equal(n.network.stats.blocksFetched, 2001);
    assert.ok(n.network.stats.requests <= 5, `${n.network.stats.requests} requests`);
    const froms = peer.seen("/blocks").map((r) => Number(r.query.get("from")));
    assert.deepEqual(froms, [999, 1999, 2999]);
  });

  it("does nothing when the neighbour's chain is not better", async () => {
    const peer = await peerWith(LONG.slice(0, 10));
    const n = node(LONG.slice(0, 20), { neighbours: [peer.address] });
    await n.network.syncNow();
    assert.equal(n.chain.length, 20);
    assert.equal(peer.seen("/blocks").length, 0);
  });

  it("accumulates a longer branch until it wins, adopts it, and returns the abandoned messages", async () => {
    const ours = branch(LONG, 100, 1900, "a");
    const theirs = branch(LONG, 100, 2100, "b");
    const peer = await peerWith(theirs);
    const n = node(ours, { neighbours: [peer.address], pageLimit: 500 });
    const reorgs: number[] = [];
    const offered: number[] = [];
    n.chain.on("reorg", (r) => reorgs.push(r.fork_index, r.returned.length));
    n.chain.on("blocks", (joined) => offered.push(joined.count));
    await n.network.syncNow();
    assert.equal(n.chain.length, 2201);
    assert.equal(n.chain.tipHash, hashBlock(theirs[2200] as Block));
    assert.deepEqual(reorgs, [100, 1900]);
    // One run that beats ours (up to block 2000 at least), then the rest extends the tip.
    assert.ok(offered.length >= 1 && (offered[0] ?? 0) >= 1901, `runs ${offered.join(",")}`);
    assert.ok(
      n.network.stats.blocksFetched <= 2100 + 25,
      `${n.network.stats.blocksFetched} fetched`,
    );
  });

  it("adopts a chain of equal length whose tip hash is smaller", async () => {
    const a = branch(LONG, 50, 10, "a");
    const b = branch(LONG, 50, 10, "b");
    const [small, large] = hashBlock(a[60] as Block) < hashBlock(b[60] as Block) ? [a, b] : [b, a];
    const peer = await peerWith(small);
    const n = node(large, { neighbours: [peer.address] });
    await n.network.syncNow();
    assert.equal(n.chain.tipHash, hashBlock(small[60] as Block));
    const peer2 = await peerWith(large);
    const m = node(small, { neighbours: [peer2.address] });
    await m.network.syncNow();
    assert.equal(m.chain.tipHash, hashBlock(small[60] as Block));
  });

  it("refuses a longer chain with forged proofs, bans the peer, and keeps its chain", async () => {
    const forged = LONG.slice(0, 60).map((b) => ({ ...b }));
    for (let i = 51; i < 60; i++) {
      const block = forged[i] as Block;
      block.proof = (block.proof ?? 0) + 1;
      block.previous_hash = hashBlock(forged[i - 1] as Block);
    }
    const liar = await peerWith(forged);
    const honest = await peerWith(LONG.slice(0, 55));
    const n = node(LONG.slice(0, 50), { neighbours: [liar.address, honest.address] });
    await n.network.syncNow();
    assert.equal(n.chain.length, 55);
    assert.equal(n.chain.tipHash, hashBlock(LONG[54] as Block));
    assert.deepEqual(n.network.neighbours, [honest.address]);
    await n.network.syncNow();
    assert.equal(liar.seen("/status").length, 1, "a banned peer is not asked again");
  });

  it("a neighbour that never answers does not hold back the sync with the others", async () => {
    const silent = await peerWith(LONG);
    silent.override = () => true;
    const honest = await peerWith(LONG.slice(0, 30));
    const n = node(LONG.slice(0, 10), {
      neighbours: [silent.address, honest.address],
      requestTimeoutMs: 5000,
    });
    void n.network.syncNow();
    await waitFor(() => n.chain.length === 30, {
      timeoutMs: 3000,
      what: "the sync with the honest peer",
    });
  });

  it("syncs from a neighbour that announced blocks we cannot attach", async () => {
    const peer = await peerWith(LONG.slice(0, 40));
    const n = node(LONG.slice(0, 10), { neighbours: [peer.address] });
    n.network.syncFrom(peer.address);
    await waitFor(() => n.chain.length === 40, {
      timeoutMs: 5000,
      what: "the chain synced from the announcer",
    });
  });

  it("syncs at once from a peer that did not take our announce and is as long as we are", async () => {
    const peer = await peerWith(LONG.slice(0, 6));
    const n = node(LONG.slice(0, 5), { neighbours: [peer.address] });
    n.network.start();
    await waitFor(() => n.chain.length === 6, { timeoutMs: 5000, what: "the first sync" });
    peer.chain = LONG.slice(0, 40);
    n.chain.offer([LONG[6] as Block], null);
    await waitFor(() => n.chain.length === 40, {
      timeoutMs: 5000,
      what: "a sync started by the peer's answer to our announce",
    });
  });

  it("goes again at once when a sync ends without the better chain the peer told of", async () => {
    const peer = await peerWith(LONG.slice(0, 40));
    let failed = 0;
    // The first page of blocks fails (a dropped connection): the sync ends with nothing adopted.
    peer.override = (req, res) => {
      if (req.path !== "/blocks" || req.method !== "GET" || failed > 0) return false;
      failed++;
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "busy" }));
      return true;
    };
    const n = node(LONG.slice(0, 10), { neighbours: [peer.address] });
    n.network.syncFrom(peer.address);
    await waitFor(() => n.chain.length === 40, {
      timeoutMs: 5000,
      what: "the chain synced by the sync that went again",
    });
    assert.equal(failed, 1);
  });

  it("ends a sync for the round when the peer sends fewer blocks than asked while claiming more", async () => {
    const peer = await peerWith(LONG.slice(0, 100));
    // Ten blocks a page, whatever was asked: too little to be worth holding a sync slot.
    peer.override = (req, res) => {
      if (req.method !== "GET" || req.path !== "/blocks") return false;
      const from = Number(req.query.get("from"));
      const limit = Math.min(Number(req.query.get("limit")), 10);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ blocks: peer.chain.slice(from, from + limit), length: 100 }));
      return true;
    };
    const n = node(LONG.slice(0, 5), { neighbours: [peer.address] });
    await n.network.syncNow();
    // The first page (from our tip) and one more, both adopted; then the sync stops.
    assert.equal(n.chain.length, 24);
    assert.equal(n.network.stats.syncsCutShort, 1);
    assert.deepEqual(n.network.neighbours, [peer.address]);
  });
});

describe("reconnection", () => {
  const FAST_RETRY = { retryBaseMs: 20, pinnedRetryMaxMs: 200, learntRetryMaxMs: 200 };

  it("keeps a command-line neighbour that fails, retries it, and catches up as soon as it answers", async () => {
    const peer = await peerWith(LONG.slice(0, 40));
    peer.override = (_req, res) => {
      res.writeHead(503).end();
      return true;
    };
    const n = node(LONG.slice(0, 5), { neighbours: [peer.address], ...FAST_RETRY });
    n.network.start();
    await waitFor(() => peer.seen("/status").length >= 6, {
      timeoutMs: 5000,
      what: "retries of the failing neighbour",
    });
    assert.deepEqual(n.network.neighbours, [peer.address]);
    assert.equal(n.chain.length, 5);
    peer.override = null;
    // Job intervals are an hour here: only the catch-up on recovery can sync this soon.
    await waitFor(() => n.chain.length === 40, {
      timeoutMs: 5000,
      what: "the catch-up with the neighbour that answers again",
    });
    assert.deepEqual(n.network.neighbours, [peer.address]);
  });

  it("gives a learnt neighbour's place away after repeated failures and keeps retrying it", async () => {
    const peer = await peerWith(LONG.slice(0, 20));
    peer.override = (_req, res) => {
      res.writeHead(503).end();
      return true;
    };
    const n = node(LONG.slice(0, 5), { gossipIntervalS: 0.05, ...FAST_RETRY });
    // Learnt from a caller: its /status confirms the id it claims, then it starts failing.
    const failing = peer.override;
    peer.override = null;
    n.network.noteCaller({ address: peer.address, nodeId: peer.nodeId, ip: "127.0.0.1" });
    await waitFor(() => n.network.neighbours.includes(peer.address), { what: "the caller learnt" });
    peer.override = failing;
    n.network.start();
    await waitFor(() => n.network.neighbours.length === 0, {
      timeoutMs: 5000,
      what: "the failing learnt neighbour to lose its place",
    });
    peer.override = null;
    await waitFor(() => n.network.neighbours.length === 1 && n.chain.length === 20, {
      timeoutMs: 5000,
      what: "the retried peer back as a neighbour, synced",
    });
  });
});

describe("data sync", () => {
  it("adds the neighbours' unknown messages and skips known ones", async () => {
    const peer = await peerWith(LONG.slice(0, 5));
    const inChain = LONG[3]?.data as Data;
    peer.pending = [message(1), message(2), inChain];
    const n = node(LONG.slice(0, 5), { neighbours: [peer.address] });
    await n.pending.add(message(2), null);
    n.network.start();
    await waitFor(() => n.pending.size === 2, { timeoutMs: 5000, what: "the first data sync" });
    assert.deepEqual(
      n.pending
        .list()
        .map((d) => d.id)
        .sort(),
      [message(1).id, message(2).id].sort(),
    );
  });

  it("takes no more than the neighbour's share of the pool, without failing", async () => {
    const peer = await peerWith(LONG.slice(0, 5));
    peer.pending = Array.from({ length: 20 }, (_, i) => message(i + 10));
    // A quarter of 8 places: 2.
    const n = node(LONG.slice(0, 5), { neighbours: [peer.address] }, 8);
    n.network.start();
    await waitFor(() => n.pending.size === 2, { timeoutMs: 5000, what: "the share filled" });
    await n.network.stop();
    assert.equal(n.pending.size, 2);
    assert.deepEqual(n.network.neighbours, [peer.address]);
  });
});

describe("gossip", () => {
  it("learns the neighbours of its neighbours until full, ignoring junk", async () => {
    const a = await peerWith(LONG.slice(0, 5));
    const b = await peerWith(LONG.slice(0, 5));
    const c = await peerWith(LONG.slice(0, 5));
    const d = await peerWith(LONG.slice(0, 5));
    a.neighbours = ["junk", "127.0.0.1:0", "[::1]", "127.0.0.1:9", b.address, c.address, d.address];
    const n = node(LONG.slice(0, 5), { neighbours: [a.address] });
    n.network.start();
    await waitFor(() => n.network.neighbours.length === 3, {
      timeoutMs: 5000,
      what: "gossip filled the set",
    });
    assert.deepEqual(n.network.neighbours, [a.address, b.address, c.address]);
  });

  it("learns a caller as a neighbour once its address answers our /status with its id", async () => {
    const a = await peerWith(LONG.slice(0, 5));
    const b = await peerWith(LONG.slice(0, 5));
    const n = node(LONG.slice(0, 5), { maxNeighbours: 1 });
    const ip = "127.0.0.1";
    n.network.noteCaller({
      address: a.address.replace("127.0.0.1", "localhost"),
      nodeId: a.nodeId,
      ip,
    });
    await waitFor(() => n.network.neighbours.length === 1, { what: "the caller learnt" });
    n.network.noteCaller({ address: b.address, nodeId: b.nodeId, ip });
    n.network.noteCaller({ address: "127.0.0.1:9", nodeId: "ab".repeat(16), ip });
    assert.deepEqual(n.network.neighbours, [a.address]);
  });
});

describe("push", () => {
  it("announces a new block to every neighbour but the one it came from", async () => {
    const a = await peerWith(LONG.slice(0, 5));
    const b = await peerWith(LONG.slice(0, 5));
    const n = node(LONG.slice(0, 5), { neighbours: [a.address, b.address] });
    n.network.start();
    n.chain.offer([LONG[5] as Block], a.address);
    await waitFor(() => b.seen("/blocks").some((r) => r.method === "POST"), {
      timeoutMs: 5000,
      what: "b got the block",
    });
    const sent = b.seen("/blocks").find((r) => r.method === "POST")?.body as { blocks: Block[] };
    assert.deepEqual(
      sent.blocks.map((x) => x.index),
      [5],
    );
    assert.equal(b.seen("/blocks").find((r) => r.method === "POST")?.caller, "127.0.0.1:9");
    assert.equal(a.requests.filter((r) => r.method === "POST").length, 0);
  });

  it("sends the last 32 blocks again to a peer that lacks an announced block's parent (409)", async () => {
    const a = await peerWith(LONG.slice(0, 40));
    // A peer that does not name us as a neighbour cannot sync from us: only the resend helps.
    a.override = (req, res) => {
      if (req.path !== "/blocks" || req.method !== "POST") return false;
      const blocks = (req.body as { blocks: Block[] }).blocks;
      const attaches = (blocks[0]?.index ?? 0) <= 20;
      res.writeHead(attaches ? 200 : 409, { "content-type": "application/json" });
      res.end(JSON.stringify({ accepted: attaches, length: 40, message: "no parent" }));
      return true;
    };
    const n = node(LONG.slice(0, 40), { neighbours: [a.address] });
    n.network.start();
    n.chain.offer([LONG[40] as Block], null);
    await waitFor(() => a.seen("/blocks").filter((r) => r.method === "POST").length === 2, {
      timeoutMs: 5000,
      what: "the announce sent again",
    });
    const [first, again] = a
      .seen("/blocks")
      .filter((r) => r.method === "POST")
      .map((r) => (r.body as { blocks: Block[] }).blocks.map((b) => b.index));
    assert.deepEqual(first, [40]);
    assert.deepEqual(
      again,
      Array.from({ length: 32 }, (_, i) => 9 + i),
    );
  });

  it("sends nothing again to a peer far behind (its chain ends before the resend's first parent)", async () => {
    const a = await peerWith(LONG.slice(0, 3));
    a.override = (req, res) => {
      if (req.path !== "/blocks" || req.method !== "POST") return false;
      res.writeHead(409, { "content-type": "application/json" });
      res.end(JSON.stringify({ length: 3, message: "no parent" }));
      return true;
    };
    const n = node(LONG.slice(0, 40), { neighbours: [a.address] });
    n.network.start();
    n.chain.offer([LONG[40] as Block], null);
    await waitFor(() => a.seen("/blocks").some((r) => r.method === "POST"), {
      timeoutMs: 5000,
      what: "the first announce",
    });
    // One request at a time per peer: a resend would come before the next announce.
    n.chain.offer([LONG[41] as Block], null);
    await waitFor(() => a.seen("/blocks").filter((r) => r.method === "POST").length >= 2, {
      timeoutMs: 5000,
      what: "the next announce",
    });
    const firsts = a
      .seen("/blocks")
      .filter((r) => r.method === "POST")
      .map((r) => (r.body as { blocks: Block[] }).blocks[0]?.index);
    assert.deepEqual(firsts.slice(0, 2), [40, 41]);
  });

  it("tells a caller that is not a neighbour at once when the tip it announced loses a tie", async () => {
    const caller = await peerWith(LONG.slice(0, 5));
    const [x, y] = [branch(LONG, 4, 1, "a"), branch(LONG, 4, 1, "b")].map((c) => c[5] as Block);
    const [loser, winner] = hashBlock(x as Block) > hashBlock(y as Block) ? [x, y] : [y, x];
    const n = node(LONG.slice(0, 5));
    n.network.start();
    const announced = n.network.receiveBlocks([loser], {
      address: caller.address,
      nodeId: null,
      ip: "127.0.0.1",
    });
    assert.equal(announced.status, "accepted");
    n.chain.offer([winner as Block], null);
    assert.equal(n.chain.tipHash, hashBlock(winner as Block));
    await waitFor(() => caller.seen("/blocks").some((r) => r.method === "POST"), {
      timeoutMs: 5000,
      what: "the caller told of the tip that won",
    });
    const sent = caller.seen("/blocks").find((r) => r.method === "POST")?.body as {
      blocks: Block[];
    };
    assert.equal(hashBlock(sent.blocks.at(-1) as Block), hashBlock(winner as Block));
  });

  it("relays a burst of messages in few requests, never back to their origin", async () => {
    const a = await peerWith(LONG.slice(0, 5));
    const b = await peerWith(LONG.slice(0, 5));
    const n = node(LONG.slice(0, 5), { neighbours: [a.address, b.address] });
    n.network.start();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => n.pending.add(message(100 + i), a.address)),
    );
    await waitFor(
      () =>
        b
          .seen("/data")
          .filter((r) => r.method === "POST")
          .flatMap((r) => (r.body as { data: Data[] }).data).length === 100,
      { timeoutMs: 5000, what: "b got all 100 messages" },
    );
    assert.ok(b.seen("/data").filter((r) => r.method === "POST").length <= 3);
    assert.equal(a.requests.filter((r) => r.method === "POST").length, 0);
  });
});
