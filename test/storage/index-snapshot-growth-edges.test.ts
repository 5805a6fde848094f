import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFile, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { ChainLoadError, ChainStore, hashFilePath } from "../../src/storage/chain-store.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { nativeFileDigest } from "../../src/storage/file/running-digest.js";
import { indexSnapshotPath } from "../../src/storage/index/index-snapshot.js";
import { OffsetList } from "../../src/storage/index/offset-list.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

/*
 * Edges of a start from the snapshot of a file that grew since
 * (indexFromSnapshot, indexChainFileAfter): a torn record after the grown
 * records, a data id in the grown part that an earlier block holds (refused
 * as a read of the whole file refuses it), and the offsets of a continued
 * index past multiples of 4 GiB (OffsetList.commitWritten on a list that
 * already has wraps).
 */

const D = 1;
const skip = nativeFileDigest() === null ? "the addon's SHA-NI digest is not built here" : false;
const CHUNK = 4096;
const BASE = buildChain(60, { difficulty: D });
const GROWN = extendChain(BASE, 20, { difficulty: D, messages: ["later"] });

const open = (path: string, format: "json" | "binary") =>
  ChainStore.open(path, { format, difficulty: D, indexSnapshotMinBytes: 0 });

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** BASE's file with its snapshot, then `chain` saved after it and no clean stop. */
async function grownAfterSnapshot(path: string, format: "json" | "binary", chain: Block[]) {
  await writeChainFile(path, format, BASE);
  const first = await open(path, format);
  assert.equal(await first.store.writeIndexSnapshot(first.loaded.ids.idBytes(), CHUNK), null);
  await first.store.close();
  const second = await open(path, format);
  assert.deepEqual(second.indexSnapshot, { used: true, blocksAfter: 0 });
  await second.store.save(chain, BASE.length);
  await second.store.close();
}

for (const format of ["json", "binary"] as const) {
  test(`${format}: a torn record after the records a file grew by since its snapshot is cut off; the start keeps every whole block and its .hash the file's`, {
    skip,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await grownAfterSnapshot(path, format, GROWN);
      const next = extendChain(GROWN, 1, { difficulty: D, messages: ["torn"] });
      const record = codecFor(format).encodeRecord(next[next.length - 1] as Block);
      // A crash in the middle of the next append: half a record, the .hash still GROWN's.
      await appendFile(path, record.subarray(0, Math.floor(record.length / 2)));
      const third = await open(path, format);
      assert.equal(third.indexSnapshot.used, false);
      assert.deepEqual(third.chain, GROWN);
      assert.ok(
        third.warnings.some((w) => /cut off a torn last record/.test(w)),
        third.warnings.join("\n"),
      );
      assert.equal(
        (await readFile(hashFilePath(path), "utf8")).trim(),
        sha256(await readFile(path)),
      );
      await third.store.close();
      const fourth = await open(path, format);
      assert.equal(fourth.trusted, true);
      assert.deepEqual(fourth.chain, GROWN);
      await fourth.store.close();
    });
  });

  test(`${format}: a file that grew twice after its snapshot, its .hash covering only the first growth (a crash before the second .hash), keeps every valid block and is trusted at the next start`, {
    skip,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await grownAfterSnapshot(path, format, GROWN);
      const hashAfterFirst = await readFile(hashFilePath(path), "utf8");
      const longer = extendChain(GROWN, 15, { difficulty: D, messages: ["second growth"] });
      const second = await open(path, format);
      assert.deepEqual(second.indexSnapshot, {
        used: true,
        blocksAfter: GROWN.length - BASE.length,
      });
      await second.store.save(longer, GROWN.length);
      await second.store.close();
      await writeFile(hashFilePath(path), hashAfterFirst);
      const third = await open(path, format);
      assert.equal(third.indexSnapshot.used, false);
      assert.deepEqual(third.chain, longer);
      assert.ok(
        third.warnings.some((w) =>
          /15 block\(s\) after block 79 were written after the last \.hash update/.test(w),
        ),
        third.warnings.join("\n"),
      );
      assert.equal(
        (await readFile(hashFilePath(path), "utf8")).trim(),
        sha256(await readFile(path)),
      );
      await third.store.close();
      const fourth = await open(path, format);
      assert.equal(fourth.trusted, true);
      assert.deepEqual(fourth.chain, longer);
      await fourth.store.close();
    });
  });

  test(`${format}: a data id in the records a file grew by that an earlier block holds is refused from the snapshot as from the whole file`, {
    skip,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      // The repeated id (block 5's) far enough from the end that only the id table sees it.
      const one = extendChain(BASE, 1, { difficulty: D, messages: ["dup"] });
      const last = one[one.length - 1] as Block;
      const repeated = { ...last, data: { ...last.data, id: (BASE[5] as Block).data.id } };
      const chain = extendChain([...BASE, repeated], 130, { difficulty: D, messages: ["after"] });
      await grownAfterSnapshot(path, format, chain);
      const refusal = async () => {
        const err = await open(path, format).then(
          async (opened) => {
            await opened.store.close();
            return null;
          },
          (e: unknown) => e,
        );
        assert.ok(err instanceof ChainLoadError, `refused: ${err}`);
        return { code: err.code, message: err.message };
      };
      const fromSnapshot = await refusal();
      assert.equal(fromSnapshot.code, "INVALID_CHAIN");
      assert.match(fromSnapshot.message, /already appears in an earlier block/);
      await rm(indexSnapshotPath(path));
      assert.deepEqual(await refusal(), fromSnapshot);
    });
  });
}

test("OffsetList: a list taken from its parts (a snapshot's) and continued chunk by chunk by commitWritten gives every offset past multiples of 2^32 (property)", () => {
  const W = 2 ** 32;
  fc.assert(
    fc.property(
      // Gaps between records: mostly small, some of up to 3 GiB (offsets cross several 2^32).
      fc.array(
        fc.oneof(fc.integer({ min: 24, max: 5000 }), fc.integer({ min: 1, max: 3 * 2 ** 30 })),
        { minLength: 2, maxLength: 60 },
      ),
      fc.nat(),
      fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }),
      (gaps, splitSeed, chunkSizes) => {
        const offsets: number[] = [];
        let at = 17;
        for (const gap of gaps) {
          offsets.push(at);
          at += gap;
        }
        const end = at;
        const split = 1 + (splitSeed % offsets.length);
        // The snapshot's part: written, then read back from its parts.
        const { low, wraps } = OffsetList.of(offsets.slice(0, split)).parts();
        const list = OffsetList.fromParts(low.slice(), wraps);
        // The rest in chunks of whole records, each spanning less than 4 GiB, as the addon writes them.
        let i = split;
        for (let turn = 0; i < offsets.length; turn++) {
          let count = chunkSizes[turn % chunkSizes.length] as number;
          const base = offsets[i] as number;
          while (count > 1 && ((offsets[i + count] ?? end) as number) - base >= W) count--;
          count = Math.min(count, offsets.length - i);
          const chunkEnd = (offsets[i + count] ?? end) as number;
          if (chunkEnd - base > W) return; // One record past 4 GiB: no chain holds one.
          const room = list.reserve(count);
          for (let k = 0; k < count; k++) {
            room.low[room.at + k] = (offsets[i + k] as number) % W;
          }
          list.commitWritten(count, base, chunkEnd);
          i += count;
        }
        assert.equal(list.length, offsets.length);
        for (const [k, offset] of offsets.entries())
          assert.equal(list.at(k), offset, `offset ${k}`);
      },
    ),
    { numRuns: 500 },
  );
});
