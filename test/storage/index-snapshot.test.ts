import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, constants, openSync } from "node:fs";
import { cp, mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import {
  ChainLoadError,
  ChainStore,
  type ChainStoreOptions,
  hashFilePath,
  type OpenedChainStore,
} from "../../src/storage/chain-store.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { digestFileRanges, nativeFileDigest } from "../../src/storage/file/running-digest.js";
import { indexSnapshotPath, readIndexSnapshot } from "../../src/storage/index/index-snapshot.js";
import { OffsetList } from "../../src/storage/index/offset-list.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

/*
 * The index a clean stop keeps beside the chain file (`<chain>.index`,
 * index-snapshot.ts): a start that uses it loads exactly the chain a start
 * without it loads, never takes a changed chain file for the saved one, and
 * falls back to indexing the file whenever the snapshot is stale or damaged.
 * Small chunks (4 KiB) make a chain of a few hundred blocks span many.
 */

const D = 1;
const FORMATS = ["json", "binary"] as const;
type Format = (typeof FORMATS)[number];
const CHUNK = 4096;
const FIRST = 300;
const LENGTH = 400;
const CHAIN = buildChain(LENGTH, {
  difficulty: D,
  messages: ["message one", "grüße, 世界 🎉", "a longer message ".repeat(6), "x"],
});
const NATIVE = nativeFileDigest();
const SKIP = NATIVE === null ? "the addon (with SHA extensions) is not here" : false;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function options(format: Format, more: Partial<ChainStoreOptions> = {}): ChainStoreOptions {
  return { format, difficulty: D, indexSnapshotMinBytes: 0, ...more };
}

/** The data ids of `chain`, 16 raw bytes each, as the node hands them to writeIndexSnapshot. */
function idsOf(chain: readonly Block[]): Buffer {
  return Buffer.concat(chain.map((b) => Buffer.from(b.data.id, "hex")));
}

/** Where each block's record starts in a file of `chain`, and the file's size. */
function recordStarts(format: Format, chain: readonly Block[]): { starts: number[]; size: number } {
  const codec = codecFor(format);
  const starts: number[] = [];
  let at = codec.header.length;
  for (const block of chain) {
    starts.push(at);
    at += codec.encodeRecord(block).length;
  }
  return { starts, size: at };
}

/** A node's clean stop: `chain` saved by a store, its snapshot written, the store closed. */
async function saveWithSnapshot(path: string, format: Format, chain: readonly Block[]) {
  const { store } = await ChainStore.open(path, options(format));
  await store.save(chain as Block[], 1);
  const why = await store.writeIndexSnapshot(idsOf(chain), CHUNK);
  await store.close();
  assert.equal(why, null, "the snapshot is written");
}

async function openClosed(path: string, format: Format, more: Partial<ChainStoreOptions> = {}) {
  const opened = await ChainStore.open(path, options(format, more));
  await opened.store.close();
  return opened;
}

/** Everything a start gives of its chain, block by block, for comparing two loads. */
function assertLoadedChain(opened: OpenedChainStore, chain: readonly Block[], what: string): void {
  const { records, ids } = opened.loaded;
  assert.equal(records.length, chain.length, `${what}: length`);
  assert.equal(ids.size, chain.length, `${what}: ids`);
  for (const [i, block] of chain.entries()) {
    assert.deepEqual(records.blockAt(i), block, `${what}: block ${i}`);
    assert.equal(records.hashAt(i), hashBlock(block), `${what}: hash of block ${i}`);
    assert.equal(ids.get(block.data.id), i, `${what}: id of block ${i}`);
  }
  assert.equal(ids.get("f".repeat(32)), undefined, `${what}: an id not in the chain`);
  assert.equal(
    records.hashAt(chain.length - 1),
    hashBlock(chain[chain.length - 1] as Block),
    `${what}: tip`,
  );
}

async function refusal(promise: Promise<unknown>): Promise<ChainLoadError> {
  const err = await promise.then(
    () => assert.fail("the start should have been refused"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChainLoadError, String(err));
  return err;
}

/** A copy of `dir` (chain file, .hash, marks, snapshot) beside it, for a second start on the same bytes. */
async function twin(dir: string, name: string): Promise<string> {
  const copy = join(dir, name);
  await mkdir(copy);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) await cp(join(dir, entry.name), join(copy, entry.name));
  }
  return copy;
}

