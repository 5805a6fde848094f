import assert from "node:assert/strict";
import { test } from "node:test";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";

test("a forged X-Blockchain-Node header cannot get an honest neighbour banned", async () => {
  // The neighbour's address is not the connection's (the test calls from 127.0.0.1).
  const honest = "127.0.0.2:1";
  const node = await startTestMiner({ mine: false, neighbours: [honest] });
  try {
    const headers = { "x-blockchain-node": honest };
    const junk = await postJson(
      `${node.url}/blocks`,
      { blocks: [{ index: 1, junk: true }] },
      headers,
    );
    assert.equal(junk.status, 400);
    const bad = await postJson(`${node.url}/data`, { data: [{ id: "x", message: "m" }] }, headers);
    assert.equal(bad.status, 400);
    const { body } = await http(`${node.url}/neighbours`);
    assert.deepEqual(body.neighbours, [honest]);
  } finally {
    await node.stop();
  }
});
