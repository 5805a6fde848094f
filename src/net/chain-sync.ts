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
  /** Longest time one sync with one peer may take, however well it goes; it goes on at the next round. */
  maxSyncMs: number;
  /** Most syncs running at once (each with its own peer). */
  maxConcurrent: number;
  /**
   * A sync waits for the one running to end (so that two peers never send the
   * same blocks), but no longer than this: a slow peer cannot hold the others.
   */
  overlapAfterMs: number;
}

export interface ChainSyncStats {
  /** Blocks received from peers by chain sync. */
  blocksFetched: number;
  /** Requests made by chain sync (status, probes and pages). */
  requests: number;
  /** Sync requests (from announces) not run: one ran with that peer already. */
  syncRequestsDropped: number;
  /** Syncs ended early because the peer sent fewer blocks than asked for while claiming more. */
  syncsCutShort: number;
}

/** Why a sync with one peer ended early; no punishment. */
class CutShort extends Error {}

/**
 * Incremental chain sync: asks neighbours for their status, and from those
 * whose chain beats ours (longer, or as long with a smaller tip hash) fetches
 * only the blocks after the fork point, in pages, offering them to the chain.
 *
 * It cannot be held by one peer: each peer is synced on its own (one sync per
 * peer at a time, at most `maxConcurrent` at once), a peer must keep sending
 * whole pages in time (a page shorter than asked while it claims more ends
 * its sync for this round), and a branch is validated page by page as it
 * arrives, so invalid blocks are punished before the branch is long.
 */
