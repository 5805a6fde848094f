import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { ChainState } from "../../src/chain/chain-state.js";
import { saveChain } from "../../src/chain/save-chain.js";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { ChainStore, hashFilePath } from "../../src/storage/chain-store.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { MARK_BYTES } from "../../src/storage/file/block-marks.js";
import { indexChainFile } from "../../src/storage/index/file-index.js";
import { nativeChainIndex } from "../../src/storage/index/native-chain-index.js";
import { OffsetList } from "../../src/storage/index/offset-list.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

const FORMATS = ["json", "binary"] as const;
const CHAIN = buildChain(300, {
  difficulty: 1,
  messages: ["hello", "grüße, 世界 🎉", "x".repeat(900)],
});
const NATIVE = nativeChainIndex();

async function writeChain(path: string, format: "json" | "binary", chain: readonly Block[]) {
  const codec = codecFor(format);
  const bytes = Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
  await writeFile(path, bytes);
  const digest = createHash("sha256").update(bytes).digest("hex");
  await writeFile(hashFilePath(path), digest);
  return { bytes, digest };
}

for (const format of FORMATS) {
  for (const native of [NATIVE, null]) {
    const engine = native ? "native" : "TypeScript";
    test(`${format}, ${engine}: a file indexed in chunks far smaller than it gives every record's start, id and mark, and its digest`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, "chain");
        const { bytes, digest } = await writeChain(path, format, CHAIN);
        const codec = codecFor(format);
        // Chunks of 1 KiB: most hold a few records; some records (900-byte messages) fill one alone.
        for (const chunk of [1024, 4096, 1 << 20]) {
          const indexed = await indexChainFile(path, codec, native, true, chunk);
          assert.ok(indexed, `chunk ${chunk}: indexed`);
          const { index } = indexed;
          assert.equal(indexed.digest.hex(), digest);
          assert.equal(index.count, CHAIN.length);
          assert.equal(index.size, bytes.length);
          let at = codec.header.length;
          for (const [i, block] of CHAIN.entries()) {
            assert.equal(index.starts.at(i), at, `chunk ${chunk}: start of record ${i}`);
            at += codec.encodeRecord(block).length;
            if (i > 0) assert.equal(index.ids.toString("hex", i * 16, (i + 1) * 16), block.data.id);
            if (i < CHAIN.length - 1 && !index.unmarked.includes(i)) {
              const mark = (index.marks as Buffer).toString(
                "hex",
                i * MARK_BYTES,
                (i + 1) * MARK_BYTES,
              );
              assert.equal(mark, hashBlock(block).slice(0, MARK_BYTES * 2), `mark of block ${i}`);
            }
          }
        }
      });
    });

    test(`${format}, ${engine}: a torn last record or damage gives no index (the full check judges the file)`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, "chain");
        const { bytes } = await writeChain(path, format, CHAIN);
        await appendFile(path, bytes.subarray(bytes.length - 30, bytes.length - 5));
        assert.equal(await indexChainFile(path, codecFor(format), native, false, 2048), null);
      });
    });
  }

  test(`${format}: saved blocks are read from the file; a save moves the unsaved ones there, a reorg below the saved part works`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain");
      await writeChain(path, format, CHAIN.slice(0, 200));
      const opened = await ChainStore.open(path, { format, difficulty: 1 });
      try {
        assert.equal(opened.trusted, true);
        const chain = new ChainState(opened.loaded, { difficulty: 1 });
        const records = opened.loaded.records;
        assert.equal(records.savedLength, 200);
        // 100 more blocks in memory until the save.
        assert.equal(chain.offer(CHAIN.slice(200), null, Date.now()).status, "accepted");
        assert.equal(records.savedLength, 200);
        assert.equal(chain.length, 300);
        await saveChain(chain, opened.store);
        assert.equal(records.savedLength, 300, "the saved blocks left memory");
        for (const [i, block] of CHAIN.entries()) {
          assert.deepEqual(chain.blockAt(i), block);
          assert.equal(chain.hashAt(i), hashBlock(block), `hash of block ${i}`);
        }
        // A better branch from block 150 on: the saved part shrinks to the fork, the file follows at the save.
        const fork = extendChain(CHAIN.slice(0, 151), 169, { difficulty: 1, messages: ["other"] });
        assert.equal(chain.offer(fork.slice(151), null, Date.now()).status, "accepted");
        assert.equal(records.savedLength, 151);
        assert.equal(chain.hashAt(150), hashBlock(CHAIN[150] as Block));
        assert.equal(chain.tipHash, hashBlock(fork[319] as Block));
        await saveChain(chain, opened.store);
        assert.equal(records.savedLength, 320);
        for (const [i, block] of fork.entries()) {
          assert.equal(chain.hashAt(i), hashBlock(block), `hash of block ${i} after the reorg`);
        }
        const page = chain.recordsIn(100, 1000, 1 << 30, format);
        const codec = codecFor(format);
        assert.deepEqual(
          page,
          Buffer.concat(fork.slice(100).map((b) => codec.encodeRecord(b))),
          "a page spans the file's records",
        );
      } finally {
        await opened.store.close();
      }
      const again = await ChainStore.open(path, { format, difficulty: 1 });
      await again.store.close();
      assert.equal(again.trusted, true);
      assert.equal(again.loaded.records.length, 320);
    });
  });
}

