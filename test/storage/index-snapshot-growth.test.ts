import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { ChainStore, hashFilePath, type OpenedChainStore } from "../../src/storage/chain-store.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { nativeFileDigest } from "../../src/storage/file/running-digest.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

/*
 * The index snapshot of a file that grew after it (the node saved more blocks, then was
 * killed before its next clean stop): the part the snapshot covers is checked chunk by chunk,
 * only the records after it are read, and the digest carried on from the snapshot's state must
 * come to the .hash's. A branch rewritten below the snapshot's end is read in full.
 */

const D = 1;
/** The snapshot is checked with the addon's digests only: without it no snapshot is used. */
const skip = nativeFileDigest() === null ? "the addon's SHA-NI digest is not built here" : false;
const CHUNK = 4096;
const BASE = buildChain(150, { difficulty: D, messages: ["hello", "grüße, 世界 🎉"] });
const GROWN = extendChain(BASE, 40, { difficulty: D, messages: ["later"] });
/** Another branch from block 60 on: a save of it rewrites the file below the snapshot's end. */
const OTHER = extendChain(BASE.slice(0, 60), 140, { difficulty: D, messages: ["other branch"] });

async function open(path: string, format: "json" | "binary"): Promise<OpenedChainStore> {
  return ChainStore.open(path, { format, difficulty: D, indexSnapshotMinBytes: 0 });
}

/** Checks that `opened` holds exactly `chain`, and that the .hash is the file's SHA-256. */
async function assertHolds(path: string, opened: OpenedChainStore, chain: readonly Block[]) {
  assert.equal(opened.trusted, true);
  assert.equal(opened.loaded.records.length, chain.length);
  assert.deepEqual(opened.chain, chain);
  for (const i of [0, 1, 59, 60, 149, 150, chain.length - 1].filter((i) => i < chain.length)) {
    const block = chain[i] as Block;
    assert.equal(opened.loaded.records.hashAt(i), hashBlock(block), `hash of block ${i}`);
    assert.equal(opened.loaded.ids.get(block.data.id), i, `id of block ${i}`);
  }
  const digest = createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
  assert.equal((await readFile(hashFilePath(path), "utf8")).trim(), digest);
}

for (const format of ["json", "binary"] as const) {
  test(`${format}: a file that grew after its snapshot starts from it, reading only the records after it; a rewrite below it is read in full`, {
    skip,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChainFile(path, format, BASE);
      // First start: no snapshot; the marks are written. Its "clean stop" keeps the index.
      const first = await open(path, format);
      assert.deepEqual(first.indexSnapshot, {
        used: false,
        why: "the .hash or the marks are missing, or every block is checked",
      });
      assert.equal(await first.store.writeIndexSnapshot(first.loaded.ids.idBytes(), CHUNK), null);
      await first.store.close();

      // Saves after the snapshot, then no clean stop (nothing rewrites the snapshot).
      const second = await open(path, format);
      assert.deepEqual(second.indexSnapshot, { used: true, blocksAfter: 0 });
      await assertHolds(path, second, BASE);
      await second.store.save(GROWN, BASE.length);
      await second.store.close();

      const third = await open(path, format);
      assert.deepEqual(third.indexSnapshot, {
        used: true,
        blocksAfter: GROWN.length - BASE.length,
      });
      await assertHolds(path, third, GROWN);
      // The digest taken on from the snapshot's state goes on with the next save.
      const longer = extendChain(GROWN, 3, { difficulty: D, messages: ["even later"] });
      await third.store.save(longer, GROWN.length);
      await third.store.close();
      const fourth = await open(path, format);
      assert.deepEqual(fourth.indexSnapshot, {
        used: true,
        blocksAfter: longer.length - BASE.length,
      });
      await assertHolds(path, fourth, longer);

      // Another branch from block 60: the chunks past it changed, so the file is read in full.
      await fourth.store.save(OTHER, 60);
      await fourth.store.close();
      const fifth = await open(path, format);
      assert.equal(fifth.indexSnapshot.used, false);
      await assertHolds(path, fifth, OTHER);
      await fifth.store.close();
    });
  });

  test(`${format}: a file that grew after its snapshot but whose .hash does not cover the growth is read in full, and judged as always`, {
    skip,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChainFile(path, format, BASE);
      const first = await open(path, format);
      await first.store.writeIndexSnapshot(first.loaded.ids.idBytes(), CHUNK);
      await first.store.close();
      const hashBefore = await readFile(hashFilePath(path), "utf8");
      const second = await open(path, format);
      await second.store.save(GROWN, BASE.length);
      await second.store.close();
      // A crash between the write of the records and that of the .hash: the .hash is the old one.
      await writeFile(hashFilePath(path), hashBefore);
      const third = await open(path, format);
      assert.equal(third.indexSnapshot.used, false);
      assert.match(
        third.indexSnapshot.used ? "" : third.indexSnapshot.why,
        /changed after the part it covers|does not cover/,
      );
      // The records after the .hash's part are valid: they are kept, with a warning, as before.
      assert.equal(third.loaded.records.length, GROWN.length);
      assert.ok(
        third.warnings.some((w) => /written after the last \.hash update/.test(w)),
        third.warnings.join("\n"),
      );
      await third.store.close();
    });
  });
  test(`${format}: a snapshot written after a start from one takes the chunks below every cut as checked, and hashes the rest again`, {
    skip,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChainFile(path, format, BASE);
      const first = await open(path, format);
      await first.store.writeIndexSnapshot(first.loaded.ids.idBytes(), CHUNK);
      await first.store.close();
      // From the snapshot: more blocks, then another branch from block 60 (a cut inside the
      // part the snapshot covers), then a snapshot again. Its chunk digests past the cut must be
      // those of the new bytes, or the next start would not take it.
      const second = await open(path, format);
      assert.equal(second.indexSnapshot.used, true);
      await second.store.save(GROWN, BASE.length);
      await second.store.save(OTHER, 60);
      const ids = Buffer.concat(OTHER.map((b) => Buffer.from(b.data.id, "hex")));
      assert.equal(await second.store.writeIndexSnapshot(ids, CHUNK), null);
      await second.store.close();
      const third = await open(path, format);
      assert.deepEqual(third.indexSnapshot, { used: true, blocksAfter: 0 });
      await assertHolds(path, third, OTHER);
      // And with appends only since the start: the snapshot's own chunks all stay.
      const longer = extendChain(OTHER, 5, { difficulty: D, messages: ["five more"] });
      await third.store.save(longer, OTHER.length);
      const longerIds = Buffer.concat(longer.map((b) => Buffer.from(b.data.id, "hex")));
      assert.equal(await third.store.writeIndexSnapshot(longerIds, CHUNK), null);
      await third.store.close();
      const fourth = await open(path, format);
      assert.deepEqual(fourth.indexSnapshot, { used: true, blocksAfter: 0 });
      await assertHolds(path, fourth, longer);
      await fourth.store.close();
    });
  });
}
