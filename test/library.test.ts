import assert from "node:assert/strict";
import { test } from "node:test";

test("the package entry exports the original's API: Miner, startServer, types and functions", async () => {
  // By package name, as a user of the library imports it.
  const lib = await import("blockchain-node");
  for (const name of [
    "Miner",
    "startServer",
    "hashBlock",
    "isProofOfWorkValid",
    "proofOfWork",
    "validateChain",
    "encodeBlock",
    "GENESIS_BLOCK",
    "CONTENT_PROOF_RULE",
    "ORIGINAL_PROOF_RULE",
    "proofRuleNamed",
  ]) {
    assert.ok(name in lib, `exports ${name}`);
  }
  const miner = new lib.Miner({
    pathToChain: "/tmp/unused/chain.json",
    jsonFormat: true,
    port: 12345,
    difficulty: 4,
    neighbours: [],
    forceNewChain: false,
  });
  assert.equal(lib.Miner.hash(lib.GENESIS_BLOCK), lib.GENESIS_HASH);
  assert.equal(lib.Miner.isProofOfWorkValid(null, 59850, 4), true);
  assert.equal(
    new lib.Miner({ pathToChain: "/tmp/unused/c.json", proofRule: "content" }).proofRule,
    "content",
  );
  for (const getter of [
    "chain",
    "difficulty",
    "pending",
    "neighbours",
    "port",
    "proofRule",
  ] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(lib.Miner.prototype, getter);
    assert.ok(descriptor?.get && !descriptor.set, `${getter} is a read-only getter`);
  }
  assert.throws(() => {
    (miner as unknown as { difficulty: number }).difficulty = 1;
  }, TypeError);
});