/** The outcome of a start, comparable between two folders: the chain it loaded, or its refusal. */
async function outcome(path: string, format: Format, more: Partial<ChainStoreOptions> = {}) {
  try {
    const opened = await openClosed(path, format, more);
    return { chain: opened.chain, trusted: opened.trusted, warnings: opened.warnings.length };
  } catch (err) {
    assert.ok(err instanceof ChainLoadError, String(err));
    return {
      code: err.code,
      index: err.index,
      message: err.message.replaceAll(dirname(path), "<dir>"),
    };
  }
}

for (const format of FORMATS) {
  test(`${format}: a clean stop's snapshot gives the same chain as indexing the file, and saves go on extending its digest`, {
    skip: SKIP,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const first = CHAIN.slice(0, FIRST);
      await saveWithSnapshot(path, format, first);
      const snapshot = indexSnapshotPath(path);
      assert.equal(snapshot, `${path}.index`);
      const { size } = recordStarts(format, first);
      assert.ok(size > 5 * CHUNK, `the chain file (${size} bytes) spans several chunks`);

      // The same file indexed as a start without the snapshot does.
      await rename(snapshot, `${snapshot}.away`);
      const without = await openClosed(path, format);
      assert.deepEqual(without.indexSnapshot, { used: false, why: "none" });
      assert.equal(without.trusted, true);
      assertLoadedChain(without, first, "without the snapshot");
      await rename(`${snapshot}.away`, snapshot);

      const opened = await ChainStore.open(path, options(format));
      try {
        assert.deepEqual(opened.indexSnapshot, { used: true, blocksAfter: 0 });
        assert.equal(opened.trusted, true);
        assert.deepEqual(opened.warnings, []);
        assertLoadedChain(opened, first, "from the snapshot");
        assert.equal(opened.store.persistedLength, FIRST);
        // More blocks on the store the snapshot opened, then a switch of branch below them:
        // its offsets and digest state go on from what the snapshot held.
        await opened.store.save(CHAIN, FIRST);
        assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(await readFile(path)));
        const fork = extendChain(CHAIN.slice(0, 350), 60, { difficulty: D, messages: ["fork"] });
        await opened.store.save(fork, 350);
        assert.equal(opened.store.persistedLength, fork.length);
      } finally {
        await opened.store.close();
      }
      const fork = extendChain(CHAIN.slice(0, 350), 60, { difficulty: D, messages: ["fork"] });
      const bytes = await readFile(path);
      assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(bytes));
      assert.equal(bytes.length, recordStarts(format, fork).size);

      // No snapshot written at this stop (a kill -9): the file grew past the part the old one
      // covers, so that part comes from the snapshot and the records after it from the file.
      const grown = await ChainStore.open(path, options(format));
      try {
        assert.deepEqual(grown.indexSnapshot, { used: true, blocksAfter: fork.length - FIRST });
        assert.equal(grown.trusted, true);
        assert.deepEqual(grown.warnings, []);
        assertLoadedChain(grown, fork, "after the saves");
        // A switch of branch below the part the snapshot covers, longer than the file was.
        const low = extendChain(CHAIN.slice(0, 250), 200, { difficulty: D, messages: ["low"] });
        await grown.store.save(low, 250);
      } finally {
        await grown.store.close();
      }
      const low = extendChain(CHAIN.slice(0, 250), 200, { difficulty: D, messages: ["low"] });
      assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(await readFile(path)));
      const again = await openClosed(path, format);
      assert.equal(again.indexSnapshot.used, false);
      assert.match(
        (again.indexSnapshot as { why: string }).why,
        /chunk \d+ of the chain file changed/,
      );
      assert.equal(again.trusted, true);
      assert.deepEqual(again.warnings, []);
      assertLoadedChain(again, low, "after a switch of branch below the snapshot");
      // Shorter than the part it covers.
      const { store } = await ChainStore.open(path, options(format));
      const short = extendChain(CHAIN.slice(0, 100), 5, { difficulty: D, messages: ["short"] });
      await store.save(short, 100).finally(() => store.close());
      const cut = await openClosed(path, format);
      assert.deepEqual(cut.indexSnapshot, {
        used: false,
        why: "the chain file is shorter than it was",
      });
      assertLoadedChain(cut, short, "shorter than the snapshot's part");
    });
  });

  test(`${format}: a chain file changed behind the node is never hidden by its snapshot`, {
    skip: SKIP,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await saveWithSnapshot(path, format, CHAIN);
      const saved = await readFile(path);
      const { starts, size } = recordStarts(format, CHAIN);
      const lastChunk = Math.floor((size - 1) / CHUNK);
      // A block whose record lies in a middle chunk, and one byte of its message.
      const index = starts.findIndex(
        (at, i) =>
          Math.floor(at / CHUNK) === Math.floor(lastChunk / 2) &&
          (CHAIN[i] as Block).data.message === "message one",
      );
      assert.ok(index > 0 && Math.floor((starts[index] as number) / CHUNK) < lastChunk);
      const record = saved.subarray(starts[index], starts[index + 1]);
      const message = (CHAIN[index] as Block).data.message;
      assert.ok(record.includes(Buffer.from(message, "utf8")), "the message is in its record");
      const at = (starts[index] as number) + record.indexOf(Buffer.from(message, "utf8"));
      const chunk = Math.floor(at / CHUNK);

      // (1) One byte flipped: the chain is then broken, so the full check (the .hash no longer
      // matches) stops first, exactly as without the snapshot: JSON names the next block, whose
      // previous_hash no longer links; binary the record, whose CRC fails.
      const flipped = Buffer.from(saved);
      flipped[at] = (flipped[at] as number) ^ 0x01;
      await writeFile(path, flipped);
      assert.equal(
        await readIndexSnapshot(path, format, sha256(saved), null),
        `chunk ${chunk} of the chain file changed`,
      );
      const copy = await twin(dir, "without");
      await rm(indexSnapshotPath(join(copy, "chain.dat")));
      const flippedOutcome = await outcome(path, format);
      assert.deepEqual(
        "code" in flippedOutcome && [flippedOutcome.code, flippedOutcome.index],
        format === "json" ? ["INVALID_CHAIN", index + 1] : ["BAD_CRC", index],
      );
      assert.deepEqual(flippedOutcome, await outcome(join(copy, "chain.dat"), format));
      const accepted = { acceptModifiedChain: true };
      assert.deepEqual(
        await outcome(path, format, accepted),
        await outcome(join(copy, "chain.dat"), format, accepted),
      );
      await rm(copy, { recursive: true });

      // (2) The block's message rewritten with one of the same length and every later block
      // relinked (a valid chain of the same size): MODIFIED_CHAIN naming that block.
      const forgedMessage = "message onE";
      const forged = relinkedFrom(index, forgedMessage);
      const codec = codecFor(format);
      const forgedBytes = Buffer.concat([
        codec.header,
        ...forged.map((b) => codec.encodeRecord(b)),
      ]);
      assert.equal(forgedBytes.length, saved.length);
      await writeFile(path, forgedBytes);
      await writeFile(hashFilePath(path), sha256(saved));
      const forgedCopy = await twin(dir, "forged-without");
      const copyPath = join(forgedCopy, "chain.dat");
      await rm(indexSnapshotPath(copyPath));
      const err = await refusal(ChainStore.open(path, options(format)));
      assert.equal(err.code, "MODIFIED_CHAIN");
      assert.match(err.message, new RegExp(`block ${index} changed since the last backup`));
      assert.deepEqual(await outcome(path, format), await outcome(copyPath, format));
      const taken = await openClosed(path, format, accepted);
      assert.equal(taken.indexSnapshot.used, false);
      assert.match(
        (taken.indexSnapshot as { why: string }).why,
        /chunk \d+ of the chain file changed/,
      );
      assert.equal(taken.trusted, false);
      assert.deepEqual(taken.chain, forged);
      assert.deepEqual(
        { chain: taken.chain, trusted: taken.trusted, warnings: taken.warnings.length },
        await outcome(copyPath, format, accepted),
      );
      // Accepted once, the file is the saved state, and its old snapshot stale, either way.
      const after = await openClosed(path, format);
      assert.match((after.indexSnapshot as { why: string }).why, /another digest/);
      assert.deepEqual(after.chain, forged);
      assert.deepEqual(await outcome(path, format), await outcome(copyPath, format));
    });
  });
}

