import {
  digestFromState,
  digestStateOf,
  extendDigest,
  type RunningDigest,
} from "./running-digest.js";

/** Bytes between two kept states: a truncation rehashes at most this much of the file. */
export const CHECKPOINT_BYTES = 32 * 1024 * 1024;

/**
 * The states of a chain file's running SHA-256 (the addon's, which can be
 * copied) at every CHECKPOINT_BYTES of the file: a save after a reorg cuts
 * the file at the fork point and needs the digest of what stays, which
 * otherwise means hashing the whole file again (1.5 s at 10 million blocks).
 * From the nearest state below the cut it is one stretch at most. States are
 * kept as the digest passes each multiple of CHECKPOINT_BYTES (saves, and a
 * rehash from the start); with node:crypto's digest none can be kept, and a
 * truncation rehashes from the start, as it always did.
 */
export class DigestCheckpoints {
  /** Offset (a multiple of `every`) -> the digest's state after that many bytes. */
  private readonly states = new Map<number, Buffer>();

  constructor(readonly every = CHECKPOINT_BYTES) {}

  /** Checkpoints from a snapshot's list ([offset, state hex]); offsets not on the grid are left out. */
  static from(entries: readonly (readonly [number, string])[], every = CHECKPOINT_BYTES) {
    const checkpoints = new DigestCheckpoints(every);
    for (const [offset, state] of entries) {
      if (offset > 0 && offset % every === 0)
        checkpoints.states.set(offset, Buffer.from(state, "hex"));
    }
    return checkpoints;
  }

  /** Every state kept, as [offset, state hex], by offset. */
  entries(): [number, string][] {
    return [...this.states.entries()]
      .sort(([a], [b]) => a - b)
      .map(([offset, state]) => [offset, state.toString("hex")]);
  }

  /**
   * Extends `digest`, which has hashed the file's first `position` bytes, by
   * `bytes` (in the thread pool with the addon; `bytes` must not change until
   * this resolves), keeping its state at each multiple of `every` passed.
   */
  async extend(digest: RunningDigest, position: number, bytes: Uint8Array): Promise<void> {
    for (let done = 0; done < bytes.length; ) {
      const at = position + done;
      const boundary = (Math.floor(at / this.every) + 1) * this.every;
      const take = Math.min(bytes.length - done, boundary - at);
      await extendDigest(digest, bytes.subarray(done, done + take));
      done += take;
      if (position + done === boundary) {
        const state = digestStateOf(digest);
        if (state !== null) this.states.set(boundary, state);
      }
    }
  }

  /**
   * A running digest of the file's first `offset` bytes or fewer, from the
   * latest state kept at or below `offset`, with how many bytes it covers;
   * states past `offset` are dropped (the file is cut there). Null when none
   * is kept: the caller hashes from the start.
   */
  cutAt(offset: number): { digest: RunningDigest; position: number } | null {
    let best = 0;
    for (const at of [...this.states.keys()]) {
      if (at > offset) this.states.delete(at);
      else if (at > best) best = at;
    }
    const state = this.states.get(best);
    const digest = state ? digestFromState(state) : null;
    return digest ? { digest, position: best } : null;
  }
}
