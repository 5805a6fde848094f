import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { originalSearchInput, searchProofRange } from "../../src/core/pow.js";
import { STOP_CHECK_INTERVAL, scanProofs } from "../../src/mining/proof-scanner.js";

describe("scanProofs", () => {
  it("finds what the core's node:crypto loop finds, for any last proof and range", () => {
    const lastProof = fc.oneof(
      fc.constant(null),
      fc.nat(),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    );
    fc.assert(
      fc.property(
        lastProof,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 5000 }),
        fc.integer({ min: 1, max: 3 }),
        (last, start, difficulty) => {
          const { proof, hashes } = scanProofs(
            originalSearchInput(last),
            start,
            start + 2000,
            difficulty,
          );
          const expected = searchProofRange(
            originalSearchInput(last),
            start,
            start + 2000,
            difficulty,
          );
          assert.equal(proof, expected.proof);
          assert.equal(hashes, expected.hashes);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("finds what the core finds for any prefix and suffix, in one SHA-256 block or longer", () => {
    const text = (maxLength: number) => fc.string({ unit: "grapheme", maxLength });
    fc.assert(
      fc.property(
        text(90),
        text(12),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 5000 }),
        fc.integer({ min: 1, max: 2 }),
        (prefix, suffix, start, difficulty) => {
          const input = { prefix, suffix };
          const got = scanProofs(input, start, start + 600, difficulty);
          const want = searchProofRange(input, start, start + 600, difficulty);
          assert.deepEqual({ proof: got.proof, hashes: got.hashes }, want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("hashes the prefix's whole blocks once and the tail per proof: every prefix length, tails of one and two blocks", () => {
    // Prefix lengths 0..200 put the digits at every offset of a 64-byte block,
    // and the tail (rest of the prefix, digits, '}', padding) in one block or two.
    for (let length = 0; length <= 200; length++) {
      const input = { prefix: "p".repeat(length), suffix: "}" };
      for (const start of [0, 999_990, 9_007_199_254_740_000]) {
        // Every valid proof of the range, in order, as the core finds them.
        for (let from = start; from < start + 100; ) {
          const got = scanProofs(input, from, start + 100, 1);
          const want = searchProofRange(input, from, start + 100, 1);
          assert.deepEqual({ proof: got.proof, hashes: got.hashes }, want, `length ${length}`);
          if (got.proof === null) break;
          from = got.proof + 1;
        }
      }
    }
  });

  it("follows the proof across a change in its number of digits, with and without a suffix", () => {
    const inputs = [originalSearchInput(42), { prefix: '{"proof":', suffix: "}" }];
    for (const input of inputs) {
      for (const start of [0, 9, 95, 9990, 999_990, 99_999_999_990]) {
        for (let difficulty = 1; difficulty <= 2; difficulty++) {
          let from = start;
          // Every valid proof of the range, in order, as the core finds them.
          while (from < start + 400) {
            const got = scanProofs(input, from, start + 400, difficulty);
            const want = searchProofRange(input, from, start + 400, difficulty);
            assert.deepEqual({ proof: got.proof, hashes: got.hashes }, want);
            if (got.proof === null) break;
            from = got.proof + 1;
          }
        }
      }
    }
  });

  it("stops at its first check when asked to", () => {
    const result = scanProofs(originalSearchInput(1), 0, 10 * STOP_CHECK_INTERVAL, 30, () => true);
    assert.equal(result.stopped, true);
    assert.equal(result.proof, null);
    assert.ok(result.hashes < STOP_CHECK_INTERVAL);
  });
});
