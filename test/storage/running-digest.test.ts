import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import {
  digestOf,
  nativeFileDigest,
  newDigest,
  queueDigest,
} from "../../src/storage/file/running-digest.js";

/*
 * The running SHA-256 of a chain file: the addon's (native/file-digest.c,
 * in the thread pool or not) and node:crypto's give the same digests however
 * the bytes are cut.
 */

const NATIVE = nativeFileDigest("1");
const ENGINES = [
  ["node:crypto", null],
  ["native", NATIVE],
] as const;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

for (const [name, native] of ENGINES) {
  const skip =
    name === "native" && native === null ? "the addon (with SHA extensions) is not here" : false;

  test(`${name}: a running digest is the SHA-256 of every byte so far, however they are cut (property)`, {
    skip,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }),
        async (first, more) => {
          const digest = await digestOf(Buffer.from(first), native);
          let all = Buffer.from(first);
          assert.equal(digest.hex(), sha256(all));
          for (const piece of more) {
            digest.update(piece);
            all = Buffer.concat([all, piece]);
            // hex() leaves the digest going: asked twice, it answers the same.
            assert.equal(digest.hex(), sha256(all));
            assert.equal(digest.hex(), sha256(all));
          }
        },
      ),
    );
  });

  test(`${name}: 64 MiB at once, off the thread where native, then extended`, {
    skip,
  }, async () => {
    const bytes = Buffer.alloc(64 * 1024 * 1024 + 77, 0x5a);
    const digest = await digestOf(bytes, native);
    assert.equal(digest.hex(), sha256(bytes));
    digest.update(Buffer.from("tail"));
    assert.equal(digest.hex(), sha256(Buffer.concat([bytes, Buffer.from("tail")])));
    assert.equal(newDigest(native).hex(), sha256(Buffer.alloc(0)));
  });
}

for (const [name, native] of ENGINES) {
  test(`${name}: updates queued at once (queueDigest) hash the pieces in the order queued, whether all are awaited together or each one only before the one after next is queued (property)`, {
    skip:
      name === "native" && native === null ? "the addon (with SHA extensions) is not here" : false,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 12 }),
        async (pieces) => {
          const all = sha256(Buffer.concat(pieces));
          const together = newDigest(native);
          await Promise.all(pieces.map((piece) => queueDigest(together, piece)));
          assert.equal(together.hex(), all);
          // As the trusted start does: the update of chunk k queued before chunk k - 1's is done.
          const paced = newDigest(native);
          let before: Promise<void> = Promise.resolve();
          let last: Promise<void> = Promise.resolve();
          for (const piece of pieces) {
            last = queueDigest(paced, piece);
            await before;
            before = last;
          }
          await last;
          assert.equal(paced.hex(), all);
          // The state goes on as any running digest once the queued updates are done.
          paced.update(Buffer.from("more"));
          assert.equal(paced.hex(), sha256(Buffer.concat([...pieces, Buffer.from("more")])));
        },
      ),
      { numRuns: 200 },
    );
  });
}
