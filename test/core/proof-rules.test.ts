import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { hashBlock } from "../../src/core/hash.js";
import { ORIGINAL_PROOF_RULE } from "../../src/core/pow.js";
import {
  CONTENT_PROOF_RULE,
  contentSearchInput,
  otherRulesValidating,
  proofRuleNamed,
} from "../../src/core/proof-rules.js";
import { validateChain } from "../../src/core/validate.js";
import { buildChain } from "../helpers/chain-factory.js";

const D = 2;
const NOW = 1_700_000_000_000 + 60_000;
const original = { difficulty: D, now: NOW, rule: ORIGINAL_PROOF_RULE };
const content = { difficulty: D, now: NOW, rule: CONTENT_PROOF_RULE };

/** Changes block `at`'s message and re-links every later block (previous_hash), keeping all proofs. */
function tamperAndRelink(chain: Block[], at: number): Block[] {
  const copy = structuredClone(chain);
  (copy[at] as Block).data.message = "a message nobody wrote";
  for (let i = at + 1; i < copy.length; i++) {
    (copy[i] as Block).previous_hash = hashBlock(copy[i - 1] as Block);
  }
  return copy;
}

test("the content rule's search input is the canonical encoding cut at the proof", () => {
  const [, block] = buildChain(2, { difficulty: D, rule: "content" }) as [Block, Block];
  const { proof: _proof, ...unproven } = block;
  const input = contentSearchInput(unproven);
  assert.ok(input.prefix.endsWith('"proof":'));
  assert.equal(input.suffix, "}");
  for (const nonce of [0, 7, 1234567, Number.MAX_SAFE_INTEGER]) {
    assert.equal(`${input.prefix}${nonce}${input.suffix}`, encodeBlock({ ...block, proof: nonce }));
  }
});

test("under the content rule a block is valid when its own hash meets the difficulty", () => {
  const chain = buildChain(6, { difficulty: D, rule: "content" });
  assert.deepEqual(validateChain(chain, content), { ok: true });
  for (const block of chain.slice(1)) assert.ok(hashBlock(block).endsWith("0".repeat(D)));
  const block = chain[3] as Block;
  const parent = chain[2] as Block;
  assert.equal(CONTENT_PROOF_RULE.isValid(block, parent, D), true);
  // Any other field changed: the same nonce no longer makes the hash.
  const moved = { ...block, timestamp: block.timestamp + 1 };
  const hashMeets = createHash("sha256").update(encodeBlock(moved)).digest("hex").endsWith("00");
  assert.equal(CONTENT_PROOF_RULE.isValid(moved, parent, D), hashMeets);
  for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, null]) {
    assert.equal(CONTENT_PROOF_RULE.isValid({ ...block, proof: bad }, parent, D), false);
  }
});

test("a message changed and re-linked: its proofs pass the original rule, the content rule refuses it", () => {
  const forged = tamperAndRelink(buildChain(6, { difficulty: D }), 2);
  // The original's weakness: its proofs depend on the previous proof only, so they all still pass.
  assert.deepEqual(validateChain(forged, original), { ok: true });
  for (let i = 1; i < forged.length; i++) {
    assert.equal(ORIGINAL_PROOF_RULE.isValid(forged[i] as Block, forged[i - 1] as Block, D), true);
  }
  // Under the content rule the same chain is refused, at a block whose hash misses the difficulty.
  const refused = validateChain(forged, content);
  assert.equal(refused.ok, false);
  if (!refused.ok) assert.match(refused.reason, /not a valid proof of work at difficulty 2/);

  // A content-rule chain forged the same way is refused from the changed block on.
  const forgedContent = tamperAndRelink(buildChain(6, { difficulty: D, rule: "content" }), 2);
  const result = validateChain(forgedContent, content);
  assert.equal(result.ok, false);
  if (!result.ok) {
    // Block 2 itself, unless its new hash meets the difficulty by a 1-in-16^D chance.
    assert.ok(result.index >= 2, `fails at block ${result.index}`);
    assert.match(result.reason, /not a valid proof of work/);
  }
});

test("a chain of one rule is invalid under the other, and the other rule is named", () => {
  const originalChain = buildChain(5, { difficulty: 3 });
  const contentChain = buildChain(5, { difficulty: 3, rule: "content" });
  const opts = { difficulty: 3, now: NOW };
  assert.equal(validateChain(originalChain, { ...opts, rule: CONTENT_PROOF_RULE }).ok, false);
  assert.equal(validateChain(contentChain, { ...opts, rule: ORIGINAL_PROOF_RULE }).ok, false);
  assert.deepEqual(otherRulesValidating(originalChain, CONTENT_PROOF_RULE, opts), ["original"]);
  assert.deepEqual(otherRulesValidating(contentChain, ORIGINAL_PROOF_RULE, opts), ["content"]);
  const broken = structuredClone(contentChain);
  (broken[2] as Block).index = 9;
  assert.deepEqual(otherRulesValidating(broken, ORIGINAL_PROOF_RULE, opts), []);
});

test("rules by name: original and content, anything else a RangeError", () => {
  assert.equal(proofRuleNamed("original"), ORIGINAL_PROOF_RULE);
  assert.equal(proofRuleNamed("content"), CONTENT_PROOF_RULE);
  assert.equal(CONTENT_PROOF_RULE.smallestProof, false);
  assert.throws(() => proofRuleNamed("bitcoin"), RangeError);
});
