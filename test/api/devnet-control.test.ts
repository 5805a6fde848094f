import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = randomBytes(32).toString("hex");

test("a node started any other way than by devnet has no control endpoint", async () => {
  const node = await startTestMiner({ mine: false });
  try {
    const answer = await postJson(
      `${node.url}/devnet/partition`,
      { cut_off: [] },
      {
        authorization: `Bearer ${TOKEN}`,
      },
    );
    assert.equal(answer.status, 404);
    const doc = (await http(`${node.url}/openapi.json`)).body;
    assert.equal(doc.paths["/devnet/partition"], undefined);
  } finally {
    await node.stop();
  }
});

test("a devnet's node takes its split only with the devnet's token, and then neither calls nor hears the other group", async () => {
  const other = await startTestMiner({ mine: false });
  const otherAddress = `127.0.0.1:${other.miner.port}`;
  const node = await startTestMiner({
    mine: false,
    devnetToken: TOKEN,
    neighbours: [otherAddress],
    // A short data sync: the node calls its neighbour often, so a cut shows at once.
    dataSyncIntervalS: 0.2,
  });
  try {
    const split = { cut_off: [otherAddress] };
    assert.equal((await postJson(`${node.url}/devnet/partition`, split)).status, 403);
    const wrong = await postJson(`${node.url}/devnet/partition`, split, {
      authorization: `Bearer ${"0".repeat(64)}`,
    });
    assert.equal(wrong.status, 403);
    assert.match(wrong.body.message, /token/);
    const ok = await postJson(`${node.url}/devnet/partition`, split, {
      authorization: `Bearer ${TOKEN}`,
    });
    assert.equal(ok.status, 200);

    const fromOther = await http(`${node.url}/status`, {
      headers: { "x-blockchain-node": otherAddress },
    });
    assert.equal(fromOther.status, 503, "a request from the other group is refused");
    assert.equal((await http(`${node.url}/status`)).status, 200, "anyone else is served");
    await waitFor(
      async () => {
        const peers = (await http(`${node.url}/peers`)).body.peers;
        return (
          peers.find((p: { address: string }) => p.address === otherAddress)?.state === "failing"
        );
      },
      { what: "the other group's node failing from this side" },
    );

    const healed = await postJson(
      `${node.url}/devnet/partition`,
      { cut_off: [] },
      {
        authorization: `Bearer ${TOKEN}`,
      },
    );
    assert.equal(healed.status, 200);
    await waitFor(
      async () => {
        const peers = (await http(`${node.url}/peers`)).body.peers;
        return (
          peers.find((p: { address: string }) => p.address === otherAddress)?.state === "connected"
        );
      },
      { what: "the other node connected again after the heal" },
    );
  } finally {
    await node.stop();
    await other.stop();
  }
});

test("a devnet token shorter than 32 characters is refused", async () => {
  await assert.rejects(startTestMiner({ devnetToken: "short" }), /devnetToken/);
});
