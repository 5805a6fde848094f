import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { TRUSTED_TAIL_CHECKED } from "../../src/storage/chain-load.js";
import { ChainLoadError, ChainStore, hashFilePath } from "../../src/storage/chain-store.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { buildChain } from "../helpers/chain-factory.js";
import { getJson, NodeProcess } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";

const D = 1;
const FORMATS = ["json", "binary"] as const;
const LENGTH = 150;
const CHAIN = buildChain(LENGTH, { difficulty: D, messages: ["hello", "grüße, 世界 🎉"] });
const BAD_HASH = "ab".repeat(32);

/** The chain with block `index`'s previous_hash broken: block `index` is invalid, every other block sound. */
function brokenAt(index: number): Block[] {
  return CHAIN.map((b) => (b.index === index ? { ...b, previous_hash: BAD_HASH } : b));
}

/** Writes `chain` as a node would, with a .hash of `hash` (default: the file's own digest). */
async function writeChain(
  path: string,
  format: "json" | "binary",
  chain: readonly Block[],
  hash?: string,
): Promise<void> {
  const codec = codecFor(format);
  const bytes = Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
  await writeFile(path, bytes);
  await writeFile(hashFilePath(path), hash ?? createHash("sha256").update(bytes).digest("hex"));
}

async function refusal(promise: Promise<unknown>): Promise<ChainLoadError> {
  const err = await promise.then(
    () => assert.fail("the load should have been refused"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChainLoadError, String(err));
  return err;
}

for (const format of FORMATS) {
  test(`${format}: a file its .hash vouches for loads trusted, with the same blocks and hashes as a full validation`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChain(path, format, CHAIN);
      const trusted = await ChainStore.open(path, { format, difficulty: D });
      await trusted.store.close();
      assert.equal(trusted.trusted, true);
      assert.deepEqual(trusted.chain, CHAIN);
      // The hashes of the trusted part come from the next block's previous_hash, not from hashing.
      for (const [i, block] of CHAIN.entries()) {
        assert.equal(trusted.loaded.records.hashAt(i), hashBlock(block), `hash of block ${i}`);
        assert.equal(trusted.loaded.ids.get(block.data.id), i, `id of block ${i}`);
      }
      const full = await ChainStore.open(path, { format, difficulty: D, verifyAll: true });
      await full.store.close();
      assert.equal(full.trusted, false);
      assert.deepEqual(full.chain, CHAIN);
    });
  });

  test(`${format}: a broken block within the last ${TRUSTED_TAIL_CHECKED} is caught though the .hash matches`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const index = LENGTH - 3;
      await writeChain(path, format, brokenAt(index));
      const err = await refusal(ChainStore.open(path, { format, difficulty: D }));
      assert.equal(err.code, "INVALID_CHAIN");
      assert.equal(err.index, index);
      assert.match(err.message, /previous_hash is not the hash of the preceding block/);
    });
  });

  test(`${format}: a broken block before the last ${TRUSTED_TAIL_CHECKED} is taken on the .hash's word; verifyAll (--verify-chain) catches it`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChain(path, format, brokenAt(10));
      const opened = await ChainStore.open(path, { format, difficulty: D });
      await opened.store.close();
      assert.equal(opened.trusted, true);
      assert.equal(opened.loaded.records.length, LENGTH);
      const err = await refusal(ChainStore.open(path, { format, difficulty: D, verifyAll: true }));
      assert.equal(err.code, "INVALID_CHAIN");
      assert.equal(err.index, 10);
    });
  });

  test(`${format}: a stale .hash makes the load validate every block`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChain(path, format, CHAIN, BAD_HASH);
      // A .hash that covers no part of the file stops the start unless accepted (issue 12).
      const accept = { format, difficulty: D, acceptModifiedChain: true } as const;
      const opened = await ChainStore.open(path, accept);
      await opened.store.close();
      assert.equal(opened.trusted, false);
      assert.deepEqual(opened.chain, CHAIN);
      await writeChain(path, format, brokenAt(10), BAD_HASH);
      const err = await refusal(ChainStore.open(path, accept));
      assert.equal(err.code, "INVALID_CHAIN");
      assert.equal(err.index, 10);
    });
  });

  test(`${format}: a duplicate data id anywhere is refused on a trusted load`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const chain = CHAIN.map((b) =>
        b.index === 20 ? { ...b, data: { ...b.data, id: (CHAIN[5] as Block).data.id } } : b,
      );
      await writeChain(path, format, chain);
      const err = await refusal(ChainStore.open(path, { format, difficulty: D }));
      assert.equal(err.code, "INVALID_CHAIN");
      assert.equal(err.index, 20);
      assert.match(err.message, /already appears in an earlier block/);
    });
  });
}

test("miner start trusts a vouched-for file; with --verify-chain it validates every block and exits 1 naming the broken one", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChain(path, "json", brokenAt(10));
    const node = await NodeProcess.start({
      chainPath: path,
      args: ["--difficulty", String(D), "--no-mine", "--chain-sync-interval", "3600"],
    });
    try {
      const status = await getJson<{ length: number }>(`${node.url}/status`);
      assert.equal(status.length, LENGTH);
    } finally {
      await node.stop();
    }
    const run = await runCli(
      [
        "miner",
        "start",
        path,
        "--port",
        "0",
        "--difficulty",
        String(D),
        "--no-mine",
        "--verify-chain",
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /block 10/);
    assert.match(run.stderr, /previous_hash is not the hash of the preceding block/);
  });
});
