import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import {
  checkOriginalChain,
  type OriginalBlock,
  originalBlockHash,
  originalProofZeros,
} from "../../src/core/original-chain.js";
import { readOriginalChainFile } from "../../src/storage/original/original-chain-file.js";
import { buildOriginalChain, ORIGINAL_JSON, ORIGINAL_PICKLE } from "../helpers/original-chain.js";

test("the original's proof rule writes the genesis proof as Python's None", async () => {
  const fixture = JSON.parse(await readFile(ORIGINAL_JSON, "utf8")) as { _proof: number }[];
  const proof = fixture[1]?._proof as number;
  assert.equal(proof, 3969);
  assert.ok(originalProofZeros(null, proof) >= 3, "None3969 ends in three zeros");
  const withNull = createHash("sha256").update(`null${proof}`).digest("hex");
  assert.notEqual(withNull.slice(-3), "000", "null3969 would not be valid: the prefix is None");
});

test("the original's block hash links every block of both fixtures", async () => {
  for (const path of [ORIGINAL_JSON, ORIGINAL_PICKLE]) {
    const { blocks } = await readOriginalChainFile(path);
    for (let i = 1; i < blocks.length; i++) {
      assert.equal(
        (blocks[i] as OriginalBlock).previousHash,
        originalBlockHash(blocks[i - 1] as OriginalBlock),
        `${path}: block ${i}`,
      );
    }
  }
});

test("both fixtures pass the original's rules, mined at difficulty 3", async () => {
  for (const path of [ORIGINAL_JSON, ORIGINAL_PICKLE]) {
    const { blocks } = await readOriginalChainFile(path);
    assert.deepEqual(checkOriginalChain(blocks), { ok: true, difficulty: 3 }, path);
  }
});

test("an original chain whose message was changed fails at the next block's previous hash", () => {
  const chain = buildOriginalChain(["a", "b", "c"], { difficulty: 2 });
  (chain[2] as OriginalBlock).data.message = "B";
  assert.deepEqual(checkOriginalChain(chain), {
    ok: false,
    index: 3,
    reason: "previous hash is not the original's hash of the preceding block",
  });
});

test("an original chain with a proof that is no proof of work fails at that block", () => {
  const chain = buildOriginalChain(["a", "b"], { difficulty: 2 });
  let bad = 0;
  while (originalProofZeros((chain[1] as OriginalBlock).proof, bad) > 0) bad++;
  (chain[2] as OriginalBlock).proof = bad;
  const result = checkOriginalChain(chain);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.index, 2);
  assert.match(!result.ok ? result.reason : "", /is not a valid proof of work/);
});

test("an original chain whose first block is not a genesis block fails at block 0", () => {
  const chain = buildOriginalChain(["a"], { difficulty: 1 });
  (chain[0] as OriginalBlock).proof = 7;
  const result = checkOriginalChain(chain);
  assert.equal(!result.ok && result.index, 0);
});

test("an original chain with a repeated message id fails at the repeat", () => {
  const chain = buildOriginalChain(["a", "b"], { difficulty: 1 });
  (chain[2] as OriginalBlock).data.id = (chain[1] as OriginalBlock).data.id;
  // Re-link nothing: the id check must name block 2 even though its own hash changed.
  const result = checkOriginalChain(chain);
  assert.equal(!result.ok && result.index, 2);
  assert.match(!result.ok ? result.reason : "", /already appears/);
});
