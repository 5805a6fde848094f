// Attack 3 of issue 12: sync stalled. (a) Announces with an unknown parent
// naming hosts that accept and never answer queued syncs that held the node's
// sync with its honest neighbour; (b) a neighbour forking at genesis served
// invalid blocks a few per page, slowly, never punished while its branch was
// shorter than ours.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { isProofOfWorkValid } from "../../src/core/pow.js";
import { writeChainFile } from "../../src/storage/chain-store.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { PeerServer } from "../net/peer-server.js";

const D = 2;

/** A host that accepts connections and never answers; counts them. */
async function silentHost(): Promise<{
  server: Server;
  address: string;
  connections: () => number;
}> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    address: `127.0.0.1:${port}`,
    connections: () => {
      for (const socket of sockets) socket.destroy();
      return sockets.length;
    },
  };
}

async function bans(url: string): Promise<number> {
  const text = String((await http(`${url}/metrics`)).body);
  const match = /blockchain_peer_requests_total\{outcome="banned"\} (\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

test("announces naming silent hosts start no sync and do not delay the honest one", async () => {
  const base = buildChain(10, { difficulty: D });
  const honest = await startTestMiner({ mine: false, difficulty: D });
  const silent = await Promise.all(Array.from({ length: 40 }, () => silentHost()));
  const address = new URL(honest.url).host;
  const node = await startTestMiner({
    mine: false,
    difficulty: D,
    neighbours: [address],
    chainSyncIntervalS: 0.5,
  });
  try {
    const orphan = { ...(base[5] as Block), previous_hash: "ab".repeat(32) };
    for (const host of silent) {
      const answer = await postJson(
        `${node.url}/blocks`,
        { blocks: [orphan] },
        { "x-blockchain-node": host.address, "x-blockchain-node-id": "cd".repeat(16) },
      );
      assert.equal(answer.status, 409);
    }
    // Now the honest neighbour gets ahead; the node follows within a few rounds.
    const accepted = await postJson(`${honest.url}/blocks`, { blocks: base.slice(1) });
    assert.equal(accepted.body.accepted, true);
    await waitFor(async () => (await http(`${node.url}/status`)).body.length === 10, {
      timeoutMs: 15_000,
      what: "the node synced from its honest neighbour",
    });
    // The announces' claimed senders only got the one /status check a caller gets, at most.
    const checked = silent.reduce((sum, host) => sum + host.connections(), 0);
    assert.ok(checked <= 4, `${checked} connections to the silent hosts`);
  } finally {
    await node.stop();
    await honest.stop();
    for (const host of silent) {
      host.server.close();
      host.connections();
    }
  }
});

/** A branch from genesis whose blocks are well formed and linked but carry wrong proofs. */
function invalidBranch(length: number): Block[] {
  const chain = [genesisBlock()];
  for (let i = 1; i < length; i++) {
    const parent = chain[i - 1] as Block;
    let proof = 0;
    while (isProofOfWorkValid(parent.proof, proof, D)) proof++;
    chain.push({
      index: i,
      timestamp: 1_600_000_000_000 + i,
      data: { id: i.toString(16).padStart(32, "f"), message: `junk ${i}` },
      previous_hash: hashBlock(parent),
      proof,
    });
  }
  return chain;
}

test("a neighbour serving invalid blocks a few per page is banned at its first page", async () => {
  await withTempDir(async (dir) => {
    const ours = buildChain(300, { difficulty: D });
    const chainPath = join(dir, "chain.json");
    await writeChainFile(chainPath, "json", ours);
    const longer = extendChain(ours, 20, { difficulty: D, messages: ["honest"] });
    const honestDir = join(dir, "honest");
    const honestPath = join(honestDir, "chain.json");
    await writeChainFile(honestPath, "json", longer);
    const honest = await startTestMiner(
      { mine: false, difficulty: D, pathToChain: honestPath },
      honestDir,
    );
    const liar = new PeerServer(invalidBranch(1000));
    liar.override = async (req, res) => {
      if (req.path !== "/blocks" || req.method !== "GET") return false;
      // Ten blocks a page, slowly: never too slow for one request's time-out.
      const from = Number(req.query.get("from"));
      const limit = Math.min(Number(req.query.get("limit")), 10);
      await new Promise((resolve) => setTimeout(resolve, 200));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ blocks: liar.chain.slice(from, from + limit), length: 1000 }));
      return true;
    };
    const liarAddress = await liar.start();
    const node = await startTestMiner(
      {
        mine: false,
        difficulty: D,
        pathToChain: chainPath,
        neighbours: [liarAddress, new URL(honest.url).host],
        chainSyncIntervalS: 0.5,
      },
      dir,
    );
    try {
      await waitFor(async () => (await bans(node.url)) === 1, { what: "the liar banned" });
      // Pages (not the fork search's 1-block probes) it had to serve before the ban.
      const pages = liar.seen("/blocks").filter((r) => Number(r.query.get("limit")) > 1);
      assert.ok(pages.length <= 3, `${pages.length} pages served before the ban`);
      await waitFor(async () => (await http(`${node.url}/status`)).body.length === 320, {
        what: "the honest chain adopted",
      });
      assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, [
        new URL(honest.url).host,
      ]);
    } finally {
      await node.stop();
      await honest.stop();
      await liar.stop();
    }
  });
});
