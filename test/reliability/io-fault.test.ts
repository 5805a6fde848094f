import assert from "node:assert/strict";
import { test } from "node:test";
import { buildChain } from "../helpers/chain-factory.js";
import { withFaultFolder } from "../helpers/fault-fs.js";
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
