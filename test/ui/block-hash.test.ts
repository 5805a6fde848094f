import assert from "node:assert/strict";
import { createHash, webcrypto } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { blockHash, canonicalEncoding, hashesOf } from "../../src/ui/lib/block-hash.js";
import { sha256Hex } from "../../src/ui/lib/sha256.js";
import type { Block } from "../../src/ui/lib/wire.js";

const GENESIS: Block = {
  index: 0,
  timestamp: 0,
  data: {
    id: "00000000000000000000000000000000",
    message: "This is the workload of the very first Block in this chain!",
  },
  previous_hash: null,
  proof: null,
};
const GENESIS_HASH = "7f9a64a5bd52ca142f713283260c323ec05bcd23a31aa3022de71e95137a9c3e";

test("the canonical encoding has the SPEC's key order and no white space, whatever the input's order", () => {
  const shuffled = {
    proof: 7,
    previous_hash: "ab",
    data: { message: "hi", id: "cd" },
    timestamp: 5,
    index: 1,
  } as Block;
  assert.equal(
    canonicalEncoding(shuffled),
    '{"index":1,"timestamp":5,"data":{"id":"cd","message":"hi"},"previous_hash":"ab","proof":7}',
  );
});

test("keys beyond the SPEC's are left out of the encoding", () => {
  const extra = { ...GENESIS, hash: "x", data: { ...GENESIS.data, extra: 1 } } as unknown as Block;
  assert.equal(canonicalEncoding(extra), canonicalEncoding(GENESIS));
});

test("the genesis block hashes to the SPEC's value with WebCrypto and with the fallback", async () => {
  assert.equal(await blockHash(GENESIS, webcrypto.subtle as never), GENESIS_HASH);
  assert.equal(await blockHash(GENESIS, null), GENESIS_HASH);
});

test("the plain SHA-256 agrees with node:crypto on any input, padding edges and UTF-8 included", () => {
  for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
    assert.equal(
      sha256Hex(bytes),
      createHash("sha256").update(bytes).digest("hex"),
      `size ${size}`,
    );
  }
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => {
      const bytes = new TextEncoder().encode(text);
      assert.equal(sha256Hex(bytes), createHash("sha256").update(bytes).digest("hex"));
    }),
  );
});

test("a run of blocks takes each hash from the successor's link and computes only the last", async () => {
  const b1: Block = {
    index: 1,
    timestamp: 10,
    data: { id: "1".repeat(32), message: "one" },
    previous_hash: GENESIS_HASH,
    proof: 3,
  };
  let computed = 0;
  const counting = {
    digest: async (algorithm: "SHA-256", data: Uint8Array) => {
      computed++;
      return webcrypto.subtle.digest(algorithm, data);
    },
  };
  const hashes = await hashesOf([GENESIS, b1], counting);
  assert.equal(hashes.get(0), GENESIS_HASH);
  assert.equal(hashes.get(1), await blockHash(b1, null));
  assert.equal(computed, 1);
});
