import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { proofOfWork } from "../../src/core/pow.js";

/** The next block after `parent`, mined at `difficulty` (keep it low: this runs on the test thread). */
export function mineNext(
  parent: Block,
  difficulty: number,
  message: string,
  timestamp = parent.timestamp + 1000,
): Block {
  const id = (parent.index + 1).toString(16).padStart(32, "0");
  return {
    index: parent.index + 1,
    timestamp,
    data: { id, message },
    previous_hash: hashBlock(parent),
    proof: proofOfWork(parent.proof, difficulty),
  };
}

/** A valid chain of `length` blocks (genesis included) at `difficulty`. */
export function tinyChain(length: number, difficulty: number): Block[] {
  const chain = [genesisBlock()];
  for (let i = 1; i < length; i++)
    chain.push(
      mineNext(chain[i - 1] as Block, difficulty, `message ${i}`, 1_700_000_000_000 + i * 1000),
    );
  return chain;
}