/** CHAIN with block `index`'s message replaced and every later block relinked (the proofs ignore content). */
function relinkedFrom(index: number, message: string): Block[] {
  const out = CHAIN.slice(0, index);
  for (const block of CHAIN.slice(index)) {
    const parent = out[out.length - 1] as Block;
    const data = block.index === index ? { ...block.data, message } : block.data;
    out.push({ ...block, data, previous_hash: hashBlock(parent) });
  }
  return out;
}

/*
 * A snapshot file: "BCINDEX1", the header's length (u32 LE), the header (JSON),
 * the header's SHA-256, then the body (offsets, ids).
 */
const HEAD = 12;
const HEADER_DIGEST = 32;

/** Where the body of snapshot `s` starts. */
const bodyAt = (s: Buffer) => HEAD + s.readUInt32LE(8) + HEADER_DIGEST;

/** The parts of a snapshot file: its header (parsed) and its body. */
function snapshotParts(bytes: Buffer): { header: Record<string, unknown>; body: Buffer } {
  assert.equal(bytes.subarray(0, 8).toString("latin1"), "BCINDEX1");
  const length = bytes.readUInt32LE(8);
  return {
    header: JSON.parse(bytes.subarray(HEAD, HEAD + length).toString("utf8")),
    body: bytes.subarray(bodyAt(bytes)),
  };
}

