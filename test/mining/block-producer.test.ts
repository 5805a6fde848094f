import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ChainState } from "../../src/chain/chain-state.js";
import { silentLogger } from "../../src/config/logger.js";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import type { ProofSearchInput } from "../../src/core/pow.js";
import { BlockProducer, type ProofSearcher } from "../../src/mining/block-producer.js";
import { ProofSearchPool } from "../../src/mining/proof-search-pool.js";
import { memoryPool } from "../helpers/memory-pool.js";
import { tinyChain } from "../helpers/tiny-chain.js";
import { waitFor } from "../helpers/wait-for.js";

const D = 2;
const pool = new ProofSearchPool({ workers: 1 });
after(() => pool.close());

/** The real proof search, held at a gate until the test opens it, counting its calls. */
class GatedSearcher implements ProofSearcher {
  calls = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => {
    this.open = resolve;
  });

  get searching(): boolean {
    return pool.searching;
  }

  get hashrate(): number {
    return pool.hashrate;
  }

  release(): void {
    this.open();
  }

  async search(input: ProofSearchInput, difficulty: number, signal?: AbortSignal) {
    this.calls++;
    await this.gate;
    return pool.search(input, difficulty, signal);
  }
}

/** A block at the same height as `block`, with the same proof and another message, whose hash is smaller. */
function smallerSibling(block: Block): Block {
  for (let i = 0; i < 1000; i++) {
    const sibling = {
      ...block,
      data: { id: i.toString(16).padStart(32, "b"), message: `sibling ${i}` },
    };
    if (hashBlock(sibling) < hashBlock(block)) return sibling;
  }
  throw new Error("no sibling with a smaller hash");
}

describe("the block producer", () => {
  it("goes on with its search when the tip goes to a sibling with the same proof, and builds on it", async () => {
    const chain = new ChainState(tinyChain(2, D), { difficulty: D });
    const pending = memoryPool(chain, 10);
    // As the node does: a message that joins the chain leaves the pending set.
    chain.on("blocks", (joined) => {
      for (const block of joined.blocks()) pending.forget(block.data.id);
    });
    await pending.add({ id: "a".repeat(32), message: "to mine" }, null);
    const searcher = new GatedSearcher();
    const producer = new BlockProducer({
      chain,
      pending,
      searcher,
      logger: silentLogger(),
      metrics: null,
    });
    producer.start();
    try {
      await waitFor(() => searcher.calls === 1, { what: "the search to start" });
      const sibling = smallerSibling(chain.tip);
      assert.equal(chain.offer([sibling], null).status, "accepted");
      searcher.release();
      await waitFor(() => chain.length === 3, { timeoutMs: 10_000, what: "the mined block" });
      assert.equal(chain.blockAt(2)?.previous_hash, hashBlock(sibling));
      assert.equal(searcher.calls, 1, "the search was not started again");
    } finally {
      await producer.stop();
    }
  });
});
