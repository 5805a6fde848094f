import assert from "node:assert/strict";
import { test } from "node:test";
import { GENESIS_BLOCK } from "../../src/core/genesis.js";
import { Miner, MinerOptionError } from "../../src/node/miner.js";
import { buildChain } from "../helpers/chain-factory.js";

const good = {
  pathToChain: "/tmp/unused-chain.json",
  jsonFormat: true,
  port: 12345,
  difficulty: 4,
  neighbours: [],
  forceNewChain: false,
};

test("a Miner is built from the original's arguments", () => {
  const miner = new Miner({ ...good, neighbours: ["localhost:5000", "127.0.0.2:5001"] });
  assert.equal(miner.difficulty, 4);
  assert.equal(miner.port, 12345);
  assert.deepEqual(miner.neighbours, ["127.0.0.1:5000", "127.0.0.2:5001"]);
  assert.deepEqual(miner.chain, [GENESIS_BLOCK]);
  assert.deepEqual(miner.pending, []);
});

const badCases: [string, Record<string, unknown>, RegExp][] = [
  ["pathToChain", { pathToChain: "" }, /pathToChain/],
  ["pathToChain", { pathToChain: 42 }, /pathToChain/],
  ["jsonFormat", { jsonFormat: "yes" }, /jsonFormat/],
  ["port", { port: 70000 }, /port/],
  ["privateNetwork", { privateNetwork: { networkKeyFile: 5 } }, /privateNetwork\.networkKeyFile/],
  ["privateNetwork", { privateNetwork: { privateReads: "yes" } }, /privateNetwork\.privateReads/],
  ["port", { port: -1 }, /port/],
  ["port", { port: 80.5 }, /port/],
  ["difficulty", { difficulty: 0 }, /difficulty/],
  ["difficulty", { difficulty: 2.5 }, /difficulty/],
  ["neighbours", { neighbours: "127.0.0.1:1" }, /neighbours/],
  ["neighbours", { neighbours: ["not an address"] }, /neighbours/],
  ["neighbours", { neighbours: ["127.0.0.1:99999"] }, /neighbours/],
  ["forceNewChain", { forceNewChain: "true" }, /forceNewChain/],
  ["workers", { workers: 0 }, /workers/],
  ["syncSaveBytes", { syncSaveBytes: -1 }, /syncSaveBytes/],
  ["syncSaveBytes", { syncSaveBytes: 1.5 }, /syncSaveBytes/],
  ["indexSnapshotBytes", { indexSnapshotBytes: -1 }, /indexSnapshotBytes/],
  ["backupIntervalS", { backupIntervalS: 0 }, /backupIntervalS/],
];
for (const [name, change, pattern] of badCases) {
  test(`the constructor refuses a bad ${name} (${JSON.stringify(change)}) with a clear error`, () => {
    assert.throws(
      () => new Miner({ ...good, ...change } as never),
      (err: unknown) => err instanceof MinerOptionError && pattern.test((err as Error).message),
    );
  });
}

test("Miner.hash hashes a block and throws a TypeError for anything else", () => {
  assert.equal(
    Miner.hash(GENESIS_BLOCK),
    "7f9a64a5bd52ca142f713283260c323ec05bcd23a31aa3022de71e95137a9c3e",
  );
  for (const bad of [null, 42, "block", {}, { ...GENESIS_BLOCK, index: 1 }]) {
    assert.throws(() => Miner.hash(bad as never), TypeError);
  }
});

test("Miner exposes the proof rule, the proof search and chain validity", () => {
  const miner = new Miner(good);
  assert.equal(Miner.isProofOfWorkValid(null, 59850, 4), true);
  assert.equal(miner.proofOfWork(null, 4), 59850);
  assert.equal(miner.isChainValid(), true);
  assert.equal(miner.isChainValid([{ ...GENESIS_BLOCK, timestamp: 1 }]), false);
  assert.equal(miner.isDataProcessed(GENESIS_BLOCK.data), true);
  assert.equal(miner.isDataProcessed({ id: "1".repeat(32), message: "x" }), false);
});

test("the constructor also refuses a bad host, log level or advertised address, naming each", () => {
  for (const [change, pattern] of [
    [{ host: 5 }, /^host: /],
    [{ logLevel: "bogus" }, /^logLevel: /],
    [{ advertise: "bad" }, /^advertise: /],
    [{ difficulty: "3" }, /difficulty: .*got "3"/],
    [{ proofRule: "bitcoin" }, /^proofRule: must be one of original, content, got "bitcoin"/],
  ] as [Record<string, unknown>, RegExp][]) {
    assert.throws(
      () => new Miner({ ...good, ...change } as never),
      (err: unknown) => err instanceof MinerOptionError && pattern.test((err as Error).message),
      JSON.stringify(change),
    );
  }
});

test("the proofRule option: original by default, content on request, and validity follows it", () => {
  assert.equal(new Miner(good).proofRule, "original");
  const miner = new Miner({ ...good, proofRule: "content", difficulty: 2 });
  assert.equal(miner.proofRule, "content");
  const contentChain = buildChain(4, { difficulty: 2, rule: "content" });
  const originalChain = buildChain(4, { difficulty: 2 });
  assert.equal(miner.isChainValid(contentChain), true);
  assert.equal(miner.isChainValid(originalChain), false);
  assert.equal(new Miner({ ...good, difficulty: 2 }).isChainValid(originalChain), true);
});

for (const [env, option] of [
  ["BLOCKCHAIN_SYNC_SAVE_BYTES", "syncSaveBytes"],
  ["BLOCKCHAIN_INDEX_SNAPSHOT_BYTES", "indexSnapshotBytes"],
] as const) {
  test(`${env} sets ${option} when the options do not; a bad value is named`, () => {
    const before = process.env[env];
    try {
      process.env[env] = "4096";
      assert.doesNotThrow(() => new Miner(good));
      for (const bad of ["lots", "-1", "1e3", "2.5"]) {
        process.env[env] = bad;
        assert.throws(
          () => new Miner(good),
          (err: Error) =>
            err instanceof MinerOptionError &&
            err.message.startsWith(`${env}: must be a whole number of bytes`) &&
            err.message.includes(JSON.stringify(bad)),
          bad,
        );
      }
      // An option given wins over the environment.
      assert.doesNotThrow(() => new Miner({ ...good, [option]: 0 }));
    } finally {
      if (before === undefined) delete process.env[env];
      else process.env[env] = before;
    }
  });
}
