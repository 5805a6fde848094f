import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import type { Data } from "../../src/core/data.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { http, postJson, startTestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";
import { waitFor } from "../helpers/wait-for.js";

const D = 2;

/** A branch from genesis holding `messages`, one a block (the original rule's proof ignores content). */
function branch(messages: Data[]): Block[] {
  const blocks: Block[] = [];
  let parent = genesisBlock();
  for (const data of messages) {
    const block = { ...mineNext(parent, D, data.message), data };
    blocks.push(block);
    parent = block;
  }
  return blocks;
}

function fileLines(path: string): number {
  return readFileSync(path, "utf8").trim().split("\n").length;
}

test("messages returned by a deep reorg survive the backup that cuts the chain file back, and a restart", async () => {
  const node = await startTestMiner({ mine: false, difficulty: D, backupIntervalS: 0.1 });
  const { dir, chainPath } = node;
  try {
    const local: Data[] = [];
    for (let i = 0; i < 60; i++) {
      const { body } = await postJson(`${node.url}/add`, { message: `local ${i}` });
      local.push({ id: body.id, message: `local ${i}` });
    }
    // A peer mines our 60 messages; the backup puts them on disk and trims the journal.
    assert.deepEqual((await postJson(`${node.url}/blocks`, { blocks: branch(local) })).body, {
      accepted: true,
      length: 61,
    });
    await waitFor(() => fileLines(chainPath) === 61, { what: "the 60 blocks on disk" });
    // A longer branch without them wins: all 60 must come back to pending, durably.
    const other = Array.from({ length: 61 }, (_, i) => ({
      id: (i + 1).toString(16).padStart(32, "e"),
      message: `other ${i}`,
    }));
    assert.deepEqual((await postJson(`${node.url}/blocks`, { blocks: branch(other) })).body, {
      accepted: true,
      length: 62,
    });
    await waitFor(async () => (await http(`${node.url}/status`)).body.pending === 60, {
      what: "60 messages pending again",
    });
    await waitFor(() => readFileSync(chainPath, "utf8").includes("other 60"), {
      what: "the new branch on disk",
    });
  } finally {
    await node.miner.stop();
  }
  const again = await startTestMiner({ mine: false, difficulty: D }, dir);
  try {
    const pending = (await http(`${again.url}/data`)).body as Data[];
    assert.equal(pending.length, 60, "every returned message is still pending after a restart");
    assert.ok(readFileSync(chainPath, "utf8").includes("other 60"), "the new branch is on disk");
  } finally {
    await again.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
