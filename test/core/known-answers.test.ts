import assert from "node:assert/strict";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { GENESIS_BLOCK, GENESIS_HASH } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { isProofOfWorkValid, proofOfWork } from "../../src/core/pow.js";

// Vectors computed independently with Python's hashlib (see the closing note of issue 2).
const SAMPLE: Block = {
  index: 1,
  timestamp: 1700000000000,
  data: { id: "0123456789abcdef0123456789abcdef", message: "héllo, wörld ✓" },
  previous_hash: GENESIS_HASH,
  proof: 59850,
};

test("the genesis block hashes to the SPEC's value", () => {
  assert.equal(hashBlock(GENESIS_BLOCK), GENESIS_HASH);
});

test("the genesis block's canonical encoding is the SPEC's text", () => {
  assert.equal(
    encodeBlock(GENESIS_BLOCK),
    '{"index":0,"timestamp":0,"data":{"id":"00000000000000000000000000000000","message":"This is the workload of the very first Block in this chain!"},"previous_hash":null,"proof":null}',
  );
});

test("a block with non-ASCII text hashes like Python's json.dumps + sha256", () => {
  assert.equal(
    hashBlock(SAMPLE),
    "d18df7f220c901bd2008ecb925334cdb9f278ec263554d6b8266d9ff4a0e95ed",
  );
});

test("the canonical encoding ignores key order and extra keys of the input object", () => {
  const shuffled = {
    proof: SAMPLE.proof,
    data: { message: SAMPLE.data.message, id: SAMPLE.data.id },
    index: 1,
    previous_hash: SAMPLE.previous_hash,
    timestamp: SAMPLE.timestamp,
    extra: 1,
  };
  assert.equal(encodeBlock(shuffled as unknown as Block), encodeBlock(SAMPLE));
});

test("proofOfWork(null, 4) is 59850, the SPEC's example", () => {
  assert.equal(proofOfWork(null, 4), 59850);
});

for (const [last, difficulty, expected] of [
  [59850, 4, 53987],
  [12345, 3, 412],
  [0, 2, 226],
  [null, 1, 11],
  [null, 5, 926472],
] as const) {
  test(`proofOfWork(${last}, ${difficulty}) is the smallest valid proof ${expected}`, () => {
    assert.equal(proofOfWork(last, difficulty), expected);
    assert.ok(isProofOfWorkValid(last, expected, difficulty));
    for (let p = Math.max(0, expected - 50); p < expected; p++)
      assert.ok(!isProofOfWorkValid(last, p, difficulty));
  });
}

test("isProofOfWorkValid writes a null last proof as the text 'null'", () => {
  assert.ok(isProofOfWorkValid(null, 59850, 4));
  assert.ok(!isProofOfWorkValid(0, 59850, 4));
});

test("isProofOfWorkValid throws a RangeError for a difficulty that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, Number.NaN, "3", null]) {
    assert.throws(
      () => isProofOfWorkValid(null, 1, bad as number),
      RangeError,
      `difficulty ${String(bad)}`,
    );
  }
});

test("isProofOfWorkValid refuses negative and non-integer proofs", () => {
  assert.equal(isProofOfWorkValid(null, -59850, 1), false);
  assert.equal(isProofOfWorkValid(null, 1.5, 1), false);
});