/** A snapshot of `headerBytes` and `body`, its header's digest that of `digestOf` (default the header's own). */
function snapshotOf(headerBytes: Buffer, body: Buffer, digestOf = headerBytes): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length, 0);
  const digest = createHash("sha256").update(digestOf).digest();
  return Buffer.concat([Buffer.from("BCINDEX1", "latin1"), length, headerBytes, digest, body]);
}

/** One byte of `bytes` flipped (a copy). */
function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ 0x40;
  return copy;
}

/** A damaged snapshot, and what the start must say of it. */
interface Damage {
  what: string;
  damage: (snapshot: Buffer) => Buffer;
  why: RegExp;
}

/**
 * A header field changed: with its digest made again (a header the
 * deeper checks must refuse), or left as it was (damage the header's digest finds).
 */
function withHeader(change: (header: Record<string, unknown>) => void, digest: "remade" | "kept") {
  return (snapshot: Buffer) => {
    const { header, body } = snapshotParts(snapshot);
    const original = snapshot.subarray(HEAD, HEAD + snapshot.readUInt32LE(8));
    change(header);
    const changed = Buffer.from(JSON.stringify(header), "utf8");
    return snapshotOf(changed, body, digest === "remade" ? changed : original);
  };
}

const DAMAGES: Damage[] = [
  {
    what: "a byte of its offsets flipped",
    damage: (s) => flipped(s, bodyAt(s) + 4 * 123 + 1),
    // The offsets' order is checked while the pool hashes the body: either may tell first.
    why: /its body is damaged|its offsets do not rise/,
  },
  {
    what: "a byte of its ids flipped",
    damage: (s) => flipped(s, bodyAt(s) + 4 * LENGTH + 16 * 321 + 7),
    why: /its body is damaged/,
  },
  {
    what: "its last id cut off",
    damage: (s) => s.subarray(0, s.length - 16),
    why: /size is not the one its header gives/,
  },
  {
    what: "a byte more at its end",
    damage: (s) => Buffer.concat([s, Buffer.from([0])]),
    why: /size is not the one its header gives/,
  },
  {
    what: "cut inside its header",
    damage: (s) => s.subarray(0, 40),
    why: /shorter than its header says/,
  },
  { what: "cut to 5 bytes", damage: (s) => s.subarray(0, 5), why: /not an index snapshot/ },
  { what: "empty", damage: () => Buffer.alloc(0), why: /not an index snapshot/ },
  { what: "the wrong magic", damage: (s) => flipped(s, 3), why: /not an index snapshot/ },
  {
    what: "a byte of its header flipped",
    damage: (s) => flipped(s, HEAD + 20),
    why: /its header is damaged/,
  },
  {
    what: "a byte of its header's digest flipped",
    damage: (s) => flipped(s, HEAD + s.readUInt32LE(8) + 5),
    why: /its header is damaged/,
  },
  {
    what: "a header that is not JSON",
    damage: (s) => {
      const garbage = Buffer.from(s.subarray(HEAD, HEAD + s.readUInt32LE(8)));
      garbage.fill("#", 0, 18);
      return snapshotOf(garbage, s.subarray(bodyAt(s)));
    },
    why: /header is not JSON/,
  },
  {
    what: "a header of JSON null",
    damage: () => snapshotOf(Buffer.from("null"), Buffer.alloc(0)),
    why: /not one this version writes/,
  },
  {
    what: "a header length of 4 GiB",
    damage: (s) => {
      const copy = Buffer.from(s);
      copy.writeUInt32LE(0xffffffff, 8);
      return copy;
    },
    why: /header is too long/,
  },
  {
    what: "its count one less",
    damage: withHeader((h) => {
      h.count = (h.count as number) - 1;
    }, "remade"),
    why: /size is not the one its header gives/,
  },
  {
    what: "its count one more",
    damage: withHeader((h) => {
      h.count = (h.count as number) + 1;
    }, "remade"),
    why: /size is not the one its header gives/,
  },
  {
    what: "its count one less, its digest kept",
    damage: withHeader((h) => {
      h.count = (h.count as number) - 1;
    }, "kept"),
    why: /its header is damaged/,
  },
  {
    what: "a count of a billion blocks (in a file of a few kilobytes)",
    damage: withHeader((h) => {
      h.count = 1e9;
      h.chunkBytes = 2 ** 40;
      h.chunks = [(h.chunks as string[])[0]];
      h.offsetDigests = ["0".repeat(64)];
      h.idDigests = ["0".repeat(64)];
    }, "remade"),
    why: /size is not the one its header gives/,
  },
  {
    what: "its size one less (the file seems to have grown since)",
    damage: withHeader((h) => {
      h.size = (h.size as number) - 1;
    }, "remade"),
    why: /chunk \d+ of the chain file changed/,
  },
  {
    what: "its size one more",
    damage: withHeader((h) => {
      h.size = (h.size as number) + 1;
    }, "remade"),
    why: /the chain file is shorter than it was/,
  },
  {
    what: "the other format",
    damage: withHeader((h) => {
      h.format = h.format === "json" ? "binary" : "json";
    }, "remade"),
    why: /it is of the (json|binary) file/,
  },
  {
    what: "a chunk digest changed",
    damage: withHeader((h) => {
      const chunks = h.chunks as string[];
      chunks[2] = `${(chunks[2] as string).slice(0, -1)}${chunks[2]?.endsWith("0") ? "1" : "0"}`;
    }, "remade"),
    why: /chunk 2 of the chain file changed/,
  },
  {
    what: "a body digest changed",
    damage: withHeader((h) => {
      (h.idDigests as string[])[0] = "0".repeat(64);
    }, "remade"),
    why: /its body is damaged/,
  },
  {
    what: "another digest",
    damage: withHeader((h) => {
      h.digest = "0".repeat(64);
    }, "remade"),
    why: /another digest/,
  },
  {
    what: "its digest state changed",
    damage: withHeader((h) => {
      const state = h.state as string;
      h.state = `${state.slice(0, 10)}${state[10] === "0" ? "1" : "0"}${state.slice(11)}`;
    }, "remade"),
    why: /digest state does not match/,
  },
  {
    what: "its digest state not hex",
    damage: withHeader((h) => {
      h.state = "not hex";
    }, "remade"),
    why: /digest state does not match/,
  },
  {
    what: "its chunk size halved",
    damage: withHeader((h) => {
      h.chunkBytes = (h.chunkBytes as number) / 2;
    }, "remade"),
    why: /not one this version writes/,
  },
  {
    what: "another version",
    damage: withHeader((h) => {
      h.version = 2;
    }, "remade"),
    why: /not one this version writes/,
  },
  {
    what: "offsets past 4 GiB from block 200 on (wraps), its digest kept",
    damage: withHeader((h) => {
      h.wraps = [200];
    }, "kept"),
    why: /its header is damaged/,
  },
  {
    what: "a wrap past its last block",
    damage: withHeader((h) => {
      h.wraps = [LENGTH + 5];
    }, "remade"),
    why: /not one this version writes/,
  },
  {
    what: "offsets past 4 GiB from block 200 on (wraps), its header's digest made again (a forgery)",
    damage: withHeader((h) => {
      h.wraps = [200];
    }, "remade"),
    why: /its offsets do not rise through the file/,
  },
  {
    what: "wraps that go down",
    damage: withHeader((h) => {
      h.wraps = [300, 200];
    }, "remade"),
    why: /not one this version writes/,
  },
];

