import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { writeLongChain } from "../../bench/lib/million-chain.js";
import { ChainLoadError } from "../../src/storage/chain-load-error.js";
import { indexOfByte, lastIndexOfByte } from "../../src/storage/codecs/byte-search.js";
import {
  MAX_CHAIN_FILE_BYTES,
  READ_CHUNK_BYTES,
  readChainBytes,
  readWhole,
  writeChainFile,
} from "../../src/storage/file/chain-file.js";
import { buildChain } from "../helpers/chain-factory.js";
import { BIN, NodeProcess } from "../helpers/node-process.js";
import { withTempDir } from "../helpers/temp-dir.js";

const SOAK = process.env.BLOCKCHAIN_SOAK === "1";

test("a chain file is read in bounded reads: any chunk size gives the same bytes, shared or not", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", buildChain(40, { difficulty: 1 }));
    const want = await readFile(path);
    assert.ok(READ_CHUNK_BYTES < 2 ** 31, "one read must stay below Node's 2^31 - 1 bound");
    for (const chunk of [1, 7, 4096, want.length - 1, want.length, READ_CHUNK_BYTES]) {
      for (const shared of [false, true]) {
        const bytes = await readWhole(path, shared, chunk);
        assert.ok(bytes.equals(want), `chunks of ${chunk}, shared ${shared}`);
        assert.equal(bytes.buffer instanceof SharedArrayBuffer, shared);
      }
    }
  });
});

test("a file larger than a Buffer can hold that is no sound chain file is refused with an error that says so, not a crash", async () => {
  await withTempDir(async (dir) => {
    // Sparse zeros: the size is there, the disk blocks are not; no record in them.
    const path = join(dir, "huge.json");
    const handle = await open(path, "w");
    await handle.truncate(MAX_CHAIN_FILE_BYTES + 1);
    await handle.close();
    await assert.rejects(readChainBytes(path), (err: unknown) => {
      assert.ok(err instanceof ChainLoadError);
      assert.equal(err.code, "READ_FAILED");
      assert.match(
        err.message,
        new RegExp(`is ${MAX_CHAIN_FILE_BYTES + 1} bytes; .*at most ${MAX_CHAIN_FILE_BYTES} bytes`),
      );
      return true;
    });
    const run = spawnSync(process.execPath, [BIN, "verify", path], { encoding: "utf8" });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /not sound all through.*at most \d+ bytes/);
    assert.doesNotMatch(run.stderr, /Assertion failed/);
  });
});

test("a chain file over 2 GiB verifies and a node starts on it (both aborted before); BLOCKCHAIN_SOAK=1, 2.6 GB of disk", {
  skip: !SOAK && "BLOCKCHAIN_SOAK=1 runs it",
  timeout: 30 * 60_000,
}, async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    // 1,150,000 blocks of 2,000-byte messages: about 2.3 GB, past the 2 GiB of one read.
    const length = 1_150_000;
    const size = await writeLongChain(path, "json", length, 2000);
    assert.ok(size > 2 ** 31, `${size} bytes`);
    assert.equal((await stat(path)).size, size);
    const run = spawnSync(process.execPath, [BIN, "verify", path, "--difficulty", "1"], {
      encoding: "utf8",
      timeout: 20 * 60_000,
    });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^valid: ${length} blocks, tip [0-9a-f]{64}\\n$`));
    // A node starts on it (the .hash vouching) and serves its length.
    const node = await NodeProcess.start({
      chainPath: path,
      args: ["--no-mine", "--difficulty", "1", "--log-level", "warn"],
      startTimeoutMs: 10 * 60_000,
    });
    try {
      const status = (await (await fetch(`${node.url}/status`)).json()) as { length: number };
      assert.equal(status.length, length);
    } finally {
      await node.stop();
    }
    await rm(path);
  });
});

test("indexOfByte / lastIndexOfByte agree with Buffer's own below 2 GiB", () => {
  const bytes = Buffer.from("ab\ncd\n\nef", "latin1");
  for (let from = -2; from <= bytes.length + 1; from++) {
    assert.equal(indexOfByte(bytes, 0x0a, from), bytes.indexOf(0x0a, from), `from ${from}`);
    assert.equal(lastIndexOfByte(bytes, 0x0a, from), bytes.lastIndexOf(0x0a, from), `from ${from}`);
  }
  assert.equal(indexOfByte(bytes, 0x0a), 2);
  assert.equal(lastIndexOfByte(bytes, 0x0a), 6);
  assert.equal(indexOfByte(new Uint8Array([1, 2, 10]), 10), 2);
});

test("indexOfByte / lastIndexOfByte are right past 2 GiB, where Buffer's own wrap to negative int32s; BLOCKCHAIN_SOAK=1 (2 GiB of memory)", {
  skip: !SOAK && "BLOCKCHAIN_SOAK=1 runs it",
}, () => {
  const bytes = Buffer.alloc(2 ** 31 + 100);
  const far = 2 ** 31 + 50;
  bytes[7] = 0x0a;
  bytes[far] = 0x0a;
  assert.equal(indexOfByte(bytes, 0x0a), 7);
  assert.equal(indexOfByte(bytes, 0x0a, 8), far);
  assert.equal(indexOfByte(bytes, 0x0a, far + 1), -1);
  assert.equal(lastIndexOfByte(bytes, 0x0a), far);
  assert.equal(lastIndexOfByte(bytes, 0x0a, far - 1), 7);
});
