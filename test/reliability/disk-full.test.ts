import assert from "node:assert/strict";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { buildChain } from "../helpers/chain-factory.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { withTmpfs } from "../helpers/tmpfs.js";
import { waitFor } from "../helpers/wait-for.js";

/** Fills the file system of `dir` with a file of zeros until it refuses more (ENOSPC). */
async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, "filler");
  const file = await open(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let i = 0; i < 10_000; i++) {
      try {
        const { bytesWritten } = await file.write(chunk);
        if (bytesWritten < chunk.length) break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw err;
      }
    }
    // The last pages too, a small write at a time.
    for (let i = 0; i < 10_000; i++) {
      try {
        await file.write(Buffer.alloc(512));
      } catch {
        break;
      }
    }
  } finally {
    await file.close();
  }
  return path;
}

async function add(
  url: string,
  text: string,
): Promise<{ status: number; body: { id?: string; message: string } }> {
  return postJson(`${url}/add`, { message: text });
}

test("a full disk: /add answers 507 JSON, reads go on, the node heals once space is free, nothing acknowledged is lost", async (t) => {
  const outcome = await withTmpfs("4m", async (dir) => {
    const nodes: TestMiner[] = [];
    try {
      const node = await startTestMiner({ mine: false, backupIntervalS: 0.3 }, dir);
      nodes.push(node);
      const acked: string[] = [];
      for (let i = 0; i < 20; i++) {
        const answer = await add(node.url, `before the disk filled ${i}`);
        assert.equal(answer.status, 200);
        acked.push(answer.body.id as string);
      }
      const filler = await fillDisk(dir);

      // Adds until the journal's last page is full too: each answered at once, 200 or 507.
      let full: { status: number; body: { message: string } } | null = null;
      for (let i = 0; i < 5_000 && !full; i++) {
        const answer = await add(node.url, `while the disk fills ${i} ${"x".repeat(200)}`);
        if (answer.status === 200) acked.push(answer.body.id as string);
        else full = answer;
      }
      assert.ok(full, "some add was refused");
      assert.equal(full.status, 507, JSON.stringify(full.body));
      assert.match(full.body.message, /disk is full/);
      for (let i = 0; i < 5; i++) {
        const again = await add(node.url, `refused ${i}`);
        assert.equal(again.status, 507, JSON.stringify(again.body));
      }

      // Blocks from a peer: the chain grows in memory, its backup cannot be written.
      const chain = buildChain(60, { difficulty: 2, messages: [`${"block ".repeat(40)}`] });
      const announce = await postJson(`${node.url}/blocks`, { blocks: chain.slice(1) });
      assert.equal(announce.status, 200, JSON.stringify(announce.body));
      const failing = await waitFor(
        async () => {
          const { body } = await http(`${node.url}/status`);
          return body.storage.journal === "failing" && body.storage.backup === "failing" && body;
        },
        { what: "/status to show the journal and the backup failing" },
      );
      assert.equal(failing.length, 60, "reads keep working");
      assert.match(failing.storage.error, /ENOSPC|disk is full|no space/i);
      const metrics = (await http(`${node.url}/metrics`)).body as string;
      assert.match(metrics, /^blockchain_journal_failing 1$/m);
      assert.match(metrics, /^blockchain_backup_failing 1$/m);
      assert.match(metrics, /^blockchain_backup_failures_total [1-9]/m);

      // Space again: no restart, no request needed for the node to heal.
      await rm(filler);
      await waitFor(
        async () => {
          const { body } = await http(`${node.url}/status`);
          return body.storage.journal === "ok" && body.storage.backup === "ok";
        },
        { what: "the journal and the backup to recover by themselves" },
      );
      const after = await add(node.url, "after the disk was freed");
      assert.equal(after.status, 200, JSON.stringify(after.body));
      acked.push(after.body.id as string);
      for (const id of acked) {
        assert.equal((await http(`${node.url}/data/${id}`)).status, 200, `${id} is kept`);
      }
      await node.miner.stop();

      // A restart loads the saved chain and every acknowledged message, once.
      const again = await startTestMiner({ mine: false }, dir);
      nodes.push(again);
      assert.equal(again.miner.chain.length, 60);
      const pending = new Set(again.miner.pending.map((d) => d.id));
      assert.deepEqual(
        acked.filter((id) => !pending.has(id)),
        [],
        "every acknowledged message is pending after the restart",
      );
      assert.equal(again.miner.pending.length, acked.length, "and none twice, none refused");
    } finally {
      for (const node of nodes) await node.miner.stop().catch(() => undefined);
    }
  });
  if ("skipped" in outcome) t.skip(outcome.skipped);
});
