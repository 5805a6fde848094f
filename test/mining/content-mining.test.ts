import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, it } from "node:test";
import pino from "pino";
import { ChainState } from "../../src/chain/chain-state.js";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import type { ProofSearchInput, UnprovenBlock } from "../../src/core/pow.js";
import { CONTENT_PROOF_RULE, contentSearchInput } from "../../src/core/proof-rules.js";
import { validateChain } from "../../src/core/validate.js";
import { BlockProducer, type ProofSearcher } from "../../src/mining/block-producer.js";
import { ProofSearchPool } from "../../src/mining/proof-search-pool.js";
import { PendingPool } from "../../src/pool/pending-pool.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

/** The plain reference: hash the whole canonical encoding of each nonce with node:crypto, in order. */
function referenceNonce(block: UnprovenBlock, difficulty: number): number {
  const zeros = "0".repeat(difficulty);
  for (let nonce = 0; ; nonce++) {
    const digest = createHash("sha256")
      .update(encodeBlock({ ...block, proof: nonce }))
      .digest("hex");
    if (digest.endsWith(zeros)) return nonce;
  }
}

/** Blocks whose encodings end at every offset of a 64-byte SHA-256 block, some multi-byte. */
function sampleBlocks(): UnprovenBlock[] {
  const messages = [
    "a",
    "é",
    "x".repeat(30),
    "日本語のメッセージ",
    "y".repeat(200),
    "z".repeat(5000),
  ];
  for (let n = 0; n < 64; n += 9) messages.push("m".repeat(n + 1));
  return messages.map((message, i) => ({
    index: i + 1,
    timestamp: 1_700_000_000_000 + i,
    data: { id: (i + 1).toString(16).padStart(32, "0"), message },
    previous_hash: "ab".repeat(32),
  }));
}

/** A searcher that runs the real pool and records every input it is asked to search. */
function recording(pool: ProofSearchPool): ProofSearcher & { inputs: ProofSearchInput[] } {
  const inputs: ProofSearchInput[] = [];
  return {
    inputs,
    search: (input, difficulty, signal) => {
      inputs.push(input);
      return pool.search(input, difficulty, signal);
    },
    get searching() {
      return pool.searching;
    },
    get hashrate() {
      return pool.hashrate;
    },
  };
}

/** The timestamp held by a content search input's prefix. */
function timestampOf(input: ProofSearchInput): number {
  return Number(/"timestamp":(\d+),/.exec(input.prefix)?.[1]);
}

async function withProducer(
  difficulty: number,
  restampAfterMs: number,
  body: (parts: {
    chain: ChainState;
    pending: PendingPool;
    searcher: ReturnType<typeof recording>;
    producer: BlockProducer;
  }) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const chain = new ChainState([genesisBlock()], { difficulty, rule: CONTENT_PROOF_RULE });
    const pending = await PendingPool.open(join(dir, "chain.pending"), { maxPending: 100 }, (id) =>
      chain.hasData(id),
    );
    // As the Miner wires them: a mined message leaves the pending set.
    chain.on("blocks", (joined) => {
      for (const block of joined.blocks()) pending.forget(block.data.id);
    });
    const pool = new ProofSearchPool({ workers: 2, chunkSize: 4096 });
    const searcher = recording(pool);
    const producer = new BlockProducer({
      chain,
      pending,
      searcher,
      logger: pino({ level: "silent" }),
      metrics: null,
      rule: CONTENT_PROOF_RULE,
      restampAfterMs,
    });
    try {
      await body({ chain, pending, searcher, producer });
    } finally {
      await producer.stop();
      await pool.close();
      await pending.close();
    }
  });
}

describe("the content rule's search", () => {
  for (const workers of [1, 2]) {
    it(`finds the nonce of a plain reference search on the same blocks (${workers} worker(s))`, async () => {
      const pool = new ProofSearchPool({ workers, chunkSize: 211 });
      try {
        for (const block of sampleBlocks()) {
          const found = await pool.search(contentSearchInput(block), 3);
          assert.ok(found, `no nonce for block ${block.index}`);
          assert.equal(found.proof, referenceNonce(block, 3), `block ${block.index}`);
          assert.ok(hashBlock({ ...block, proof: found.proof }).endsWith("000"));
        }
      } finally {
        await pool.close();
      }
    });
  }

  it("a mined block keeps the timestamp its nonce was found for and follows the rule", async () => {
    await withProducer(2, 1000, async ({ chain, pending, searcher, producer }) => {
      producer.start();
      await pending.add({ id: "1".repeat(32), message: "bound to its proof" });
      await waitFor(() => chain.length === 2, { what: "a mined block" });
      await producer.stop();
      const block = chain.tip;
      assert.ok(hashBlock(block).endsWith("00"));
      assert.deepEqual(validateChain(chain.blocks, { difficulty: 2, rule: CONTENT_PROOF_RULE }), {
        ok: true,
      });
      const last = searcher.inputs[searcher.inputs.length - 1] as ProofSearchInput;
      assert.equal(`${last.prefix}${block.proof}${last.suffix}`, encodeBlock(block as Block));
    });
  });

  it("a search that runs long starts again with a fresh timestamp", async () => {
    // Difficulty 12 is never met within the test: each search ends by the clock only.
    await withProducer(12, 30, async ({ pending, searcher, producer }) => {
      producer.start();
      await pending.add({ id: "2".repeat(32), message: "waiting long" });
      await waitFor(() => searcher.inputs.length >= 3, { what: "three searches" });
      await producer.stop();
      const stamps = searcher.inputs.map(timestampOf);
      for (let i = 1; i < stamps.length; i++) {
        assert.ok((stamps[i] as number) > (stamps[i - 1] as number), `restamp ${i}: ${stamps}`);
      }
      // Only the timestamp changes between the searches of one block.
      const others = new Set(searcher.inputs.map((input) => input.prefix.replace(/\d{13}/, "T")));
      assert.equal(others.size, 1);
    });
  });
});
