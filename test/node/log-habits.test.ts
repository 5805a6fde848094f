import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { NodeProcess } from "../helpers/node-process.js";
import { postJson, startTestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";
import { waitFor } from "../helpers/wait-for.js";

const D = 2;

/** `count` blocks after `parent`, their messages tagged so that branches differ. */
function branch(parent: Block, count: number, tag: string): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < count; i++) blocks.push(mineNext(blocks.at(-1) ?? parent, D, `${tag} ${i}`));
  return blocks;
}

/** A one-block branch after genesis whose tip hash is smaller than `than`'s: it wins the tie. */
function winningTie(than: Block): Block {
  for (let k = 0; k < 1000; k++) {
    const [block] = branch(genesisBlock(), 1, `tie ${k}`) as [Block];
    if (hashBlock(block) < hashBlock(than)) return block;
  }
  throw new Error("no smaller hash in 1000 tries");
}

test("a one-block reorg is logged at info, a deeper one at warn", async () => {
  const node = await startTestMiner({ mine: false, difficulty: D, logLevel: "info" });
  try {
    const announce = async (blocks: Block[]) =>
      assert.equal((await postJson(`${node.url}/blocks`, { blocks })).body.accepted, true);
    const [a1] = branch(genesisBlock(), 1, "a") as [Block];
    await announce([a1]);
    await announce([winningTie(a1)]); // replaces 1 block
    await announce(branch(genesisBlock(), 2, "c")); // replaces 1 block, adds one
    await announce(branch(genesisBlock(), 3, "d")); // replaces 2 blocks
    const reorgs = await waitFor(
      async () => {
        const lines = (await readFile(join(node.dir, "miner.log"), "utf8")).split("\n");
        const found = lines
          .filter((l) => l.includes("switched to another branch"))
          .map(
            (l) =>
              JSON.parse(l) as {
                level: number;
                abandoned: number;
                old_tip: string;
                new_tip: string;
              },
          );
        return found.length === 3 ? found : null;
      },
      { what: "three reorgs in miner.log" },
    );
    assert.deepEqual(
      reorgs.map((r) => [r.abandoned, r.level]),
      [
        [1, 30],
        [1, 30],
        [2, 40],
      ],
    );
    // Each line names the tips it went from and to, so that a trace can follow a tie.
    assert.match(reorgs[0]?.new_tip ?? "", /^[0-9a-f]{64}$/);
    assert.equal(reorgs[1]?.old_tip, reorgs[0]?.new_tip);
    assert.equal(reorgs[2]?.old_tip, reorgs[1]?.new_tip);
  } finally {
    await node.stop();
  }
});

test("--log-format json writes the console log as JSON lines", async () => {
  const node = await NodeProcess.start({
    args: ["--difficulty", "2", "--workers", "1", "--log-level", "info", "--log-format", "json"],
  });
  try {
    const serving = await waitFor(
      () =>
        node
          .output()
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l))
          .find((e) => /^serving on /.test(e.msg)),
      { what: `a JSON 'serving on' line in:\n${node.output()}` },
    );
    assert.equal(serving.level, 30);
    assert.equal(typeof serving.time, "number");
  } finally {
    await node.stop();
  }
});
