import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { buildChain } from "../helpers/chain-factory.js";
import { withFaultFolder } from "../helpers/fault-fs.js";
import { BIN, NodeProcess } from "../helpers/node-process.js";
import { runCommand } from "../helpers/run-command.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

async function add(url: string, text: string) {
  return postJson(`${url}/add`, { message: text }) as Promise<{
    status: number;
    body: { id?: string; message: string };
  }>;
}

test("the chain folder failing write, fsync, create and rename with EIO (FUSE): no add acknowledged meanwhile (503), adds work after, a restart has every acknowledged message once", async (t) => {
  const outcome = await withFaultFolder(async (folder) => {
    const nodes: TestMiner[] = [];
    try {
      const node = await startTestMiner({ mine: false, backupIntervalS: 0.3 }, folder.dir);
      nodes.push(node);
      const acked: string[] = [];
      for (let i = 0; i < 10; i++) {
        const answer = await add(node.url, `before the fault ${i}`);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        acked.push(answer.body.id as string);
      }

      await folder.failing(true);
      for (let i = 0; i < 10; i++) {
        const answer = await add(node.url, `during the fault ${i}`);
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
      }
      // Blocks from a peer: the chain grows in memory, its backup cannot be written.
      const chain = buildChain(30, { difficulty: 2, messages: ["a block during the fault"] });
      const announce = await postJson(`${node.url}/blocks`, { blocks: chain.slice(1) });
      assert.equal(announce.status, 200, JSON.stringify(announce.body));
      const failing = await waitFor(
        async () => {
          const { body } = await http(`${node.url}/status`);
          return body.storage.journal === "failing" && body.storage.backup === "failing" && body;
        },
        { what: "/status to show the journal and the backup failing" },
      );
      assert.equal(failing.length, 30, "reads keep working");
      assert.match(failing.storage.error, /EIO|input\/output/i);

      await folder.failing(false);
      await waitFor(
        async () => {
          const { body } = await http(`${node.url}/status`);
          return body.storage.journal === "ok" && body.storage.backup === "ok";
        },
        { what: "the journal and the backup to recover by themselves" },
      );
      const after = await add(node.url, "after the fault");
      assert.equal(after.status, 200, JSON.stringify(after.body));
      acked.push(after.body.id as string);
      await node.miner.stop();

      // A restart loads the saved chain and every acknowledged message, once.
      const again = await startTestMiner({ mine: false }, folder.dir);
      nodes.push(again);
      assert.equal(again.miner.chain.length, 30);
      const pending = again.miner.pending.map((d) => d.id);
      assert.deepEqual(
        acked.filter((id) => !pending.includes(id)),
        [],
        "every acknowledged message is pending after the restart",
      );
      assert.equal(new Set(pending).size, pending.length, "none twice");
      assert.equal(pending.length, acked.length, "none that was refused");
    } finally {
      for (const node of nodes) await node.miner.stop().catch(() => undefined);
    }
  });
  if ("skipped" in outcome) t.skip(outcome.skipped);
});

test("kill -9 of a node whose backup is failing (FUSE, EIO): it starts again on the chain folder, with every acknowledged message once and a chain file that checks", async (t) => {
  const outcome = await withFaultFolder(async (folder) => {
    const chainPath = join(folder.dir, "chain.json");
    const args = [
      "--no-mine",
      "--difficulty",
      "2",
      "--backup-interval",
      "0.3",
      "--log-level",
      "warn",
    ];
    const nodes: NodeProcess[] = [];
    try {
      const node = await NodeProcess.start({ chainPath, args });
      nodes.push(node);
      const acked: string[] = [];
      for (let i = 0; i < 10; i++) {
        const answer = await add(node.url, `before the kill ${i}`);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        acked.push(answer.body.id as string);
      }
      // Saved once, so that the file holds blocks when the backups start failing.
      const chain = buildChain(30, { difficulty: 2, messages: ["a block from a peer"] });
      assert.equal(
        (await postJson(`${node.url}/blocks`, { blocks: chain.slice(1, 10) })).status,
        200,
      );
      // Two backups ended after the announce: the second began after it, so it saved them.
      const backupAfter = (time: number) =>
        waitFor(
          async () => {
            const { storage } = (await http(`${node.url}/status`)).body;
            return storage.backup === "ok" && storage.last_backup > time && storage.last_backup;
          },
          { what: "a backup after the announce" },
        );
      await backupAfter(await backupAfter(Date.now()));

      await folder.failing(true);
      assert.equal((await postJson(`${node.url}/blocks`, { blocks: chain.slice(10) })).status, 200);
      assert.equal((await add(node.url, "during the fault")).status, 503);
      await waitFor(
        async () => (await http(`${node.url}/status`)).body.storage.backup === "failing" && true,
        { what: "/status to show the backup failing" },
      );
      await node.kill();
      await folder.failing(false);

      const again = await NodeProcess.start({ chainPath, args });
      nodes.push(again);
      const { body: status } = await http(`${again.url}/status`);
      // The blocks saved before the fault, not one of those whose backup failed.
      assert.equal(status.length, 10);
      const { body: pool } = await http(`${again.url}/data`);
      const pending = (pool as Array<{ id: string }>).map((d) => d.id);
      assert.deepEqual(
        acked.filter((id) => !pending.includes(id)),
        [],
        "every acknowledged message is pending after the restart",
      );
      assert.equal(new Set(pending).size, pending.length, "none twice");
      assert.equal(pending.length, acked.length, "none that was refused");
      await again.stop();
      nodes.pop();
      const verified = await runCommand(process.execPath, [
        BIN,
        "verify",
        chainPath,
        "--difficulty",
        "2",
      ]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      assert.match(verified.stdout, new RegExp(`^valid: ${status.length} blocks`));
    } finally {
      for (const node of nodes) await node.kill().catch(() => undefined);
    }
  });
  if ("skipped" in outcome) t.skip(outcome.skipped);
});
