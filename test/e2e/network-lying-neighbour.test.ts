import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { isProofOfWorkValid } from "../../src/core/pow.js";
import { addMessage, chainOf, getJson, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";
import { PeerServer } from "../net/peer-server.js";

const DIFFICULTY = 2;

/** A chain longer than any the node will mine here, linked correctly but with proofs that fail. */
function forgedChain(length: number): Block[] {
  const chain = [genesisBlock()];
  for (let i = 1; i < length; i++) {
    const parent = chain[i - 1] as Block;
    let proof = 0;
    while (isProofOfWorkValid(parent.proof, proof, DIFFICULTY)) proof++;
    chain.push({
      index: i,
      timestamp: Date.now() - 60_000 + i,
      data: { id: i.toString(16).padStart(32, "f"), message: `forged ${i}` },
      previous_hash: hashBlock(parent),
      proof,
    });
  }
  return chain;
}

function json(res: ServerResponse, status: number, text: string): true {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(text);
  return true;
}

/** Streams spaces until the client hangs up (or 64 MiB): an answer with no end in sight. */
function endless(res: ServerResponse): true {
  res.writeHead(200, { "content-type": "application/json" });
  const chunk = Buffer.alloc(1024 * 1024, " ");
  let sent = 0;
  const pump = () => {
    while (!res.destroyed && sent < 64) {
      sent++;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
  return true;
}

describe("a lying neighbour", { timeout: 90_000 }, () => {
  const forger = new PeerServer(forgedChain(40));
  const gossiper = new PeerServer([genesisBlock()]);
  const malformed = new PeerServer([genesisBlock()]);
  const oversized = new PeerServer([genesisBlock()]);
  const silent = new PeerServer([genesisBlock()]);
  const liars = [forger, gossiper, malformed, oversized, silent];
  let node: NodeProcess | null = null;

  before(async () => {
    for (const liar of liars) await liar.start();
    gossiper.neighbours = [
      "junk",
      "127.0.0.1:0",
      "127.0.0.1:99999",
      "[::1]",
      "http://127.0.0.1:80/",
      `${"x".repeat(400)}:1`,
      forger.address,
      malformed.address,
      oversized.address,
    ];
    gossiper.override = (req, res) => {
      if (req.path !== "/neighbours") return false;
      // Junk of every type, and far too many entries of it.
      return json(
        res,
        200,
        JSON.stringify({
          neighbours: [...gossiper.neighbours, 42, null, {}, ...Array(900).fill("??")],
        }),
      );
    };
    malformed.override = (req, res) => {
      if (req.path === "/status") return json(res, 200, "{not json");
      if (req.path === "/data") return json(res, 200, JSON.stringify({ data: "not a list" }));
      if (req.path === "/neighbours") return json(res, 200, JSON.stringify({ neighbours: "nope" }));
      return false;
    };
    oversized.override = (_req, res) => endless(res);
    silent.override = () => true;
    node = await NodeProcess.start({
      args: [
        ...["--difficulty", String(DIFFICULTY), "--workers", "1", "--log-level", "warn"],
        ...[
          "--gossip-interval",
          "0.5",
          "--chain-sync-interval",
          "0.5",
          "--data-sync-interval",
          "0.5",
        ],
        ...["--max-neighbours", "6", "--neighbours", liars.map((l) => l.address).join(",")],
      ],
    });
  });

  after(async () => {
    if (process.env.SHOW_NODE_OUTPUT) console.log(node?.output());
    await node?.stop();
    for (const liar of liars) await liar.stop();
  });

  const neighbours = async () =>
    (await getJson<{ neighbours: string[] }>(`${node?.url}/neighbours`)).neighbours;

  it("drops and bans the forger, the malformed and the oversized peer, and keeps its own chain", async () => {
    const banned = [forger.address, malformed.address, oversized.address];
    await waitFor(async () => !(await neighbours()).some((n) => banned.includes(n)), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: "the three misbehaving peers to be dropped",
    });
    assert.ok(forger.seen("/blocks").length > 0, "the forged chain was looked at");
    const chain = await chainOf(node?.url as string);
    assert.ok(
      !chain.some((b) => b.data.message.startsWith("forged")),
      "no forged block was adopted",
    );
  });

  it("keeps the banned peers out although a neighbour still lists them", async () => {
    const banned = [forger.address, malformed.address, oversized.address];
    const gossipRounds = gossiper.seen("/neighbours").length;
    await waitFor(() => gossiper.seen("/neighbours").length >= gossipRounds + 3, {
      timeoutMs: 20_000,
      what: "three more gossip rounds",
    });
    assert.ok(!(await neighbours()).some((n) => banned.includes(n)));
    assert.ok(
      (await neighbours()).includes(gossiper.address),
      "junk in a list is ignored, not punished",
    );
  });

  it("keeps the command-line peer that never answers, asking it only when its back-off ends", async () => {
    await waitFor(() => silent.requests.length >= 3, {
      timeoutMs: 30_000,
      what: "a few tries of the silent peer",
    });
    assert.ok((await neighbours()).includes(silent.address), "never forgotten");
    // The jobs run every 0.5 s: asked by them, it would get some 30 requests in 5 s.
    const before = silent.requests.length;
    await delay(5_000);
    const asked = silent.requests.length - before;
    assert.ok(asked <= 4, `${asked} requests in 5 s`);
  });

  it("keeps serving and mining", async () => {
    const url = node?.url as string;
    const id = await addMessage(url, "still mining");
    await waitFor(
      async () => (await getJson<{ status: string }>(`${url}/data/${id}`)).status === "confirmed",
      {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: "the message mined",
      },
    );
  });
});
