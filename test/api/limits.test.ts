import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";

let node: TestMiner;
before(async () => {
  node = await startTestMiner({ mine: false, maxPending: 3 });
});
after(async () => node.stop());

test("a full pending set answers 503 with a clear message, and drops nothing it acknowledged", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { status, body } = await postJson(`${node.url}/add`, { message: `fits ${i}` });
    assert.equal(status, 200);
    ids.push(body.id);
  }
  const full = await postJson(`${node.url}/add`, { message: "one too many" });
  assert.equal(full.status, 503);
  assert.match(full.body.message, /3 pending messages, its limit/);
  const relayed = await postJson(`${node.url}/data`, {
    data: [{ id: "f".repeat(32), message: "relayed" }],
  });
  assert.equal(relayed.status, 503);
  const pending = (await http(`${node.url}/data`)).body as { id: string }[];
  assert.deepEqual(pending.map((d) => d.id).sort(), [...ids].sort());
});

test("the node keeps serving after refusing", async () => {
  const { status, body } = await http(`${node.url}/status`);
  assert.equal(status, 200);
  assert.equal(body.pending, 3);
});
