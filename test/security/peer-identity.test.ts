// Attacks 2a, 4 and 5 of issue 12, as they were made: requests with forged
// X-Blockchain-Node headers against a real node, with small stand-in peers.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";
import { waitFor } from "../helpers/wait-for.js";
import { PeerServer } from "../net/peer-server.js";

const D = 2;

/** Lines of the node's miner.log whose message matches `pattern`. */
async function logLines(dir: string, pattern: RegExp): Promise<string[]> {
  const text = await readFile(join(dir, "miner.log"), "utf8").catch(() => "");
  return text.split("\n").filter((line) => pattern.test(line));
}

/** How many peers the node banned, from its /metrics. */
async function bans(url: string): Promise<number> {
  const text = String((await http(`${url}/metrics`)).body);
  const match = /blockchain_peer_requests_total\{outcome="banned"\} (\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

test("a forged header naming an honest neighbour on the same host gets no one banned", async () => {
  // The honest neighbour listens on 127.0.0.1 like the attacker: hosts alone cannot tell them apart.
  const honest = new PeerServer([genesisBlock()]);
  const address = await honest.start();
  const node = await startTestMiner({ mine: false, difficulty: D, neighbours: [address] });
  try {
    const good = mineNext(genesisBlock(), D, "good");
    const bad = { ...good, proof: (good.proof as number) + 1 };
    const headers = { "x-blockchain-node": address, "x-blockchain-node-id": honest.nodeId };
    const answer = await postJson(`${node.url}/blocks`, { blocks: [bad] }, headers);
    assert.equal(answer.status, 400);
    const malformed = await postJson(`${node.url}/blocks`, { blocks: [{ index: 1 }] }, headers);
    assert.equal(malformed.status, 400);
    // The node asks the neighbour itself; it does not hold the forged block, so no ban.
    await waitFor(() => honest.seen("/blocks").filter((r) => r.method === "GET").length >= 2, {
      what: "the node to ask the neighbour for the announced blocks",
    });
    assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, [address]);
    assert.equal(await bans(node.url), 0);
  } finally {
    await node.stop();
    await honest.stop();
  }
});

test("a neighbour that serves the invalid block it announced is banned", async () => {
  const liar = new PeerServer([genesisBlock()]);
  const address = await liar.start();
  const node = await startTestMiner({ mine: false, difficulty: D, neighbours: [address] });
  try {
    const good = mineNext(genesisBlock(), D, "good");
    const bad: Block = { ...good, proof: (good.proof as number) + 1 };
    liar.chain = [genesisBlock(), bad];
    const answer = await postJson(
      `${node.url}/blocks`,
      { blocks: [bad] },
      { "x-blockchain-node": address },
    );
    assert.equal(answer.status, 400);
    await waitFor(async () => (await bans(node.url)) === 1, { what: "the liar banned" });
    assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, []);
  } finally {
    await node.stop();
    await liar.stop();
  }
});

test("aliases of the node itself never fill its neighbour slots (eclipse)", async () => {
  const node = await startTestMiner({ mine: false, difficulty: D, logLevel: "info" });
  try {
    const { node_id } = (await http(`${node.url}/status`)).body;
    const port = node.miner.port;
    // The three aliases of the attack: each reaches the node itself.
    const aliases = [`0.0.0.0:${port}`, `[::ffff:127.0.0.1]:${port}`, `[::ffff:0.0.0.0]:${port}`];
    for (const alias of aliases) {
      // The attacker copies the node's own id from its /status: the claim checks out as the node itself.
      await http(`${node.url}/status`, {
        headers: { "x-blockchain-node": alias, "x-blockchain-node-id": node_id },
      });
    }
    const lines = await waitFor(
      async () => {
        const found = await logLines(node.dir, /an address of this node itself/);
        return found.length === aliases.length ? found : null;
      },
      { what: "the node to recognise itself behind each alias" },
    );
    for (const [i, port_] of ["0.0.0.0", "[::ffff:7f00:1]", "[::ffff:0:0]"].entries()) {
      assert.ok(
        lines.some((l) => l.includes(`"peer":"${port_}:${port}"`)),
        `${aliases[i]}: ${lines}`,
      );
    }
    assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, []);
  } finally {
    await node.stop();
  }
});

test("a header alone adds no neighbour and steers no request but one GET /status", async () => {
  const target = new PeerServer([genesisBlock()]);
  const address = await target.start();
  const genuine = new PeerServer([genesisBlock()]);
  const genuineAddress = await genuine.start();
  const node = await startTestMiner({ mine: false, difficulty: D });
  try {
    // No id at all: no request is made.
    await http(`${node.url}/status`, { headers: { "x-blockchain-node": address } });
    // An id the address does not answer with: one /status, then nothing.
    await http(`${node.url}/status`, {
      headers: { "x-blockchain-node": address, "x-blockchain-node-id": "ab".repeat(16) },
    });
    // Again at once: not checked again (cooldown).
    await http(`${node.url}/status`, {
      headers: { "x-blockchain-node": address, "x-blockchain-node-id": "ab".repeat(16) },
    });
    // A genuine caller: learnt once its /status confirms the id.
    await http(`${node.url}/status`, {
      headers: { "x-blockchain-node": genuineAddress, "x-blockchain-node-id": genuine.nodeId },
    });
    await waitFor(async () => (await http(`${node.url}/neighbours`)).body.neighbours.length === 1, {
      what: "the genuine caller learnt",
    });
    assert.deepEqual((await http(`${node.url}/neighbours`)).body.neighbours, [genuineAddress]);
    // A new block is pushed to the neighbour, never to the steered address.
    const block = mineNext(genesisBlock(), D, "pushed");
    await postJson(`${node.url}/blocks`, { blocks: [block] });
    await waitFor(() => genuine.seen("/blocks").some((r) => r.method === "POST"), {
      what: "the push to the neighbour",
    });
    assert.deepEqual(
      target.requests.map((r) => `${r.method} ${r.path}`),
      ["GET /status"],
    );
  } finally {
    await node.stop();
    await target.stop();
    await genuine.stop();
  }
});
