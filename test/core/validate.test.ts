import assert from "node:assert/strict";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { proofOfWork } from "../../src/core/pow.js";
import { MAX_FUTURE_DRIFT_MS, validateChain } from "../../src/core/validate.js";
import { tinyChain } from "../helpers/tiny-chain.js";

const D = 2;
const NOW = 1_700_000_000_000 + 10 * 1000;
const opts = { difficulty: D, now: NOW };

/** A valid 5-block chain, deep-copied so each test can break it. */
function fresh(): Block[] {
  return structuredClone(BASE);
}
const BASE = tinyChain(5, D);

/** Re-links blocks after `from` so that only the intended rule stays broken. */
function relink(chain: Block[], from: number): void {
  for (let i = from + 1; i < chain.length; i++) {
    const prev = chain[i - 1] as Block;
    const b = chain[i] as Block;
    b.previous_hash = hashBlock(prev);
    b.proof = proofOfWork(prev.proof, D);
  }
}

function expectFailure(chain: unknown[], index: number, pattern: RegExp): void {
  const result = validateChain(chain, opts);
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.index, index);
    assert.match(result.reason, pattern);
  }
}

test("a well-formed chain is valid", () => {
  assert.deepEqual(validateChain(BASE, opts), { ok: true });
});

test("rule 1: block 0 must equal the genesis block field for field", () => {
  const chain = fresh();
  (chain[0] as Block).data.message = "another genesis";
  expectFailure(chain, 0, /genesis/);
  const extra = fresh();
  (extra[0] as unknown as Record<string, unknown>).extra = 1;
  expectFailure(extra, 0, /genesis/);
});

test("an empty chain is invalid", () => {
  expectFailure([], 0, /empty/);
});

test("rule: index must be the predecessor's plus one", () => {
  const chain = fresh();
  (chain[2] as Block).index = 7;
  expectFailure(chain, 2, /index is 7, expected 2/);
});

test("rule: previous_hash must be the predecessor's hash", () => {
  const chain = fresh();
  (chain[3] as Block).previous_hash = "0".repeat(64);
  expectFailure(chain, 3, /previous_hash/);
});

test("rule: the proof must be valid at the node's difficulty", () => {
  const chain = fresh();
  (chain[2] as Block).proof = ((chain[2] as Block).proof as number) + 1;
  relink(chain, 2);
  expectFailure(chain, 2, /proof/);
});

test("rule: a node refuses proofs with fewer trailing zeros than its difficulty", () => {
  const result = validateChain(BASE, { difficulty: 4, now: NOW });
  assert.equal(result.ok, false);
});

test("rule: the timestamp must be later than the predecessor's", () => {
  const chain = fresh();
  (chain[3] as Block).timestamp = (chain[2] as Block).timestamp;
  relink(chain, 3);
  expectFailure(chain, 3, /timestamp is not later/);
});

test("rule: a block more than 2 hours in the future is refused", () => {
  const chain = fresh();
  (chain[4] as Block).timestamp = NOW + MAX_FUTURE_DRIFT_MS + 1;
  expectFailure(chain, 4, /future/);
  (chain[4] as Block).timestamp = NOW + MAX_FUTURE_DRIFT_MS;
  assert.deepEqual(validateChain(chain, opts), { ok: true });
});

test("rule: data must be well-formed", () => {
  const chain = fresh();
  (chain[1] as Block).data.id = "NOT-HEX";
  relink(chain, 1);
  expectFailure(chain, 1, /data.id/);
  const empty = fresh();
  (empty[2] as Block).data.message = "";
  relink(empty, 2);
  expectFailure(empty, 2, /empty/);
});

test("rule: a data id may not appear in an earlier block", () => {
  const chain = fresh();
  (chain[3] as Block).data.id = (chain[1] as Block).data.id;
  relink(chain, 3);
  expectFailure(chain, 3, /already appears/);
  const genesisId = fresh();
  (genesisId[1] as Block).data.id = "0".repeat(32);
  relink(genesisId, 1);
  expectFailure(genesisId, 1, /already appears/);
});

test("rule: every field has its type", () => {
  const cases: [string, unknown][] = [
    ["index", "1"],
    ["timestamp", 1.5],
    ["proof", -1],
    ["proof", null],
    ["previous_hash", null],
  ];
  for (const [field, value] of cases) {
    const chain = fresh();
    (chain[1] as unknown as Record<string, unknown>)[field] = value;
    const result = validateChain(chain, opts);
    assert.equal(result.ok, false, `${field} = ${String(value)}`);
    if (!result.ok) assert.equal(result.index, 1);
  }
});

test("rule: a block has no other fields", () => {
  const chain = fresh();
  (chain[2] as unknown as Record<string, unknown>).hash = "x";
  expectFailure(chain, 2, /unknown field/);
  const data = fresh();
  ((data[2] as Block).data as unknown as Record<string, unknown>).extra = 1;
  expectFailure(data, 2, /exactly the fields/);
});

test("validation throws a RangeError for a bad difficulty", () => {
  assert.throws(() => validateChain(BASE, { difficulty: 0 }), RangeError);
});
