import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { proofOfWork } from "../../src/core/pow.js";

export interface LongChainOptions {
  difficulty: number;
  /** The last block's timestamp (default: one second ago, so the node's next block follows it). */
  endAt?: number;
}

/**
 * A valid chain of `length` blocks (genesis included), written to `path` in the
 * json format (one canonical block per line, genesis first), block by block so
 * that 100,000 blocks never sit in memory. Resolves to the last block.
 */
export async function writeLongChain(
  path: string,
  length: number,
  opts: LongChainOptions,
): Promise<Block> {
  // A cheap hash of the index spreads the intervals irregularly between 1 and 9 s.
  const intervals = (i: number) => 1000 + ((Math.imul(i, 2_654_435_761) >>> 0) % 8000);
  let total = 0;
  for (let i = 1; i < length; i++) total += intervals(i);
  let timestamp = (opts.endAt ?? Date.now() - 1000) - total;

  const out = createWriteStream(path);
  let block = genesisBlock();
  let parentHash = hashBlock(block);
  out.write(`${encodeBlock(block)}\n`);
  for (let i = 1; i < length; i++) {
    timestamp += intervals(i);
    block = {
      index: i,
      timestamp,
      data: { id: i.toString(16).padStart(32, "0"), message: `Block ${i} of a long test chain` },
      previous_hash: parentHash,
      proof: proofOfWork(block.proof, opts.difficulty),
    };
    parentHash = hashBlock(block);
    if (!out.write(`${encodeBlock(block)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return block;
}
