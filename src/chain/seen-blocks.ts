import type { Block } from "../core/block.js";

/** One block as a node saw it (GET /blocks/seen and the `seen` event, without `on_main`). */
export interface SeenBlock {
  hash: string;
  previous_hash: string | null;
  index: number;
  timestamp: number;
  /** When this node first saw it, in ms of its own clock. */
  first_seen: number;
  /** "self" (mined here) or the sender's host:port. */
  from: string;
}

/**
 * The valid blocks a node has seen lately, adopted or not: side branches,
 * blocks a reorg abandoned, its own blocks that lost a race. A bounded ring,
 * oldest first, one entry a hash (the first sighting counts), so that a
 * watcher can draw the fork tree a chain alone no longer holds.
 */
export class SeenBlocks {
  private readonly byHash = new Map<string, SeenBlock>();

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`the seen-blocks capacity must be a positive integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Records a sighting; the new record, or null when the block was seen before. */
  note(block: Block, hash: string, from: string, now = Date.now()): SeenBlock | null {
    if (this.byHash.has(hash)) return null;
    const seen: SeenBlock = {
      hash,
      previous_hash: block.previous_hash,
      index: block.index,
      timestamp: block.timestamp,
      first_seen: now,
      from,
    };
    this.byHash.set(hash, seen);
    // A Map keeps insertion order: the first key is the oldest sighting.
    if (this.byHash.size > this.capacity) {
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.byHash.delete(oldest);
    }
    return seen;
  }

  /** Sightings after `afterMs` (exclusive), oldest first, at most `limit`. */
  after(afterMs: number, limit: number): SeenBlock[] {
    const found: SeenBlock[] = [];
    for (const seen of this.byHash.values()) {
      if (found.length >= limit) break;
      if (seen.first_seen > afterMs) found.push(seen);
    }
    return found;
  }
}
