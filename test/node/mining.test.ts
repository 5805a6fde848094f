import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { validateChain } from "../../src/core/validate.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

let node: TestMiner;
before(async () => {
  node = await startTestMiner({ difficulty: 3, workers: 2 });
});
after(async () => node.stop());

test("20 messages are each mined exactly once, /data empties and the served chain is valid", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const { status, body } = await postJson(`${node.url}/add`, { message: `message ${i}` });
    assert.equal(status, 200);
    ids.push(body.id);
  }
  const first = await http(`${node.url}/data/${ids[0]}`);
  assert.ok(["pending", "confirmed"].includes(first.body.status));
  await waitFor(async () => (await http(`${node.url}/status`)).body.length === 21, {
    timeoutMs: 60_000,
    what: "20 mined blocks",
  });
  const { body } = await http(`${node.url}/chain`);
  const chain = body.chain as Block[];
  assert.deepEqual(validateChain(chain, { difficulty: 3 }), { ok: true });
  const minedIds = chain.slice(1).map((b) => b.data.id);
  assert.deepEqual([...minedIds].sort(), [...ids].sort());
  assert.deepEqual((await http(`${node.url}/data`)).body, []);
  const confirmed = await http(`${node.url}/data/${ids[0]}`);
  assert.equal(confirmed.body.status, "confirmed");
  assert.ok(confirmed.body.confirmations >= 1);
  const status = (await http(`${node.url}/status`)).body;
  assert.ok(status.hashrate > 0);
});

test("with nothing pending the miner idles: no proof search runs", async () => {
  await waitFor(async () => (await http(`${node.url}/status`)).body.mining === false, {
    what: "the miner to idle",
  });
  const status = (await http(`${node.url}/status`)).body;
  assert.equal(status.pending, 0);
  assert.equal(status.mining, false);
  // A busy loop (in this thread or a worker) would burn the whole window; idling burns almost nothing.
  const before = process.cpuUsage();
  const windowMs = 500;
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const used = process.cpuUsage(before);
  assert.ok(
    (used.user + used.system) / 1000 < windowMs / 2,
    `used ${(used.user + used.system) / 1000} ms of CPU in ${windowMs} ms`,
  );
});
