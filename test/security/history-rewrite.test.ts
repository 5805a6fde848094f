// Attack 1 of issue 12: history rewritten with no work. Under the original rule
// a proof depends only on the previous proof, so an attacker takes the tip's
// blocks, changes their messages under the same ids, re-links them, keeps the
// proofs and wins the tie on the tip hash with one POST /blocks. The rewrite is
// accepted (the rule allows it; docs/security.md says so), but no acknowledged text
// is lost: each replaced text is pending again under a new id, a reorg event
// says which, a warning is logged and the deep reorg is counted.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { writeChainFile } from "../../src/storage/chain-store.js";
import { buildChain } from "../helpers/chain-factory.js";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { withTempDir } from "../helpers/temp-dir.js";

const D = 2;
const FORK_FROM = 10;

/** The attacker's branch: blocks from `from` with new texts under the same ids, proofs kept. */
function forgeFrom(chain: readonly Block[], from: number): Block[] {
  const forged = chain.map((b) => ({ ...b, data: { ...b.data } }));
  for (let i = from; i < forged.length; i++) {
    const block = forged[i] as Block;
    block.data.message = `forged ${i}`;
    block.previous_hash = hashBlock(forged[i - 1] as Block);
  }
  // Change the last text until the tip hash is below the honest one: the tie is won.
  const tip = forged[forged.length - 1] as Block;
  const honestTip = hashBlock(chain[chain.length - 1] as Block);
  for (let n = 0; hashBlock(tip) >= honestTip; n++) tip.data.message = `forged tip ${n}`;
  return forged.slice(from);
}

/** Reads SSE text from `url` until `event: name` arrives; returns its data. */
async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>, name: string) {
  const decoder = new TextDecoder();
  let text = "";
  for (let reads = 0; reads < 1000 && !text.includes(`event: ${name}\n`); reads++) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  const data = text.split(`event: ${name}\n`)[1]?.split("data: ")[1]?.split("\n")[0];
  assert.ok(data, `no ${name} event in ${text}`);
  return JSON.parse(data);
}

test("a rewritten history under the same ids gives every replaced text back to pending", async () => {
  await withTempDir(async (dir) => {
    const honest = buildChain(20, { difficulty: D, messages: ["acknowledged"] });
    const chainPath = join(dir, "chain.json");
    await writeChainFile(chainPath, "json", honest);
    const node = await startTestMiner({ mine: false, pathToChain: chainPath, difficulty: D }, dir);
    const controller = new AbortController();
    try {
      const stream = await fetch(`${node.url}/events`, { signal: controller.signal });
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const forged = forgeFrom(honest, FORK_FROM);
      const answer = await postJson(`${node.url}/blocks`, { blocks: forged });
      assert.deepEqual(answer.body, { accepted: true, length: 20 });

      const reorg = await nextEvent(reader, "reorg");
      const abandoned = honest.slice(FORK_FROM);
      assert.equal(reorg.fork_index, FORK_FROM - 1);
      assert.deepEqual(
        reorg.replaced.map((r: { id: string }) => r.id),
        abandoned.map((b) => b.data.id),
      );
      assert.deepEqual(
        reorg.returned,
        reorg.replaced.map((r: { new_id: string }) => r.new_id),
      );
      // Every acknowledged text is pending again, under its new id.
      const pending = (await http(`${node.url}/data`)).body as { id: string; message: string }[];
      assert.deepEqual(
        pending.map((d) => d.message).sort(),
        abandoned.map((b) => b.data.message).sort(),
      );
      for (const { id, new_id } of reorg.replaced) {
        const old = abandoned.find((b) => b.data.id === id) as Block;
        const lookup = await http(`${node.url}/data/${new_id}`);
        assert.deepEqual(lookup.body, { id: new_id, message: old.data.message, status: "pending" });
      }
      const metrics = (await http(`${node.url}/metrics`)).body as string;
      assert.match(metrics, /^blockchain_deep_reorgs_total 1$/m);
    } finally {
      controller.abort();
      await node.stop();
    }
  });
});

test("an extension of the chain returns nothing and counts no deep reorg", async () => {
  await withTempDir(async (dir) => {
    const honest = buildChain(8, { difficulty: D });
    const chainPath = join(dir, "chain.json");
    await writeChainFile(chainPath, "json", honest.slice(0, 7));
    const node = await startTestMiner({ mine: false, pathToChain: chainPath, difficulty: D }, dir);
    try {
      const answer = await postJson(`${node.url}/blocks`, { blocks: honest.slice(5) });
      assert.equal(answer.body.accepted, true);
      assert.deepEqual((await http(`${node.url}/data`)).body, []);
      const metrics = (await http(`${node.url}/metrics`)).body as string;
      assert.match(metrics, /^blockchain_deep_reorgs_total 0$/m);
    } finally {
      await node.stop();
    }
  });
});
