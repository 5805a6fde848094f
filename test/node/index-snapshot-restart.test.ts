import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashFilePath } from "../../src/storage/chain-store.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { nativeFileDigest } from "../../src/storage/file/running-digest.js";
import { indexSnapshotPath } from "../../src/storage/index/index-snapshot.js";
import { buildChain } from "../helpers/chain-factory.js";
import { getJson, NodeProcess, postJson } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * A real node keeps its chain file's index on disk when it stops cleanly
 * (`<chain>.index`), and its next start takes the index from there; after a
 * kill -9 that followed more saves, from there for the part it covers; once
 * that part changed (a switch of branch below it), not at all; and never is
 * an acknowledged message lost.
 */

const FORMATS = ["json", "binary"] as const;
type Format = (typeof FORMATS)[number];
const SKIP = nativeFileDigest() === null ? "the addon (with SHA extensions) is not here" : false;

function nodeArgs(format: Format): string[] {
  return [
    "--difficulty",
    "1",
    "--workers",
    "1",
    "--backup-interval",
    "0.2",
    "--chain-sync-interval",
    "3600",
    "--gossip-interval",
    "3600",
    "--data-sync-interval",
    "3600",
    "--chain-serialization",
    format,
  ];
}

async function startNode(path: string, format: Format): Promise<NodeProcess> {
  return NodeProcess.start({
    chainPath: path,
    args: nodeArgs(format),
    // Every chain is big enough for a snapshot.
    env: { BLOCKCHAIN_INDEX_SNAPSHOT_BYTES: "0" },
    startTimeoutMs: 30_000,
  });
}

interface Status {
  length: number;
  pending: number;
}

/** Adds `messages` (each acknowledged with 200); their ids. */
async function add(node: NodeProcess, messages: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const message of messages) {
    const { status, body } = await postJson<{ id: string }>(`${node.url}/add`, { message });
    assert.equal(status, 200, `add ${message}`);
    ids.push(body.id);
  }
  return ids;
}

