import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { freeBytes, writeChainFiles } from "../../bench/lib/large-chain-file.js";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { BIN, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

const SOAK = process.env.BLOCKCHAIN_SOAK === "1";
/** 2,000,000 blocks of 2,000-byte messages: about 4.4 GB of JSON Lines, past the 4 GiB a Buffer holds. */
const LENGTH = 2_000_000;
const MESSAGE_BYTES = 2000;
/** The file, and the copy the syncing node writes; with a margin. */
const DISK_NEEDED = 10e9;
const COMMON = ["--no-mine", "--difficulty", "1", "--log-level", "error", "--workers", "1"];

async function lengthOf(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(60_000) });
    return ((await res.json()) as { length: number }).length;
  } catch {
    return 0;
  }
}

/** Block `index` as the node serves it (read from its chain file). */
async function blockOf(url: string, index: number): Promise<Block> {
  const res = await fetch(`${url}/blocks/${index}`);
  assert.equal(res.status, 200);
  return (await res.json()) as Block;
}

test(`a chain file past 4 GiB (${LENGTH} blocks, about 4.4 GB) verifies, a node starts on it and serves it, and a fresh node syncs it, saves it and starts on its own copy, and again after a torn record is appended; BLOCKCHAIN_SOAK=1, 10 GB of disk in BLOCKCHAIN_SOAK_DIR (default the OS temp folder), about 2 minutes`, {
  skip: !SOAK && "BLOCKCHAIN_SOAK=1 runs it",
  timeout: 60 * 60_000,
}, async () => {
  const base = process.env.BLOCKCHAIN_SOAK_DIR ?? tmpdir();
  await mkdir(base, { recursive: true });
  const free = await freeBytes(base);
  assert.ok(
    free >= DISK_NEEDED,
    `${base} has ${(free / 1e9).toFixed(1)} GB free; the test needs ${DISK_NEEDED / 1e9} GB (set BLOCKCHAIN_SOAK_DIR)`,
  );
  const dir = await mkdtemp(join(base, "bc-past-4gib-"));
  const nodes: NodeProcess[] = [];
  try {
    const path = join(dir, "chain.json");
    const { json: size } = await writeChainFiles(LENGTH, { json: path }, MESSAGE_BYTES);
    assert.ok((size as number) > 2 ** 32, `${size} bytes`);
    assert.equal((await stat(path)).size, size);

    // The full check, in chunks: no whole-file read (which stops at 4 GiB).
    const run = spawnSync(process.execPath, [BIN, "verify", path, "--difficulty", "1"], {
      encoding: "utf8",
      timeout: 20 * 60_000,
    });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^valid: ${LENGTH} blocks, tip [0-9a-f]{64}\\n$`));
    const tip = (run.stdout.match(/tip ([0-9a-f]{64})/) as RegExpMatchArray)[1];

    // A node on it (its .hash vouching) serves its length and blocks read past 4 GiB.
    const source = await NodeProcess.start({
      chainPath: path,
      args: [...COMMON, "--chain-sync-interval", "3600"],
      startTimeoutMs: 10 * 60_000,
    });
    nodes.push(source);
    assert.equal(await lengthOf(source.url), LENGTH);

    // A fresh node syncs it, and saves it (the backup job) as a file past 4 GiB of its own.
    const freshPath = join(dir, "fresh", "chain.json");
    const fresh = await NodeProcess.start({
      chainPath: freshPath,
      args: [...COMMON, "--neighbours", source.address, "--chain-sync-interval", "3600"],
    });
    nodes.push(fresh);
    await waitFor(async () => (await lengthOf(fresh.url)) === LENGTH, {
      timeoutMs: 30 * 60_000,
      intervalMs: 500,
      what: `the fresh node holding ${LENGTH} blocks`,
    });
    // Its save of 4.4 GB at shutdown may take long on a loaded machine: no kill before it ends.
    await fresh.stop(30 * 60_000);
    nodes.pop();
    assert.equal((await stat(freshPath)).size, size, "the synced node saved the same file");
    // Its clean stop kept the file's index on disk (offsets past 4 GiB among them): the next
    // start checks the file chunk by chunk against it instead of indexing it again.
    assert.ok(existsSync(`${freshPath}.index`), "the clean stop left the index snapshot");
    const again = await NodeProcess.start({
      chainPath: freshPath,
      args: [...COMMON, "--log-level", "info"],
      startTimeoutMs: 10 * 60_000,
    });
    nodes.push(again);
    assert.equal(await lengthOf(again.url), LENGTH);
    assert.match(again.output(), /"index_snapshot":true/);
    // The tip, and a block far past 4 GiB into the file, the same on both, read from each one's file.
    for (const node of [source, again]) {
      assert.equal(hashBlock(await blockOf(node.url, LENGTH - 1)), tip);
    }
    assert.deepEqual(await blockOf(again.url, LENGTH - 2), await blockOf(source.url, LENGTH - 2));

    // A save cut short by a crash: the file past 4 GiB ends inside a record. The torn record is
    // found and cut in chunks (the file is too large to be read whole) and the node starts again.
    await again.stop(30 * 60_000);
    nodes.pop();
    const torn = Buffer.from('{"index":2000000,"timestamp":1,"data":{"id":"');
    await appendFile(freshPath, torn);
    const afterCrash = await NodeProcess.start({
      chainPath: freshPath,
      args: [...COMMON, "--log-level", "warn"],
      startTimeoutMs: 10 * 60_000,
    });
    nodes.push(afterCrash);
    assert.equal(await lengthOf(afterCrash.url), LENGTH);
    assert.match(afterCrash.output(), /cut off a torn last record at byte offset/);
    assert.equal((await stat(freshPath)).size, size, "only the torn record was cut");
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(dir, { recursive: true, force: true });
  }
});
