import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { test } from "node:test";
import { Watcher } from "../../src/watch/watcher.js";
import type { NetworkSnapshot } from "../../src/watch/wire.js";
import { freePort } from "../helpers/node-process.js";
import { http, startTestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

const FAST = { pollMs: 200, requestTimeoutMs: 2000, maxRetryMs: 300 };

async function snapshot(watcher: Watcher): Promise<NetworkSnapshot> {
  return (await http(`http://127.0.0.1:${watcher.port}/network`)).body;
}

test("the watcher finds nodes through their neighbours, and keeps one that stops, marked, until it is back", async () => {
  const portC = await freePort();
  const c = await startTestMiner({ mine: false, port: portC });
  const b = await startTestMiner({ mine: false, neighbours: [`127.0.0.1:${portC}`] });
  const a = await startTestMiner({ mine: false, neighbours: [`127.0.0.1:${b.miner.port}`] });
  const watcher = new Watcher({
    nodes: [`127.0.0.1:${a.miner.port}`],
    port: 0,
    host: "127.0.0.1",
    maxNodes: 8,
    flushMs: 50,
    follower: FAST,
  });
  let cNow = c;
  try {
    await watcher.start();
    const addressC = `127.0.0.1:${portC}`;
    const all = await waitFor(
      async () => {
        const s = await snapshot(watcher);
        return s.nodes.length === 3 && s.nodes.every((n) => n.reachable) ? s : null;
      },
      { what: "a, then b and c through the neighbours" },
    );
    assert.deepEqual(
      all.nodes.map((n) => n.address).sort(),
      [`127.0.0.1:${a.miner.port}`, `127.0.0.1:${b.miner.port}`, addressC].sort(),
    );
    assert.equal(all.nodes.find((n) => n.address === addressC)?.node_id, c.miner.nodeId);

    await c.miner.stop();
    const down = await waitFor(
      async () => {
        const s = await snapshot(watcher);
        return s.nodes.find((n) => n.address === addressC)?.reachable === false ? s : null;
      },
      { what: "c marked unreachable" },
    );
    assert.equal(down.nodes.length, 3, "a node that stops answering stays in the view");
    assert.ok(down.events.some((e) => e.kind === "unreachable" && e.node === addressC));

    cNow = await startTestMiner({ mine: false, port: portC }, c.dir);
    await waitFor(
      async () => {
        const s = await snapshot(watcher);
        return s.events.some((e) => e.kind === "reachable" && e.node === addressC);
      },
      { what: "c reachable again" },
    );
  } finally {
    await watcher.stop();
    await a.stop();
    await b.stop();
    await cNow.stop();
    // c was started again in its own folder, which its second start does not own: removed here.
    await rm(c.dir, { recursive: true, force: true });
  }
});

test("--max-nodes bounds how many nodes are followed", async () => {
  const c = await startTestMiner({ mine: false });
  const b = await startTestMiner({ mine: false, neighbours: [`127.0.0.1:${c.miner.port}`] });
  const a = await startTestMiner({ mine: false, neighbours: [`127.0.0.1:${b.miner.port}`] });
  const watcher = new Watcher({
    nodes: [`127.0.0.1:${a.miner.port}`],
    port: 0,
    host: "127.0.0.1",
    maxNodes: 2,
    follower: FAST,
  });
  try {
    await watcher.start();
    await waitFor(async () => (await snapshot(watcher)).nodes.length === 2, { what: "two nodes" });
    // Several polls later, still two.
    const polls = watcher.model.nodeCount;
    await waitFor(async () => (await snapshot(watcher)).nodes.every((n) => n.reachable), {
      what: "both read",
    });
    assert.equal(polls, 2);
    assert.equal((await snapshot(watcher)).nodes.length, 2);
  } finally {
    await watcher.stop();
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  }
});

test("the view's controls exist only on a devnet's view", async () => {
  const node = await startTestMiner({ mine: false });
  const watcher = new Watcher({
    nodes: [`127.0.0.1:${node.miner.port}`],
    port: 0,
    host: "127.0.0.1",
    maxNodes: 4,
  });
  try {
    await watcher.start();
    const answer = await http(`http://127.0.0.1:${watcher.port}/control/split`, { method: "POST" });
    assert.equal(answer.status, 404);
    assert.equal((await snapshot(watcher)).controls, false);
  } finally {
    await watcher.stop();
    await node.stop();
  }
});