/** Waits until the node has mined every pending message and its chain file holds the whole chain. */
async function minedAndSaved(node: NodeProcess, format: Format, length: number): Promise<Block[]> {
  await waitFor(
    async () => {
      const status = await getJson<Status>(`${node.url}/status`);
      return status.length === length && status.pending === 0;
    },
    { what: `${length} blocks mined`, timeoutMs: 30_000 },
  );
  const { blocks } = await getJson<{ blocks: Block[] }>(`${node.url}/blocks?from=0&limit=1000`);
  assert.equal(blocks.length, length);
  const tip = codecFor(format).encodeRecord(blocks[length - 1] as Block);
  await waitFor(
    async () => {
      const [file, hash] = await Promise.all([
        readFile(node.chainPath),
        readFile(hashFilePath(node.chainPath), "utf8"),
      ]);
      return file.subarray(file.length - tip.length).equals(tip) && sha256(file) === hash.trim();
    },
    { what: "the chain file and its .hash up to the tip", timeoutMs: 30_000 },
  );
  return blocks;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The `loaded N blocks` line of the node's last start, from miner.log beside the chain file. */
async function lastLoadLine(
  dir: string,
): Promise<{ blocks: number; index_snapshot: boolean; blocks_after_snapshot?: number }> {
  const lines = (await readFile(join(dir, "miner.log"), "utf8"))
    .split("\n")
    .filter((line) => line.includes('"index_snapshot"'));
  const last = lines.at(-1);
  assert.ok(last, "miner.log holds a 'loaded N blocks' line");
  return JSON.parse(last);
}

/** Every one of `ids` is confirmed in the node's chain, in a block whose message is its own. */
async function assertConfirmed(
  node: NodeProcess,
  ids: readonly string[],
  messages: readonly string[],
) {
  for (const [i, id] of ids.entries()) {
    const found = await getJson<{ id: string; message: string; status: string; index: number }>(
      `${node.url}/data/${id}`,
    );
    assert.equal(found.status, "confirmed", `message ${id}`);
    assert.equal(found.message, messages[i]);
    const block = await getJson<Block>(`${node.url}/blocks/${found.index}`);
    assert.equal(block.data.id, id);
  }
}

/** Waits until nothing is pending and the chain file and its .hash hold the node's whole chain; its blocks. */
async function settled(node: NodeProcess, format: Format): Promise<Block[]> {
  for (let round = 0; round < 20; round++) {
    await waitFor(async () => (await getJson<Status>(`${node.url}/status`)).pending === 0, {
      what: "nothing pending",
      timeoutMs: 30_000,
    });
    const { length } = await getJson<Status>(`${node.url}/status`);
    const blocks = await minedAndSaved(node, format, length);
    if ((await getJson<Status>(`${node.url}/status`)).length === length) return blocks;
  }
  throw new Error("the chain kept changing");
}

for (const format of FORMATS) {
  test(`${format}: a node stopped cleanly restarts from its index snapshot, after a kill -9 from its part of the file, and not after a switch of branch below it; nothing acknowledged is lost`, {
    skip: SKIP,
  }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, format === "json" ? "chain.json" : "chain.bin");
      const first = ["one", "grüße, 世界 🎉", "three", "four", "five"];
      const second = ["six", "seven", "eight"];
      const last = ["nine", "ten"];

      // 1. Mines five messages, stops cleanly: the snapshot is written.
      let node = await startNode(path, format);
      let ids: string[];
      let before: Block[];
      try {
        ids = await add(node, first);
        before = await minedAndSaved(node, format, first.length + 1);
      } finally {
        assert.equal(await node.stop(), 0, node.output());
      }
      await access(indexSnapshotPath(path));

      // 2. Starts from it; mines three more, saves them, and is killed.
      node = await startNode(path, format);
      let secondIds: string[];
      let saved: Block[];
      try {
        const line = await lastLoadLine(dir);
        assert.deepEqual(
          [line.blocks, line.index_snapshot, line.blocks_after_snapshot],
          [before.length, true, 0],
        );
        const { blocks } = await getJson<{ blocks: Block[] }>(`${node.url}/blocks?from=0`);
        assert.deepEqual(blocks, before);
        await assertConfirmed(node, ids, first);
        const cli = await runCli(
          ["get", "message", ids[1] as string, "--port", String(node.port)],
          {
            timeoutMs: 30_000,
          },
        );
        assert.equal(cli.code, 0, cli.stderr);
        assert.match(cli.stdout, /confirmed/);
        assert.ok(cli.stdout.includes("grüße, 世界 🎉"), cli.stdout);
        secondIds = await add(node, second);
        saved = await minedAndSaved(node, format, before.length + second.length);
      } finally {
        await node.kill();
      }

      // 3. The file grew since the snapshot: its part from the snapshot, the three blocks after
      // it read from the file. Then a longer branch from genesis wins (a switch of branch below
      // the snapshot's part), the node mines the returned messages again, two more messages
      // are acknowledged and the node is killed at once.
      node = await startNode(path, format);
      let lastIds: string[];
      try {
        const line = await lastLoadLine(dir);
        assert.deepEqual(
          [line.blocks, line.index_snapshot, line.blocks_after_snapshot],
          [saved.length, true, second.length],
        );
        const { blocks } = await getJson<{ blocks: Block[] }>(`${node.url}/blocks?from=0`);
        assert.deepEqual(blocks, saved);
        await assertConfirmed(node, [...ids, ...secondIds], [...first, ...second]);
        const branch = buildChain(saved.length + 1, { difficulty: 1, messages: ["branch"] });
        const announced = await postJson<{ accepted: boolean }>(`${node.url}/blocks`, {
          blocks: branch.slice(1),
        });
        assert.equal(announced.body.accepted, true);
        const after = await settled(node, format);
        assert.deepEqual(after.slice(0, branch.length), branch);
        lastIds = await add(node, last);
      } finally {
        await node.kill();
      }

      // 4. The snapshot's part of the file changed: not used; nothing acknowledged is lost.
      node = await startNode(path, format);
      try {
        const line = await lastLoadLine(dir);
        assert.equal(line.index_snapshot, false, "the bytes the snapshot covers changed");
        const all = (await getJson<{ blocks: Block[] }>(`${node.url}/blocks?from=0`)).blocks;
        assert.ok(all.length >= saved.length + 1 + first.length + second.length, `${all.length}`);
        await assertConfirmed(node, [...ids, ...secondIds], [...first, ...second]);
        // Acknowledged just before the kill: each in the chain or pending, once.
        for (const [i, id] of lastIds.entries()) {
          const found = await getJson<{ message: string }>(`${node.url}/data/${id}`);
          assert.equal(found.message, last[i]);
        }
        const pending = await getJson<{ id: string }[]>(`${node.url}/data`);
        const everyId = [...all.map((b) => b.data.id), ...pending.map((d) => d.id)];
        assert.equal(new Set(everyId).size, everyId.length, "no message twice");
      } finally {
        assert.equal(await node.stop(), 0, node.output());
      }
    });
  });
}