for (const format of FORMATS) {
  test(`${format}: a damaged snapshot is not used, says why, and the chain loads from the file`, {
    skip: SKIP,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await saveWithSnapshot(path, format, CHAIN);
      const chainBytes = await readFile(path);
      const good = await readFile(indexSnapshotPath(path));
      for (const { what, damage, why } of DAMAGES) {
        await writeFile(indexSnapshotPath(path), damage(good));
        let opened: OpenedChainStore;
        try {
          opened = await openClosed(path, format);
        } catch (err) {
          assert.fail(`${what}: the start failed: ${(err as Error).stack}`);
        }
        assert.equal(opened.indexSnapshot.used, false, what);
        assert.match((opened.indexSnapshot as { why: string }).why, why, what);
        assert.equal(opened.trusted, true, what);
        assert.deepEqual(opened.warnings, [], what);
        assertLoadedChain(opened, CHAIN, what);
        assert.deepEqual(await readFile(path), chainBytes, `${what}: the chain file is as it was`);
      }
      // A folder where the snapshot should be: not read, not a reason to fail.
      await rm(indexSnapshotPath(path));
      await mkdir(indexSnapshotPath(path));
      const folder = await openClosed(path, format);
      assert.equal(folder.indexSnapshot.used, false);
      assertLoadedChain(folder, CHAIN, "a folder at the snapshot's path");
      // The good one again: used.
      await rm(indexSnapshotPath(path), { recursive: true });
      await writeFile(indexSnapshotPath(path), good);
      assert.deepEqual((await openClosed(path, format)).indexSnapshot, {
        used: true,
        blocksAfter: 0,
      });
    });
  });

  test(`${format}: a file at the snapshot's path that is not a snapshot is never written over`, {
    skip: SKIP,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const note = Buffer.from("my notes about this chain\nkeep them!\n", "utf8");
      await writeFile(indexSnapshotPath(path), note);
      const { store } = await ChainStore.open(path, options(format));
      try {
        await store.save(CHAIN, 1);
        const why = await store.writeIndexSnapshot(idsOf(CHAIN), CHUNK);
        assert.match(why ?? "", /exists and is not an index snapshot/);
      } finally {
        await store.close();
      }
      assert.deepEqual(await readFile(indexSnapshotPath(path)), note);
      const opened = await openClosed(path, format);
      assert.match((opened.indexSnapshot as { why: string }).why, /not an index snapshot/);
      assertLoadedChain(opened, CHAIN, "beside a note");
      assert.deepEqual(await readFile(indexSnapshotPath(path)), note);
      // Nor is an empty file (a snapshot's first write is to a temp file renamed over it).
      await writeFile(indexSnapshotPath(path), "");
      const again = await ChainStore.open(path, options(format));
      try {
        assert.match(
          (await again.store.writeIndexSnapshot(idsOf(CHAIN), CHUNK)) ?? "",
          /not an index snapshot/,
        );
      } finally {
        await again.store.close();
      }
      assert.deepEqual(await readFile(indexSnapshotPath(path)), Buffer.alloc(0));
      assert.deepEqual(
        (await readdir(dir)).filter((name) => name.endsWith(".tmp")),
        [],
        "no temp file left",
      );
    });
  });

  test(`${format}: --force-new-chain moves the snapshot aside with the chain file`, {
    skip: SKIP,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await saveWithSnapshot(path, format, CHAIN);
      const chainBytes = await readFile(path);
      const snapshot = await readFile(indexSnapshotPath(path));
      const fresh = await openClosed(path, format, { forceNewChain: true });
      assert.equal(fresh.loaded.records.length, 1);
      assert.equal(fresh.indexSnapshot.used, false);
      const names = await readdir(dir);
      assert.ok(!names.includes("chain.dat.index"), names.join(", "));
      const backup = names.find((n) => /^chain\.dat\..*\.bak$/.test(n) && !n.includes("index"));
      const backupIndex = names.find((n) => /^chain\.dat\.index\..*\.bak$/.test(n));
      assert.ok(backup && backupIndex, names.join(", "));
      assert.equal(backupIndex, `chain.dat.index${backup.slice("chain.dat".length)}`);
      assert.deepEqual(await readFile(join(dir, backup)), chainBytes);
      assert.deepEqual(await readFile(join(dir, backupIndex)), snapshot);
    });
  });

  test(`${format}: below indexSnapshotMinBytes no snapshot is written`, {
    skip: SKIP,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const { size } = recordStarts(format, CHAIN);
      const { store } = await ChainStore.open(
        path,
        options(format, { indexSnapshotMinBytes: size + 1 }),
      );
      try {
        await store.save(CHAIN, 1);
        assert.match((await store.writeIndexSnapshot(idsOf(CHAIN), CHUNK)) ?? "", /small/);
      } finally {
        await store.close();
      }
      assert.deepEqual(
        (await readdir(dir)).filter((name) => name.includes("index")),
        [],
      );
      // At exactly the size, it is written.
      const again = await ChainStore.open(path, options(format, { indexSnapshotMinBytes: size }));
      try {
        assert.equal(await again.store.writeIndexSnapshot(idsOf(CHAIN), CHUNK), null);
      } finally {
        await again.store.close();
      }
      assert.deepEqual((await openClosed(path, format)).indexSnapshot, {
        used: true,
        blocksAfter: 0,
      });
    });
  });
}

