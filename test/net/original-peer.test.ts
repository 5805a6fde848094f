import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import pino from "pino";
import { ChainState } from "../../src/chain/chain-state.js";
import { DEFAULTS } from "../../src/config/config.js";
import { NodeMetrics } from "../../src/config/metrics.js";
import { JobScheduler } from "../../src/config/scheduler.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { Network } from "../../src/net/network.js";
import { newNodeId } from "../../src/net/node-id.js";
import { PeerTable } from "../../src/net/peer-table.js";
import { memoryPool } from "../helpers/memory-pool.js";
import { getJson, NodeProcess } from "../helpers/node-process.js";
import { buildOriginalChain } from "../helpers/original-chain.js";
import { OriginalNodeStandIn } from "../helpers/original-node.js";
import { waitFor } from "../helpers/wait-for.js";

const LINE = "runs the original Python node; chains cannot be shared: block hashes differ";

/** A Network of real parts whose log lines are kept, with `neighbours` to start with. */
function networkWith(neighbours: string[], banDurationS = 600) {
  const lines: string[] = [];
  const logger = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const chain = new ChainState([genesisBlock()], { difficulty: 1 });
  const pending = memoryPool(chain, 100);
  const scheduler = new JobScheduler({ logger });
  const network = new Network(
    {
      self: "127.0.0.1:9",
      nodeId: newNodeId(),
      neighbours,
      maxNeighbours: 3,
      gossipIntervalS: 3600,
      chainSyncIntervalS: 3600,
      dataSyncIntervalS: 3600,
      requestTimeoutMs: 2000,
      maxResponseBytes: DEFAULTS.peerMaxResponseBytes,
      maxPeerFailures: 3,
      banDurationS,
      pageLimit: 1000,
      maxMessageBytes: DEFAULTS.maxMessageBytes,
    },
    { chain, pending, scheduler, logger, metrics: new NodeMetrics() },
  );
  const said = (text: string) => lines.filter((line) => line.includes(text)).length;
  return {
    network,
    scheduler,
    said,
    async stop() {
      await network.stop();
      await scheduler.stop();
    },
  };
}

async function standIn(): Promise<OriginalNodeStandIn> {
  return OriginalNodeStandIn.start({ chain: buildOriginalChain(["hello"], { difficulty: 1 }) });
}

test("a neighbour running the original Python node is logged once, dropped, and not banned", async () => {
  const original = await standIn();
  const node = networkWith([original.address]);
  try {
    node.network.start();
    await waitFor(() => node.said(LINE) === 1, { what: "the original node to be recognised" });
    assert.deepEqual(node.network.neighbours, []);
    assert.equal(node.said("banning"), 0, "not banned as malformed");
    assert.equal(node.said("malformed"), 0);
    // Learnt again (a caller, a gossip round): it is kept out, and not reported again.
    node.network.noteCaller({
      address: original.address,
      nodeId: "ab".repeat(16),
      ip: "127.0.0.1",
    });
    await node.scheduler.runNow("gossip");
    assert.deepEqual(node.network.neighbours, []);
    assert.equal(node.said(LINE), 1);
  } finally {
    await node.stop();
    await original.stop();
  }
});

test("after a while the address is tried again, and found out again without a second log line", async () => {
  const original = await standIn();
  // A neighbour named at start: a caller's claim cannot bring it (it gives no node id).
  const node = networkWith([original.address], 0.05);
  try {
    node.network.start();
    await waitFor(() => node.said(LINE) === 1, { what: "the original node to be recognised" });
    const before = original.requests.length;
    await waitFor(
      async () => {
        await node.scheduler.runNow("gossip");
        return original.requests.length > before;
      },
      { what: "the set-aside address to be taken and asked again" },
    );
    await waitFor(() => node.network.neighbours.length === 0, { what: "it set aside again" });
    assert.equal(node.said(LINE), 1);
  } finally {
    await node.stop();
    await original.stop();
  }
});

test("a peer set aside is neither a member, a candidate nor banned", () => {
  let now = 1000;
  const peers = new PeerTable(
    {
      self: "127.0.0.1:9",
      max: 3,
      maxFailures: 3,
      banDurationMs: 60_000,
      retryBaseMs: 500,
      pinnedRetryMaxMs: 10_000,
      learntRetryMaxMs: 30_000,
      evictAfterMs: 600_000,
      now: () => now,
    },
    ["127.0.0.1:1001"],
  );
  peers.setAside("127.0.0.1:1001", 5000);
  assert.deepEqual(peers.list(), []);
  assert.equal(peers.isBanned("127.0.0.1:1001"), false);
  assert.equal(peers.add("127.0.0.1:1001"), false);
  assert.deepEqual(peers.learnFrom("127.0.0.1:1002", ["127.0.0.1:1001"]), []);
  assert.deepEqual(peers.refill(), []);
  now += 5001;
  assert.equal(peers.add("127.0.0.1:1001"), true);
});

test("a real node with the original as its neighbour logs why and does not keep it", async () => {
  const original = await standIn();
  const node = await NodeProcess.start({
    args: [
      "--difficulty",
      "1",
      "--workers",
      "1",
      "--neighbours",
      original.address,
      "--gossip-interval",
      "0.5",
    ],
  });
  try {
    await waitFor(() => node.output().includes(`${original.address} ${LINE}`), {
      what: "the log line about the original node",
    });
    const status = await getJson<{ neighbours: string[] }>(`${node.url}/status`);
    assert.deepEqual(status.neighbours, []);
    assert.ok(!node.output().includes("banning"), node.output());
    assert.equal(node.output().split(LINE).length - 1, 1, "said once");
  } finally {
    await node.stop();
    await original.stop();
  }
});