export class ChainSync {
  readonly stats: ChainSyncStats = {
    blocksFetched: 0,
    requests: 0,
    syncRequestsDropped: 0,
    syncsCutShort: 0,
  };
  /** Peer -> its sync running now. */
  private readonly active = new Map<string, Promise<void>>();
  /** Syncs waiting for their turn. */
  private readonly waiting: (() => void)[] = [];
  private running = 0;
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
      /** Told every status a peer gave; false: do not sync with it (it is this node, or an alias). */
      onStatus?: (peer: string, status: PeerStatus) => boolean;
    },
  ) {
    this.log = deps.logger;
  }

  /** One round: every peer's status in parallel, then a sync with each whose chain beats ours. */
  async run(peers: readonly string[]): Promise<void> {
    await Promise.all(peers.map((peer) => this.syncPeer(peer)));
  }

  /**
   * A sync with one neighbour (a block it announced has a parent we lack),
   * unless one with it runs already: that one is returned, so that announces
   * never pile up syncs.
   */
  request(peer: string): Promise<void> {
    const running = this.active.get(peer);
    if (running) {
      this.stats.syncRequestsDropped++;
      return running;
    }
    return this.syncPeer(peer);
  }

  private syncPeer(peer: string): Promise<void> {
    const running = this.active.get(peer);
    if (running) return running;
    const task = this.withPeer(peer)
      .catch((err) => this.log.warn({ err, peer }, "chain sync with a peer failed"))
      .finally(() => this.active.delete(peer));
    this.active.set(peer, task);
    return task;
  }

  private async withPeer(peer: string): Promise<void> {
    const { chain, client, guard, signal } = this.deps;
    if (signal.aborted) return;
    this.stats.requests++;
    const status = await guard.run(peer, "status", () => client.status(peer));
    if (!status || signal.aborted) return;
    if (this.deps.onStatus && !this.deps.onStatus(peer, status)) return;
    if (!this.deps.rules.accepts(peer, status)) return;
    if (!winsForkChoice(status, chain.head)) return;
    await this.takeSlot();
    try {
      // Another sync may have brought us up meanwhile.
      if (signal.aborted || !winsForkChoice(status, chain.head)) return;
      await guard.run(peer, "chain sync", () => this.syncWith(peer, status));
    } finally {
      this.releaseSlot();
    }
  }

  /**
   * Waits for the sync running now to end, or for `overlapAfterMs` (then
   * runs beside it, up to `maxConcurrent`): one at a time while syncs go
   * well, side by side when one is slow.
   */
  private async takeSlot(): Promise<void> {
    if (this.running === 0 || this.deps.signal.aborted) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve();
      };
      const timer = setTimeout(() => {
        if (this.running < this.opts.maxConcurrent) go();
      }, this.opts.overlapAfterMs);
      timer.unref();
      this.waiting.push(go);
    });
    this.running++;
  }

  private releaseSlot(): void {
    this.running--;
    this.waiting[0]?.();
  }

  /** Fetches and adopts the peer's blocks after the fork point. */
  private async syncWith(peer: string, status: PeerStatus): Promise<void> {
    const { chain } = this.deps;
    const deadline = Date.now() + this.opts.maxSyncMs;
    const fetch = async (from: number, limit: number) =>
      (await this.fetchBlocks(peer, from, limit)).blocks;
    let found: ForkPoint;
    try {
      found = await findForkPoint(chain, fetch, this.opts.pageLimit);
    } catch (err) {
      if (!(err instanceof ForkSearchError)) throw err;
      this.log.info({ peer, reason: err.message }, "no fork point with the peer this round");
      return;
    }
    // `run` holds the peer's blocks after `base` not yet adopted: a branch that
    // does not beat ours yet is accumulated (each page validated as it comes)
    // until it does, then offered as one.
    let base = found.fork;
    let run: Block[] = [];
    const runIds = new Set<string>();
    let next = base + 1;
    let ahead = found.blocks.concat(found.ahead);
    const pageAt = async (from: number): Promise<{ blocks: Block[]; short: string | null }> => {
      const aheadAt = ahead[0]?.index ?? Number.POSITIVE_INFINITY;
      if (from === aheadAt) {
        const kept = ahead;
        ahead = [];
        return { blocks: kept, short: null };
      }
      const want = Math.min(this.opts.pageLimit, aheadAt - from, status.length - from);
      const { blocks, asked } = await this.fetchBlocks(peer, from, want);
      // Progress, not patience: a peer claiming more must send whole pages.
      const short =
        blocks.length < asked && from + blocks.length < status.length
          ? `sent ${blocks.length} block(s) from ${from} when asked for ${asked}, while claiming a chain of ${status.length}`
          : null;
      return { blocks, short };
    };
    // The next page is asked for before the current one is validated, so that
    // the peer serialises it while we hash; a failure shows when it is awaited.
    let upcoming: Promise<{ blocks: Block[]; short: string | null }> | null = null;
    this.log.debug({ peer, fork: base, peerLength: status.length }, "syncing from the fork point");
    try {
      for (;;) {
        if (next >= status.length || Date.now() > deadline || this.deps.signal.aborted) break;
        const { blocks: page, short } = await (upcoming ?? pageAt(next));
        upcoming = null;
        const head = page[0];
        if (!head) break;
        const parent = run.length > 0 ? (run[run.length - 1] as Block) : chain.blockAt(base);
        // The peer moved to another branch while we were fetching: try again next round.
        if (!parent || head.previous_hash !== hashBlock(parent)) break;
        run = run.concat(page);
        next += page.length;
        if (next < status.length && !short) {
          upcoming = pageAt(next);
          upcoming.catch(() => undefined);
        }
        if (this.wins(base, run)) {
          // The offer validates the run: adopted, or the peer punished.
          const outcome = this.offer(peer, run);
          if (outcome === "stop") return;
          if (outcome === "accepted") {
            base += run.length;
            run = [];
            runIds.clear();
          }
        } else if (!this.pageIsValid(peer, base, parent, page, runIds)) {
          return;
        }
        // Checked first, so that a short page of invalid blocks is still punished.
        if (short) throw new CutShort(short);
      }
    } catch (err) {
      if (!(err instanceof CutShort)) throw err;
      this.stats.syncsCutShort++;
      this.log.info({ peer, reason: err.message }, "sync with a peer cut short for this round");
      return;
    }
    if (run.length > 0 && this.wins(base, run)) this.offer(peer, run);
  }

  /**
   * Validates a page of a branch that does not win yet, on top of `parent`;
   * invalid blocks are punished at once, however short the branch still is.
   */
  private pageIsValid(
    peer: string,
    base: number,
    parent: Block,
    page: readonly Block[],
    runIds: Set<string>,
  ): boolean {
    const result = this.deps.chain.checkContinuation(base, parent, page, runIds);
    for (const block of page) runIds.add(block.data.id);
    if (result.ok) return true;
    if (result.future) {
      this.log.info({ peer, index: result.index, reason: result.reason }, "refused a peer's block");
    } else {
      this.deps.guard.punish(peer, `sent an invalid block ${result.index}: ${result.reason}`);
    }
    return false;
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
   * One page of blocks, and how many were asked for. An answer over the size
   * cap may come from an honest peer with large messages, so the page is
   * halved first; only a single block too large counts as misbehaviour.
   */
  private async fetchBlocks(
    peer: string,
    from: number,
    limit: number,
  ): Promise<{ blocks: Block[]; asked: number }> {
    for (let size = limit; ; size = Math.max(1, Math.floor(size / 2))) {
      try {
        this.stats.requests++;
        const page = await this.deps.client.blocks(peer, from, size);
        this.stats.blocksFetched += page.blocks.length;
        this.deps.metrics?.blocksFetched.inc(page.blocks.length);
        return { blocks: page.blocks, asked: size };
      } catch (err) {
        if (!(err instanceof PeerError) || err.kind !== "too-large" || size === 1) throw err;
      }
    }
  }
}
