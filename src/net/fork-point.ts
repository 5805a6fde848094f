import type { Block } from "../core/block.js";
import { hashBlock } from "../core/hash.js";
import type { RecordPage } from "../storage/codecs/record-page.js";

/** The parts of our chain the fork-point search reads. */
export interface ChainView {
  readonly length: number;
  hashAt(index: number): string | undefined;
}

/** Fetches up to `limit` of the peer's blocks from index `from` (consecutive, starting at `from`). */
export type FetchBlocks = (from: number, limit: number) => Promise<RecordPage>;

/** The last block both chains share, and the peer's blocks after it already fetched on the way. */
export interface ForkPoint {
  fork: number;
  /** The peer's blocks right after the fork point, already fetched (maybe none). */
  blocks: RecordPage | null;
  /** The page fetched at our tip index when the fork is below it: still needed later, so kept. */
  ahead: RecordPage | null;
}

/** The peer's answers contradict each other (it switched branch meanwhile, or it lies). */
export class ForkSearchError extends Error {
  readonly code = "FORK_SEARCH";
  constructor(message: string) {
    super(message);
    this.name = "ForkSearchError";
  }
}

/**
 * Finds the last block our chain shares with a peer's (at least as long) chain
 * with few requests: one page at our tip index (a fast-forward needs no more,
 * and the rest of that page is already useful), else 1-block probes walking
 * back exponentially, then a binary search. Each probed block also tells its
 * parent's hash, so a fork one block below the probe is found at once.
 */
export async function findForkPoint(
  chain: ChainView,
  fetch: FetchBlocks,
  pageLimit: number,
): Promise<ForkPoint> {
  const tipIndex = chain.length - 1;
  const page = await fetch(tipIndex, pageLimit);
  const first = firstOf(page, tipIndex);
  if (hashBlock(first) === chain.hashAt(tipIndex))
    return { fork: tipIndex, blocks: page.after(1), ahead: null };
  if (tipIndex === 0) throw new ForkSearchError("the peer's genesis block differs");
  if (first.previous_hash === chain.hashAt(tipIndex - 1))
    return { fork: tipIndex - 1, blocks: page, ahead: null };
  // Invariant: the chains agree at `lo` (genesis is shared) and differ at `hi`.
  let lo = 0;
  let hi = tipIndex - 1;
  for (let step = 1; hi - lo > 1; step *= 2) {
    const index = Math.max(lo + 1, hi - step);
    const probe = await probeAt(chain, fetch, index);
    if (probe.match) {
      lo = index;
      break;
    }
    if (probe.parentMatches) return { fork: index - 1, blocks: null, ahead: page };
    hi = index - 1;
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const probe = await probeAt(chain, fetch, mid);
    if (probe.match) lo = mid;
    else if (probe.parentMatches) return { fork: mid - 1, blocks: null, ahead: page };
    else hi = mid - 1;
  }
  if (hi <= lo) throw new ForkSearchError("the peer's blocks contradict each other");
  return { fork: lo, blocks: null, ahead: page };
}

/** The first block of a page that must start at `index`. */
function firstOf(page: RecordPage, index: number): Block {
  const block = page.count > 0 ? page.blockAt(0) : null;
  if (block === null) throw new ForkSearchError(`the peer has no block ${index}`);
  if (typeof block === "string") throw new ForkSearchError(`the peer's block ${index}: ${block}`);
  return block;
}

async function probeAt(
  chain: ChainView,
  fetch: FetchBlocks,
  index: number,
): Promise<{ match: boolean; parentMatches: boolean }> {
  const block = firstOf(await fetch(index, 1), index);
  return {
    match: hashBlock(block) === chain.hashAt(index),
    parentMatches: block.previous_hash === chain.hashAt(index - 1),
  };
}
