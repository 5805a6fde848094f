import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

let node: TestMiner;
before(async () => {
  // Difficulty 7 keeps a proof search running for many seconds on any machine.
  node = await startTestMiner({ difficulty: 7, workers: 1 });
});
after(async () => node.stop());

test("the API keeps answering while a proof search runs (mining never blocks the event loop)", async () => {
  await postJson(`${node.url}/add`, { message: "hard to mine" });
  await waitFor(async () => (await http(`${node.url}/status`)).body.mining === true, {
    what: "a proof search to start",
  });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  for (let i = 0; i < 20; i++) {
    const { status, body } = await http(`${node.url}/status`);
    assert.equal(status, 200);
    assert.equal(body.length, 1, "the block cannot be found this soon at difficulty 7");
  }
  clearInterval(timer);
  assert.ok(ticks > 0, "timers fired while the search ran");
  assert.equal(
    (await http(`${node.url}/status`)).body.mining,
    true,
    "the search was still running throughout",
  );
});

test("the message being mined stays pending until its block joins the chain", async () => {
  const { body } = await http(`${node.url}/data`);
  assert.equal(body.length, 1);
  const lookup = await http(`${node.url}/data/${body[0].id}`);
  assert.equal(lookup.body.status, "pending");
});