test("an addon that cannot hash file ranges (an older build) gets no snapshot used: the chain file's chunks are never left unchecked", {
  skip: SKIP,
}, async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.dat");
    await saveWithSnapshot(path, "json", CHAIN);
    const saved = await readFile(path);
    const digest = sha256(saved);
    const withoutRanges = { ...(NATIVE as NonNullable<typeof NATIVE>), digestFileRange: undefined };
    const whole = await readIndexSnapshot(path, "json", digest, null, withoutRanges);
    assert.equal(typeof whole, "string", "not used even on the very file it was written for");
    // A byte changed behind the node, the size and the .hash as they were: never taken.
    const changed = Buffer.from(saved);
    const at = saved.indexOf("message one", saved.length >> 1);
    changed[at] = (changed[at] as number) ^ 0x01;
    await writeFile(path, changed);
    assert.match(
      String(await readIndexSnapshot(path, "json", digest, null, withoutRanges)),
      /cannot hash/,
    );
    assert.match(
      String(await readIndexSnapshot(path, "json", digest, null)),
      /chunk \d+ of the chain file changed/,
    );
  });
});

test("a named pipe at the snapshot's path neither hangs a start nor a clean stop's write", {
  skip: SKIP,
}, async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.dat");
    const made = spawnSync("mkfifo", [indexSnapshotPath(path)]);
    assert.equal(made.status, 0, String(made.stderr));
    // Should either hang, its write end opened and closed lets the blocked open go on.
    const unblock = () => {
      try {
        closeSync(openSync(indexSnapshotPath(path), constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // Nobody reads it: nothing is blocked.
      }
    };
    const deadline = <T>(promise: Promise<T>, what: string) =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          unblock();
          reject(new Error(`${what} did not end within 20 s`));
        }, 20_000);
        promise.then(resolve, reject).finally(() => clearTimeout(timer));
      });
    const { store } = await ChainStore.open(path, options("json"));
    try {
      await store.save(CHAIN, 1);
      assert.match(
        (await deadline(store.writeIndexSnapshot(idsOf(CHAIN), CHUNK), "the write")) ?? "",
        /is not an index snapshot/,
      );
    } finally {
      await store.close();
    }
    const opened = await deadline(openClosed(path, "json"), "the start");
    assert.equal(opened.indexSnapshot.used, false);
    assert.match((opened.indexSnapshot as { why: string }).why, /not a file/);
    assertLoadedChain(opened, CHAIN, "beside a named pipe");
  });
});

