import type { Logger } from "pino";
import type { ChainState } from "../chain/chain-state.js";
import type { NodeMetrics } from "../config/metrics.js";
import type { Block } from "../core/block.js";
import { winsForkChoice } from "../core/fork-choice.js";
import { hashBlock } from "../core/hash.js";
import { type ForkPoint, ForkSearchError, findForkPoint } from "./fork-point.js";
import { offerConsequence } from "./offer-outcome.js";
import { type PeerClient, PeerError } from "./peer-client.js";
import type { PeerGuard } from "./peer-guard.js";
import type { PeerRuleCheck } from "./peer-rule.js";
import type { PeerStatus } from "./peer-schemas.js";

export interface ChainSyncOptions {
  /** Most blocks asked for in one request. */
  pageLimit: number;
  /** Longest time one sync with one peer may take; it goes on at the next round. */
  maxSyncMs: number;
}

export interface ChainSyncStats {
  /** Blocks received from peers by chain sync. */
  blocksFetched: number;
  /** Requests made by chain sync (status, probes and pages). */
  requests: number;
}

/**
 * Incremental chain sync: asks neighbours for their status, and from those
 * whose chain beats ours (longer, or as long with a smaller tip hash) fetches
 * only the blocks after the fork point, in pages, offering them to the chain.
 * Rounds run one at a time, so that two neighbours never fetch the same blocks.
 */
export class ChainSync {
  readonly stats: ChainSyncStats = { blocksFetched: 0, requests: 0 };
  private tail: Promise<void> = Promise.resolve();
  private readonly queuedPeers = new Set<string>();
  private readonly log: Logger;

  constructor(
    private readonly opts: ChainSyncOptions,
    private readonly deps: {
      chain: ChainState;
      client: PeerClient;
      guard: PeerGuard;
      rules: PeerRuleCheck;
      logger: Logger;
      metrics: NodeMetrics | null;
      signal: AbortSignal;
    },
  ) {
    this.log = deps.logger;
  }

  /** Runs one round against `peers` after the rounds already queued; resolves when it is done. */
  run(peers: readonly string[]): Promise<void> {
    const round = this.tail.then(() => this.round(peers));
    this.tail = round.catch((err) => this.log.warn({ err }, "chain sync round failed"));
    return this.tail;
  }

  /** Queues a round against one peer, unless one is already waiting for it. */
  request(peer: string): Promise<void> {
    if (this.queuedPeers.has(peer)) return this.tail;
    this.queuedPeers.add(peer);
    return this.run([peer]);
  }

  private async round(peers: readonly string[]): Promise<void> {
    for (const peer of peers) this.queuedPeers.delete(peer);
    if (this.deps.signal.aborted || peers.length === 0) return;
    // Statuses are asked in parallel and each better peer is synced as soon as its
    // status arrives, one at a time: a peer that never answers delays no one, and
    // once the first sync is done the others are usually no longer better.
    let syncing: Promise<unknown> = Promise.resolve();
    await Promise.all(
      peers.map(async (peer) => {
        this.stats.requests++;
        const status = await this.deps.guard.run(peer, "status", () =>
          this.deps.client.status(peer),
        );
        if (!status || !this.deps.rules.accepts(peer, status)) return;
        if (!winsForkChoice(status, this.deps.chain.head)) return;
        syncing = syncing.then(() => {
          if (this.deps.signal.aborted || !winsForkChoice(status, this.deps.chain.head)) return;
          return this.deps.guard.run(peer, "chain sync", () => this.syncWith(peer, status));
        });
        await syncing;
      }),
    );
  }

