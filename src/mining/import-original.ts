import type { Block } from "../core/block.js";
import { messageProblem } from "../core/data.js";
import { genesisBlock } from "../core/genesis.js";
import { hashBlock } from "../core/hash.js";
import type { OriginalBlock } from "../core/original-chain.js";
import type { ProofRule, ProofSearchInput } from "../core/pow.js";
import { linkProblem, MAX_FUTURE_DRIFT_MS } from "../core/validate.js";

/** The proof search an import uses (the worker pool). */
export interface ImportSearcher {
  search(
    input: ProofSearchInput,
    difficulty: number,
    signal?: AbortSignal,
  ): Promise<{ proof: number } | null>;
}

export interface ImportOptions {
  difficulty: number;
  rule: ProofRule;
  maxMessageBytes: number;
  /** The clock, in ms (tests pass their own). */
  now?: number;
  signal?: AbortSignal;
  /** Called after each block is mined: how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

/** An original block that cannot become a block of this node's chain. */
export class ImportError extends Error {
  readonly code = "IMPORT_FAILED";
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(`block ${index}: ${reason}`);
    this.name = "ImportError";
  }
}

/**
 * The timestamps of the imported blocks, in ms: the original's seconds times
 * 1000, rounded, and raised where needed to stay strictly after the previous
 * block (genesis is at 0). Throws an ImportError for one too far in the future.
 */
export function importedTimestamps(original: readonly OriginalBlock[], now: number): number[] {
  const stamps: number[] = [];
  let previous = genesisBlock().timestamp;
  for (const block of original.slice(1)) {
    const ms = Math.max(Math.round(block.timestamp * 1000), previous + 1);
    if (ms > now + MAX_FUTURE_DRIFT_MS) {
      throw new ImportError(block.index, "timestamp is more than 2 hours in the future");
    }
    stamps.push(ms);
    previous = ms;
  }
  return stamps;
}

/**
 * Builds this node's chain from an original chain (already checked by the
 * original's rules): the same messages with the same ids, in the same order,
 * on this node's genesis, each block mined anew under `rule` at `difficulty`.
 * The original's genesis is not carried over: this node's genesis stands in
 * for it. Throws an ImportError naming the first block that cannot be
 * imported (a message over the size limit); resolves null when aborted.
 */
export async function importOriginalChain(
  original: readonly OriginalBlock[],
  searcher: ImportSearcher,
  opts: ImportOptions,
): Promise<Block[] | null> {
  const stamps = importedTimestamps(original, opts.now ?? Date.now());
  for (const block of original.slice(1)) {
    const problem = messageProblem(block.data.message, opts.maxMessageBytes);
    if (problem) throw new ImportError(block.index, problem);
  }
  const chain: Block[] = [genesisBlock()];
  const total = original.length - 1;
  for (const [i, block] of original.slice(1).entries()) {
    const parent = chain[chain.length - 1] as Block;
    const unproven = {
      index: parent.index + 1,
      timestamp: stamps[i] as number,
      data: { id: block.data.id, message: block.data.message },
      previous_hash: hashBlock(parent),
    };
    const input = opts.rule.searchInput(unproven, parent);
    const found = await searcher.search(input, opts.difficulty, opts.signal);
    if (found === null) return null;
    const mined: Block = { ...unproven, proof: found.proof };
    // The rule has the last word: a block it refuses is never written.
    const problem = linkProblem(parent, mined, {
      difficulty: opts.difficulty,
      rule: opts.rule,
      maxMessageBytes: opts.maxMessageBytes,
      ...(opts.now !== undefined ? { now: opts.now } : {}),
    });
    if (problem) throw new ImportError(mined.index, problem);
    chain.push(mined);
    opts.onProgress?.(i + 1, total);
  }
  return chain;
}
