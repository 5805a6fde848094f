import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { hashBlock, sha256Bytes, sha256Hex } from "../../src/core/hash.js";

/** The canonical encoding as SPEC section 1 defines it: JSON.stringify of the fields in order. */
function reference(b: Block): string {
  return JSON.stringify({
    index: b.index,
    timestamp: b.timestamp,
    data: { id: b.data.id, message: b.data.message },
    previous_hash: b.previous_hash,
    proof: b.proof,
  });
}

const number = fc.oneof(fc.integer(), fc.double(), fc.constant(-0), fc.maxSafeInteger());
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constant("\ud800 lone"),
  fc.constant('"\\\n\u2028'),
);

test("encodeBlock writes exactly what JSON.stringify of the fields gives, for any field values (property)", () => {
  fc.assert(
    fc.property(
      fc.record({
        index: number,
        timestamp: number,
        data: fc.record({ id: text, message: text }),
        previous_hash: fc.option(text, { nil: null }),
        proof: fc.option(number, { nil: null }),
      }),
      (block) => {
        assert.equal(encodeBlock(block as Block), reference(block as Block));
        assert.equal(
          hashBlock(block as Block),
          createHash("sha256")
            .update(reference(block as Block))
            .digest("hex"),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

test("the one-shot SHA-256 helpers give node:crypto's digests", () => {
  for (const input of ["", "abc", "grüße 🎉", "\ud800"]) {
    assert.equal(sha256Hex(input), createHash("sha256").update(input).digest("hex"));
    assert.deepEqual(sha256Bytes(input), createHash("sha256").update(input).digest());
  }
});