  /** Fetches and adopts the peer's blocks after the fork point. */
  private async syncWith(peer: string, status: PeerStatus): Promise<void> {
    const { chain } = this.deps;
    const deadline = Date.now() + this.opts.maxSyncMs;
    const fetch = (from: number, limit: number) => this.fetchBlocks(peer, from, limit);
    let found: ForkPoint;
    try {
      found = await findForkPoint(chain, fetch, this.opts.pageLimit);
    } catch (err) {
      if (!(err instanceof ForkSearchError)) throw err;
      this.log.info({ peer, reason: err.message }, "no fork point with the peer this round");
      return;
    }
    // `run` holds the peer's blocks after `base` not yet adopted: a branch that
    // does not beat ours yet is accumulated until it does, then offered as one.
    let base = found.fork;
    let run = found.blocks;
    let next = base + 1 + run.length;
    let ahead = found.ahead;
    const pageAt = (from: number): Promise<Block[]> => {
      const aheadAt = ahead[0]?.index ?? Number.POSITIVE_INFINITY;
      if (from !== aheadAt) return fetch(from, Math.min(this.opts.pageLimit, aheadAt - from));
      const kept = ahead;
      ahead = [];
      return Promise.resolve(kept);
    };
    // The next page is asked for before the current one is validated, so that
    // the peer serialises it while we hash; a failure shows when it is awaited.
    let upcoming: Promise<Block[]> | null = null;
    this.log.debug({ peer, fork: base, peerLength: status.length }, "syncing from the fork point");
    for (;;) {
      if (run.length > 0 && this.wins(base, run)) {
        const outcome = this.offer(peer, run);
        if (outcome === "stop") return;
        if (outcome === "accepted") {
          base += run.length;
          run = [];
        }
      }
      if (next >= status.length || Date.now() > deadline || this.deps.signal.aborted) break;
      const page = await (upcoming ?? pageAt(next));
      upcoming = null;
      const head = page[0];
      if (!head) break;
      const expectedParent =
        run.length > 0 ? hashBlock(run[run.length - 1] as Block) : chain.hashAt(base);
      // The peer moved to another branch while we were fetching: try again next round.
      if (head.previous_hash !== expectedParent) break;
      run = run.concat(page);
      next += page.length;
      if (next < status.length) {
        upcoming = pageAt(next);
        upcoming.catch(() => undefined);
      }
    }
    if (run.length > 0 && this.wins(base, run)) this.offer(peer, run);
  }

  /**
   * Offers a run of the peer's blocks to the chain. "stop" ends this sync: the
   * peer was punished for invalid blocks, or our chain moved under the run (the
   * next round starts again from the fork point).
   */
  private offer(peer: string, run: readonly Block[]): "accepted" | "kept" | "stop" {
    const result = this.deps.chain.offer(run, peer);
    const other =
      result.status === "invalid"
        ? this.deps.rules.otherRuleOf(run, result.index, this.deps.chain)
        : null;
    if (other) {
      this.deps.rules.setAside(peer, other, "its blocks");
      return "stop";
    }
    const consequence = offerConsequence(result);
    if (consequence.kind === "punish") this.deps.guard.punish(peer, consequence.reason);
    if (consequence.kind !== "none") return "stop";
    return result.status === "accepted" ? "accepted" : "kept";
  }

  /** Whether the branch `run` on top of our block `base` would win the fork choice. */
  private wins(base: number, run: readonly Block[]): boolean {
    const tip = hashBlock(run[run.length - 1] as Block);
    return winsForkChoice({ length: base + 1 + run.length, tip }, this.deps.chain.head);
  }

  /**
   * One page of blocks. An answer over the size cap may come from an honest
   * peer with large messages, so the page is halved first; only a single block
   * too large counts as misbehaviour.
   */
  private async fetchBlocks(peer: string, from: number, limit: number): Promise<Block[]> {
    for (let size = limit; ; size = Math.max(1, Math.floor(size / 2))) {
      try {
        this.stats.requests++;
        const page = await this.deps.client.blocks(peer, from, size);
        this.stats.blocksFetched += page.blocks.length;
        this.deps.metrics?.blocksFetched.inc(page.blocks.length);
        return page.blocks;
      } catch (err) {
        if (!(err instanceof PeerError) || err.kind !== "too-large" || size === 1) throw err;
      }
    }
  }
}
