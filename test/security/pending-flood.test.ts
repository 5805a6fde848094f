// Attack 6 of issue 12: 21 POST /data of 500 valid 16 KB messages filled the
// pending set, locked out PUT /add for hours, and made a journal rewritten
// whole at every backup.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { newDataId } from "../../src/core/data.js";
import { PendingPool } from "../../src/pool/pending-pool.js";
import { rawRequest } from "../helpers/raw-request.js";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { withTempDir } from "../helpers/temp-dir.js";

const D = 2;

test("a flood of relayed messages takes one source's share, and PUT /add still works", async () => {
  const maxPending = 400;
  const node = await startTestMiner({ mine: false, difficulty: D, maxPending });
  try {
    const text = "y".repeat(16 * 1000);
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const data = Array.from({ length: 100 }, () => ({ id: newDataId(), message: text }));
      // No header, or a forged one: either way the share is the posting address's.
      const headers: Record<string, string> =
        round % 2 ? { "x-blockchain-node": `127.0.0.${round + 2}:1` } : {};
      statuses.push((await postJson(`${node.url}/data`, { data }, headers)).status);
    }
    assert.deepEqual(statuses, [200, 503, 503, 503, 503]);
    const refused = await postJson(`${node.url}/data`, {
      data: [{ id: newDataId(), message: "one more" }],
    });
    assert.equal(refused.status, 503);
    assert.match(refused.body.message, /share of the pending set \(100\)/);
    assert.equal((await http(`${node.url}/status`)).body.pending, maxPending / 4);
    for (let i = 0; i < 20; i++) {
      const added = await http(`${node.url}/add?message=${randomUUID()}`, { method: "PUT" });
      assert.equal(added.status, 200);
    }
  } finally {
    await node.stop();
  }
});

test("relayed messages from many sources leave room for local adds", async () => {
  const maxPending = 40;
  const node = await startTestMiner({ mine: false, difficulty: D, maxPending });
  try {
    // Each posting address may hold a quarter; relays together stop at 36 of 40.
    const statuses: number[] = [];
    for (const ip of ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"]) {
      const data = Array.from({ length: 10 }, () => ({ id: newDataId(), message: ip }));
      const res = await rawRequest(`${node.url}/data`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data }),
        localAddress: ip,
      });
      statuses.push(res.status);
    }
    assert.equal((await http(`${node.url}/status`)).body.pending, 36);
    assert.equal(statuses.at(-1), 503);
    for (let i = 0; i < 4; i++) {
      const added = await http(`${node.url}/add?message=local${i}`, { method: "PUT" });
      assert.equal(added.status, 200);
    }
    const full = await http(`${node.url}/add?message=over`, { method: "PUT" });
    assert.equal(full.status, 503);
  } finally {
    await node.stop();
  }
});

test("backups of a large pending set do not rewrite the journal each time", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.pending");
    const inChain = new Set<string>();
    const pool = await PendingPool.open(path, { maxPending: 10_000 }, (id) => inChain.has(id));
    try {
      const messages = Array.from({ length: 2000 }, (_, i) => ({
        id: newDataId(),
        message: `message ${i} ${"z".repeat(200)}`,
      }));
      assert.equal((await pool.addBatch(messages, null)).added, 2000);
      const ids = messages.map((d) => d.id);
      const inode = (await stat(path)).ino;
      // Ten backups, each after ten messages were mined: the journal is appended to, not rewritten.
      for (let backup = 0; backup < 10; backup++) {
        for (const id of ids.splice(0, 10)) {
          inChain.add(id);
          pool.forget(id);
        }
        await pool.checkpoint(async () => ({ count: 0, list: () => [] }));
      }
      assert.equal((await stat(path)).ino, inode);
      // Once the dead records outnumber the live ones, one compaction.
      for (const id of ids.splice(0, 1000)) {
        inChain.add(id);
        pool.forget(id);
      }
      await pool.checkpoint(async () => ({ count: 0, list: () => [] }));
      assert.notEqual((await stat(path)).ino, inode);
    } finally {
      await pool.close();
    }
  });
});