for (const format of FORMATS) {
  test(`${format}: two saves queued with a reorg between them: no block the reorg replaced is read from the file as the first save left it`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain");
      await writeChain(path, format, CHAIN.slice(0, 200));
      const opened = await ChainStore.open(path, { format, difficulty: 1 });
      try {
        const chain = new ChainState(opened.loaded, { difficulty: 1 });
        const records = opened.loaded.records;
        assert.equal(chain.offer(CHAIN.slice(200), null, Date.now()).status, "accepted");
        const first = saveChain(chain, opened.store);
        // While the first save writes blocks 200..299, a better branch replaces them from 151.
        const fork = extendChain(CHAIN.slice(0, 151), 169, { difficulty: 1, messages: ["fork"] });
        assert.equal(chain.offer(fork.slice(151), null, Date.now()).status, "accepted");
        const second = saveChain(chain, opened.store);
        await first;
        assert.ok(records.savedLength <= 151, `saved part ${records.savedLength}`);
        for (const [i, block] of fork.entries()) assert.deepEqual(chain.blockAt(i), block);
        await second;
        assert.equal(records.savedLength, fork.length);
        for (const [i, block] of fork.entries()) {
          assert.deepEqual(chain.blockAt(i), block, `block ${i}`);
          assert.equal(chain.hashAt(i), hashBlock(block), `hash of block ${i}`);
        }
      } finally {
        await opened.store.close();
      }
      const again = await ChainStore.open(path, { format, difficulty: 1 });
      await again.store.close();
      assert.equal(again.trusted, true);
      assert.equal(again.loaded.records.length, 320);
    });
  });
}

for (const format of FORMATS) {
  test(`${format}: a branch appended as records (a sync) after a cut below the saved part is read as the branch, not as the blocks it replaced`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain");
      await writeChain(path, format, CHAIN.slice(0, 200));
      const opened = await ChainStore.open(path, { format, difficulty: 1 });
      try {
        const records = opened.loaded.records;
        const codec = codecFor(format);
        // Every block read once: the last few are kept decoded, as a node's reads leave them.
        for (let i = 0; i < 200; i++) records.blockAt(i);
        records.truncate(151);
        const fork = extendChain(CHAIN.slice(0, 151), 60, { difficulty: 1, messages: ["synced"] });
        const added = fork.slice(151).map((b) => codec.encodeRecord(b));
        const starts: number[] = [];
        let at = 0;
        for (const record of added) {
          starts.push(at);
          at += record.length;
        }
        const hashes = Buffer.concat(fork.slice(151).map((b) => Buffer.from(hashBlock(b), "hex")));
        records.appendRun(Buffer.concat(added), starts, hashes);
        assert.equal(records.length, fork.length);
        for (const [i, block] of fork.entries()) {
          assert.deepEqual(records.blockAt(i), block, `block ${i}`);
          assert.equal(records.hashAt(i), hashBlock(block), `hash of block ${i}`);
        }
      } finally {
        await opened.store.close();
      }
    });
  });
}

test("OffsetList: offsets past 4 GiB (and past 8) stay exact at 4 bytes each, through truncation and copies", () => {
  const GiB = 2 ** 30;
  const offsets = [0, 100, 4 * GiB - 1, 4 * GiB, 4 * GiB + 5, 9 * GiB, 9 * GiB + 1, 13 * GiB];
  const list = new OffsetList();
  list.push(offsets[0] as number);
  list.pushShifted(
    offsets.slice(1, 5).map((o) => o - 7),
    4,
    7,
  );
  for (const offset of offsets.slice(5)) list.push(offset);
  assert.deepEqual(
    offsets.map((_, i) => list.at(i)),
    offsets,
  );
  assert.equal(list.at(offsets.length), undefined);
  const copy = list.copy();
  list.truncate(4);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => list.at(i)),
    [...offsets.slice(0, 4), undefined],
  );
  list.push(5 * GiB);
  assert.equal(list.at(4), 5 * GiB);
  assert.deepEqual(
    offsets.map((_, i) => copy.at(i)),
    offsets,
  );
  assert.throws(() => list.push(GiB), RangeError);
});

test("OffsetList: offsets written in place chunk by chunk (the addon's way) keep where they pass 4 GiB, a chunk crossing it or starting past it", () => {
  const GiB = 2 ** 30;
  // Chunks as [base, end) of the file with the offsets of their records.
  const chunks = [
    { base: 0, end: 4 * GiB - 300, offsets: [0, 100, 4 * GiB - 400] },
    { base: 4 * GiB - 300, end: 4 * GiB + 900, offsets: [4 * GiB - 300, 4 * GiB - 1, 4 * GiB + 5] },
    { base: 9 * GiB, end: 9 * GiB + 50, offsets: [9 * GiB, 9 * GiB + 10] },
  ];
  const list = new OffsetList();
  for (const { base, end, offsets } of chunks) {
    const { low, at } = list.reserve(offsets.length);
    offsets.forEach((offset, i) => {
      low[at + i] = offset % 2 ** 32;
    });
    list.commitWritten(offsets.length, base, end);
  }
  const all = chunks.flatMap((chunk) => chunk.offsets);
  assert.deepEqual(
    all.map((_, i) => list.at(i)),
    all,
  );
  const plain = new OffsetList(all);
  assert.deepEqual(
    all.map((_, i) => plain.at(i)),
    all.map((_, i) => list.at(i)),
  );
});