test("OffsetList: offsets crossing multiples of 2^32 survive parts() and fromParts() (property)", () => {
  const step = fc.oneof(
    fc.integer({ min: 1, max: 4000 }),
    fc.integer({ min: 1, max: 2 ** 32 }),
    fc.integer({ min: 2 ** 32, max: 3 * 2 ** 32 }),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 33 }),
      fc.array(step, { maxLength: 60 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      (start, steps, next) => {
        const offsets = [start];
        for (const s of steps) offsets.push((offsets[offsets.length - 1] as number) + s);
        const list = OffsetList.of(offsets);
        const { low, wraps } = list.parts();
        assert.equal(low.length, offsets.length);
        // As a snapshot keeps them: the low words copied to disk and read back.
        const back = OffsetList.fromParts(new Uint32Array(low), wraps);
        assert.equal(back.length, offsets.length);
        for (const [i, offset] of offsets.entries()) assert.equal(back.at(i), offset, `at(${i})`);
        assert.equal(back.at(offsets.length), undefined);
        // And it goes on: a save appends past the last one.
        const last = (offsets[offsets.length - 1] as number) + next;
        back.push(last);
        assert.equal(back.at(offsets.length), last);
        assert.equal(back.at(0), start);
      },
    ),
  );
});

test("digestFileRanges: random ranges of a random file are node:crypto's SHA-256 of those bytes; a range past the end rejects naming it (property)", {
  skip: SKIP,
}, async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "bytes");
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 20_000 }),
        fc.array(fc.tuple(fc.nat({ max: 25_000 }), fc.nat({ max: 25_000 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (content, picks) => {
          const bytes = Buffer.from(content);
          await writeFile(path, bytes);
          const ranges = picks.map(([offset, length]) => ({ offset, length }));
          const file = await open(path, "r");
          try {
            const digests = digestFileRanges(file.fd, ranges, NATIVE);
            assert.ok(digests !== null);
            const settled = await Promise.allSettled(digests);
            for (const [i, { offset, length }] of ranges.entries()) {
              const result = settled[i] as PromiseSettledResult<Buffer>;
              const end = offset + length;
              if (length > 0 && end > bytes.length) {
                assert.equal(result.status, "rejected", `range ${offset}+${length}`);
                assert.match(
                  String((result as PromiseRejectedResult).reason),
                  new RegExp(`the file ends before byte ${end}\\b`),
                );
              } else {
                assert.equal(result.status, "fulfilled", `range ${offset}+${length}`);
                assert.equal(
                  (result as PromiseFulfilledResult<Buffer>).value.toString("hex"),
                  sha256(bytes.subarray(offset, end)),
                );
              }
            }
          } finally {
            await file.close();
          }
        },
      ),
    );
  });
});
