import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { ChainStore } from "../../src/storage/chain-store.js";
import { DigestCheckpoints } from "../../src/storage/file/digest-checkpoints.js";
import { hashFilePath } from "../../src/storage/file/hash-file.js";
import { nativeFileDigest, newDigest } from "../../src/storage/file/running-digest.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const native = nativeFileDigest();
const skip = native === null ? "the addon's SHA-NI digest is not built here" : false;

test("checkpoints: from the latest state at or below a cut, the digest of any prefix is the SHA-256 of those bytes", {
  skip,
}, () => {
  fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 20_000 }),
      fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 64, max: 4096 }),
      fc.nat(),
      async (bytes, pieces, every, cutSeed) => {
        const checkpoints = new DigestCheckpoints(every);
        const digest = newDigest();
        // The bytes fed in pieces of any sizes, as saves do.
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const take = Math.min(pieces[i % pieces.length] as number, bytes.length - at);
          await checkpoints.extend(digest, at, bytes.subarray(at, at + take));
          at += take;
        }
        assert.equal(digest.hex(), sha256(bytes));
        const cut = cutSeed % (bytes.length + 1);
        const known = checkpoints.cutAt(cut);
        const expected = Math.floor(cut / every) * every;
        if (expected === 0) {
          assert.equal(known, null);
          return;
        }
        assert.ok(known, `a state at ${expected}`);
        assert.equal(known.position, expected);
        assert.equal(known.digest.hex(), sha256(bytes.subarray(0, expected)));
        // States past the cut are gone; those below stay.
        assert.ok(checkpoints.entries().every(([offset]) => offset <= cut));
      },
    ),
    { numRuns: 60 },
  );
});

/** The blocks a branch from block `from` of `chain` brings, `length` blocks in all. */
function branch(chain: readonly Block[], from: number, length: number, tag: string): Block[] {
  return extendChain(chain.slice(0, from), length - from, { difficulty: 1, messages: [tag] });
}

for (const format of ["json", "binary"] as const) {
  test(`${format}: saves and reorgs at any depth keep the .hash the SHA-256 of the file, rehashing from the checkpoints, across a snapshot and a restart`, {
    skip,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            back: fc.integer({ min: 0, max: 80 }),
            grow: fc.integer({ min: 1, max: 40 }),
          }),
          { minLength: 2, maxLength: 6 },
        ),
        fc.integer({ min: 512, max: 4096 }),
        async (steps, every) => {
          await withTempDir(async (dir) => {
            const path = join(dir, "chain.dat");
            const options = {
              format,
              difficulty: 1,
              digestCheckpointBytes: every,
              indexSnapshotMinBytes: 0,
            } as const;
            let opened = await ChainStore.open(path, options);
            let chain: Block[] = buildChain(60, { difficulty: 1 });
            await opened.store.save(chain, 1);
            const hashOf = async () => (await readFile(hashFilePath(path), "utf8")).trim();
            for (const [n, { back, grow }] of steps.entries()) {
              // A reorg `back` blocks deep (never below block 1), then a longer branch.
              const from = Math.max(1, chain.length - back);
              chain = branch(chain, from, chain.length + grow, `step ${n}`);
              await opened.store.save(chain, from);
              assert.equal(await hashOf(), sha256(await readFile(path)), `after step ${n}`);
              if (n === 0) {
                // A clean stop keeps the index and the checkpoints; the next start takes both.
                const ids = Buffer.concat(chain.map((b) => Buffer.from(b.data.id, "hex")));
                assert.equal(await opened.store.writeIndexSnapshot(ids, 4096), null);
                await opened.store.close();
                opened = await ChainStore.open(path, options);
                assert.equal(opened.indexSnapshot.used, true);
              }
            }
            await opened.store.close();
            const again = await ChainStore.open(path, options);
            assert.equal(again.trusted, true);
            assert.deepEqual(again.chain, chain);
            await again.store.close();
          });
        },
      ),
      { numRuns: 8 },
    );
  });
}
