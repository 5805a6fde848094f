import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock, sha256Hex } from "../../src/core/hash.js";
import { proofOfWork, searchProofRange } from "../../src/core/pow.js";
import { contentSearchInput, type ProofRuleName } from "../../src/core/proof-rules.js";

export interface BuildChainOptions {
  /** Keep it low (1 or 2): the proofs are searched on the calling thread. */
  difficulty: number;
  /** Message of block i (from 1); cycles when shorter than the chain. Default `message <i>`. */
  messages?: readonly string[];
  /** Timestamp of block 1; each later block is 1000 ms later. Default 1_700_000_000_000. */
  startTimestamp?: number;
  /** The proof rule the blocks are mined under (default original). */
  rule?: ProofRuleName;
}

const DEFAULT_START = 1_700_000_000_000;

/** A valid chain of `length` blocks, genesis included, with unique data ids. */
export function buildChain(length: number, opts: BuildChainOptions): Block[] {
  return extendChain([genesisBlock()], length - 1, opts);
}

/**
 * `chain` followed by `count` new valid blocks (a copy; `chain` is not
 * changed). To build a fork, extend a prefix with other messages or
 * timestamps: the new blocks' ids derive from their content, so they differ.
 */
export function extendChain(
  chain: readonly Block[],
  count: number,
  opts: BuildChainOptions,
): Block[] {
  const out = chain.slice();
  let parent = out[out.length - 1];
  if (!parent) throw new RangeError("extendChain needs at least the genesis block");
  const start = opts.startTimestamp ?? DEFAULT_START;
  for (let n = 0; n < count; n++) {
    const index = parent.index + 1;
    const messages = opts.messages;
    const message =
      messages && messages.length > 0
        ? (messages[(index - 1) % messages.length] as string)
        : `message ${index}`;
    const timestamp = Math.max(start + (index - 1) * 1000, parent.timestamp + 1);
    const unproven = {
      index,
      timestamp,
      data: { id: sha256Hex(`${index}\n${timestamp}\n${message}`).slice(0, 32), message },
      previous_hash: hashBlock(parent),
    };
    const proof =
      opts.rule === "content"
        ? contentNonce(unproven, opts.difficulty)
        : proofOfWork(parent.proof, opts.difficulty);
    const block: Block = { ...unproven, proof };
    out.push(block);
    parent = block;
  }
  return out;
}

/** The smallest nonce that makes the block's own hash meet the difficulty (the content rule). */
export function contentNonce(block: Omit<Block, "proof">, difficulty: number): number {
  const input = contentSearchInput(block);
  for (let start = 0; ; start += 1 << 16) {
    const { proof } = searchProofRange(input, start, start + (1 << 16), difficulty);
    if (proof !== null) return proof;
  }
}
