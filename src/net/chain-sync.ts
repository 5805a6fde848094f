import { performance } from "node:perf_hooks";
import { setImmediate } from "node:timers/promises";
import type { Logger } from "pino";
import type { ChainState } from "../chain/chain-state.js";
import { type BranchTip, type CheckedPage, RecordBranch } from "../chain/record-branch.js";
import type { NodeMetrics } from "../config/metrics.js";
import type { Block } from "../core/block.js";
import { winsForkChoice } from "../core/fork-choice.js";
import { codecFor } from "../storage/codecs/chain-format.js";
import type { RecordPage } from "../storage/codecs/record-page.js";
import { type ForkPoint, ForkSearchError, findForkPoint } from "./fork-point.js";
import { type PeerClient, PeerError } from "./peer-client.js";
import type { PeerGuard } from "./peer-guard.js";
import type { PeerRuleCheck } from "./peer-rule.js";
import type { PeerStatus } from "./peer-schemas.js";

export interface ChainSyncOptions {
  /** Most blocks asked for in one request. */
  pageLimit: number;
  /** Most bytes a peer puts in one page (its answer may hold fewer blocks than asked when it holds half this). */
  pageBytes: number;
  /** The time-out of one request: pages grow only while they come well within it. */
  requestTimeoutMs: number;
  /** Longest time one sync with one peer may take, however well it goes; it goes on at the next round. */
  maxSyncMs: number;
  /** Most syncs running at once (each with its own peer). */
  maxConcurrent: number;
  /**
   * A sync waits for the one running to end (so that two peers never send the
   * same blocks), but no longer than this: a slow peer cannot hold the others.
   */
  overlapAfterMs: number;
  /**
   * A sync holding this many bytes of unsaved records asks for a save
   * (`deps.save`) and goes on while it runs; at twice this it waits for the
   * save. The chain's unsaved tail then stays bounded however long the
   * sync. 0: no saves asked for (the backup job alone saves).
   */
  saveBytes: number;
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
  /** Saves asked for by syncs (their unsaved records reached `saveBytes`). */
  savesAsked: number;
  /** Times a sync waited for a save (its unsaved records reached twice `saveBytes`). */
  savesAwaited: number;
  /** The most bytes of unsaved records the chain held after a sync's slice was adopted. */
  mostUnsavedBytes: number;
}

/** The size of the first page of a sync (the next ones double, up to the page limit). */
const FIRST_PAGE_BLOCKS = 4096;
/**
 * How many times in a row a sync with one peer goes again at once (asked by
 * announces that came while it ran, because the peer's chain moved under it,
 * or because it ended without the better chain the peer's status told of);
 * past that, the next round.
 */
const MAX_RUNS_AGAIN = 3;
/** A sync with a peer at most this many blocks ahead takes no turn: it runs at once. */
const SMALL_SYNC_BLOCKS = 32;
/** Blocks validated (and adopted) between two turns of the event loop. */
export const SLICE_BLOCKS = 5000;

/** Why a sync with one peer ended early; no punishment. */
class CutShort extends Error {}

/** How a sync ended: it ran its course, was cut short (short pages), or refused the peer's blocks. */
type SyncEnd = "done" | "cut" | "refused";

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
    savesAsked: 0,
    savesAwaited: 0,
    mostUnsavedBytes: 0,
  };
  /** The save a sync asked for, while it runs. */
  private saving: Promise<void> | null = null;
  /** After a save that moved no block to the file (it failed): the next is asked for at this many unsaved bytes. */
  private saveAgainAt = 0;
  /** Peers whose sync running now is to go again when it ends (see request). */
  private readonly again = new Set<string>();
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
      /** Whether a sync with `peer` may go again at once (false: failing, banned or set aside meanwhile). */
      mayRetry?: (peer: string) => boolean;
      /** Told every status a peer gave; false: do not sync with it (it is this node, or an alias). */
      onStatus?: (peer: string, status: PeerStatus) => boolean;
      /** Saves the chain (the node's backup); never rejects (a failure shows in the node's status). */
      save?: () => Promise<void>;
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
   * never pile up syncs. The running one then goes again once it ends: the
   * announce may name blocks it began too early to see, and once the miners
   * stop there may be no other announce to ask again before the next round.
   */
  request(peer: string): Promise<void> {
    const running = this.active.get(peer);
    if (running) {
      this.stats.syncRequestsDropped++;
      this.again.add(peer);
      return running;
    }
    return this.syncPeer(peer);
  }

  private syncPeer(peer: string): Promise<void> {
    const running = this.active.get(peer);
    if (running) return running;
    const task = (async () => {
      for (let runs = 0; runs <= MAX_RUNS_AGAIN && !this.deps.signal.aborted; runs++) {
        this.again.delete(peer);
        await this.withPeer(peer).catch((err) =>
          this.log.warn({ err, peer }, "chain sync with a peer failed"),
        );
        if (!this.again.has(peer)) break;
      }
    })().finally(() => {
      this.again.delete(peer);
      this.active.delete(peer);
    });
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
    if (!winsForkChoice(status, chain.head)) {
      this.log.debug({ peer, theirs: headOf(status), ours: chain.head }, "no better chain");
      return;
    }
    // A peer a few blocks ahead (a tie, a block or two) is synced at once: waiting for
    // a sync with another peer to end (up to overlapAfterMs) would hold the better tip for
    // seconds on a loaded machine, and fetching a few blocks twice costs nothing.
    await this.takeSlot(status.length - chain.length <= SMALL_SYNC_BLOCKS);
    try {
      // Another sync may have brought us up meanwhile.
      if (signal.aborted || !winsForkChoice(status, chain.head)) return;
      const ended = await guard.run(peer, "chain sync", () =>
        // Blocks adopted with more to come and not told as seen yet are told however it ends.
        this.syncWith(peer, status).finally(() => chain.tellSeen()),
      );
      this.log.debug(
        { peer, theirs: headOf(status), ours: chain.head, ended },
        "synced with a peer",
      );
      // It ended without the better chain the peer told of (our chain moved under it,
      // a request failed, no fork point yet): go again at once, not at the next round;
      // never with a peer cut short, refused or banned (the next round, if ever).
      const retry = ended === "done" || ended === undefined;
      if (retry && !signal.aborted && this.deps.mayRetry?.(peer) !== false) {
        if (winsForkChoice(status, chain.head)) this.again.add(peer);
      }
    } finally {
      this.releaseSlot();
    }
  }

  /**
   * Waits for the sync running now to end, or for `overlapAfterMs` (then
   * runs beside it, up to `maxConcurrent`): one at a time while syncs go
   * well, side by side when one is slow; `now`: no wait (a small sync).
   */
  private async takeSlot(now = false): Promise<void> {
    if (now || this.running === 0 || this.deps.signal.aborted) {
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

  /**
   * Fetches and adopts the peer's blocks after the fork point. Pages go from
   * the wire to the chain as records of the chain's own format: each is
   * validated as it comes (its hashes and ids kept), while the next is being
   * fetched, and adopted as soon as the branch so far wins the fork choice.
   */
  private async syncWith(peer: string, status: PeerStatus): Promise<SyncEnd> {
    const { chain } = this.deps;
    const deadline = Date.now() + this.opts.maxSyncMs;
    // Pages start small and double while they come quickly: the first comes soon,
    // each next one is ready about when the one before is checked (serving is faster
    // than checking), and on a slow link they shrink before they would time out.
    let pageSize = Math.min(this.opts.pageLimit, FIRST_PAGE_BLOCKS);
    let lastTook = 0;
    const timed = async (from: number, limit: number) => {
      const began = Date.now();
      const answer = await this.fetchPage(peer, from, limit);
      lastTook = Date.now() - began;
      return answer;
    };
    const fetch = async (from: number, limit: number) => (await timed(from, limit)).page;
    let found: ForkPoint;
    try {
      found = await findForkPoint(chain, fetch, pageSize);
    } catch (err) {
      if (!(err instanceof ForkSearchError)) throw err;
      this.log.info({ peer, reason: err.message }, "no fork point with the peer this round");
      return "done";
    }
    let branch = this.branchAt(found.fork);
    let next = found.fork + 1;
    let ahead = found.blocks?.count ? found.blocks : found.ahead;
    const pageAt = async (from: number): Promise<{ page: RecordPage; short: string | null }> => {
      const aheadAt = ahead?.from ?? Number.POSITIVE_INFINITY;
      if (ahead && from === aheadAt) {
        const kept = ahead;
        ahead = null;
        return { page: kept, short: null };
      }
      pageSize = nextPageSize(pageSize, lastTook, this.opts);
      const want = Math.min(pageSize, aheadAt - from, status.length - from);
      const { page, asked, bytes } = await timed(from, want);
      // Progress, not patience: a peer claiming more must send whole pages (or
      // pages as large in bytes as a page may be, for large messages).
      const short =
        page.count < asked && from + page.count < status.length && bytes < this.opts.pageBytes / 2
          ? `sent ${page.count} block(s) from ${from} when asked for ${asked}, while claiming a chain of ${status.length}`
          : null;
      return { page, short };
    };
    // The next page is asked for before the current one is validated, so that
    // the peer serialises it while we hash; a failure shows when it is awaited.
    let upcoming: Promise<{ page: RecordPage; short: string | null }> | null = null;
    this.log.debug(
      { peer, fork: found.fork, peerLength: status.length },
      "syncing from the fork point",
    );
    try {
      for (;;) {
        if (next >= status.length || Date.now() > deadline || this.deps.signal.aborted) break;
        const { page, short } = await (upcoming ?? pageAt(next));
        upcoming = null;
        const head = page.count > 0 ? page.blockAt(0) : null;
        if (head === null) break;
        // The peer moved to another branch while we were fetching: go again from its new status.
        if (typeof head === "string" || head.previous_hash !== branch.tipHash) {
          this.again.add(peer);
          break;
        }
        next += page.count;
        if (next < status.length && !short) {
          upcoming = pageAt(next);
          upcoming.catch(() => undefined);
        }
        // A page is taken in slices, the event loop free between them: the next page
        // comes in meanwhile, and the node keeps answering.
        for (let at = 0; at < page.count; at += SLICE_BLOCKS) {
          if (at > 0) await setImmediate();
          if (this.deps.signal.aborted) return "done";
          // Our chain moved below the branch meanwhile (another peer's blocks, an
          // announce): its pages no longer fit the chain they were fetched for, and a
          // block of theirs that our new chain holds lower down is no fault of the
          // peer's. Go again from its status, as when the peer moves.
          if (!chain.holdsBase(branch)) {
            this.again.add(peer);
            return "done";
          }
          // Invalid blocks are punished at once, however short the branch still is.
          const checked = this.checkPage(peer, branch, page.slice(at, at + SLICE_BLOCKS));
          if (!checked) return "refused";
          branch.add(checked.page, checked.last);
          if (this.wins(branch)) {
            const more = at + SLICE_BLOCKS < page.count || upcoming !== null;
            const outcome = this.adopt(peer, branch, more);
            if (outcome === "stop") return "done";
            if (outcome === "accepted") branch = this.branchAfter(branch);
          }
          await this.boundUnsaved();
        }
        // Checked first, so that a short page of invalid blocks is still punished.
        if (short) throw new CutShort(short);
      }
    } catch (err) {
      if (!(err instanceof CutShort)) throw err;
      this.stats.syncsCutShort++;
      this.log.info({ peer, reason: err.message }, "sync with a peer cut short for this round");
      return "cut";
    }
    if (branch.length > 0 && this.wins(branch)) this.adopt(peer, branch);
    return "done";
  }

  /** An empty branch on our block `base`. */
  private branchAt(base: number): RecordBranch {
    const { chain } = this.deps;
    const block = chain.blockAt(base) as Block;
    return new RecordBranch(base, chain.hashBytesAt(base) as Buffer, tipOf(block));
  }

  /** An empty branch on the tip of one just adopted. */
  private branchAfter(adopted: RecordBranch): RecordBranch {
    const { hash, ...tip } = adopted.parent;
    return new RecordBranch(adopted.base + adopted.length, hash, tip);
  }

  /**
   * Validates a page of the peer's records as the next blocks of `branch`;
   * null when it holds an invalid block (the peer punished, or set aside when
   * the block is valid under the other proof rule) or one from the future
   * (refused, no punishment).
   *
   * The records are checked as the bytes the peer sent, in the format it sent
   * them, and only then put in the chain's own: a page in the other format
   * with records that are not their blocks' exact encoding (an unknown field,
   * a space, `11.0`, a varint longer than it must be) is punished exactly as
   * the same fault in the chain's own format is, not rewritten into
   * canonical records on the way. Hashes and ids are the same in both formats.
   */
  private checkPage(
    peer: string,
    branch: RecordBranch,
    received: RecordPage,
  ): { page: CheckedPage; last: BranchTip } | null {
    const { chain, guard } = this.deps;
    const result = chain.checkRecords(branch, received.bytes, Date.now(), received.codec);
    const failure = result.failure;
    if (failure) {
      if (failure.future) {
        this.log.info(
          { peer, index: failure.index, reason: failure.reason },
          "refused a peer's block",
        );
        return null;
      }
      const other = this.deps.rules.otherRuleOf(
        this.blocksAround(branch, received, failure.index),
        failure.index,
        chain,
      );
      if (other) {
        this.deps.rules.setAside(peer, other, "its blocks");
      } else {
        guard.punish(peer, `sent an invalid block ${failure.index}: ${failure.reason}`);
      }
      return null;
    }
    const page = received.inCodec(codecFor(chain.format));
    if (typeof page === "string") {
      guard.punish(peer, `sent a malformed page of blocks from ${received.from}: ${page}`);
      return null;
    }
    const last = page.blockAt(page.count - 1) as Block;
    const { bytes, starts } = page;
    return { page: { bytes, starts, hashes: result.hashes, ids: result.ids }, last: tipOf(last) };
  }

  /** The failing block `index` of a page and its parent, decoded where they decode (for the other-rule check). */
  private blocksAround(branch: RecordBranch, page: RecordPage, index: number): Block[] {
    const blocks: Block[] = [];
    const at = index - page.from;
    const parent =
      at > 0 ? page.blockAt(at - 1) : branch.lastBlock(codecFor(this.deps.chain.format));
    const block = page.blockAt(at);
    if (parent && typeof parent !== "string") blocks.push(parent);
    if (typeof block !== "string") blocks.push(block);
    return blocks;
  }

  /**
   * Keeps the chain's unsaved records bounded during a long sync: at
   * `saveBytes` of them a save is asked for (and the sync goes on while it
   * writes), at twice that the sync waits for the save under way. After a
   * save that moved no block to the file (a failing disk: the blocks stay
   * in memory, as before), the next is asked for once `saveBytes` more came.
   */
  private async boundUnsaved(): Promise<void> {
    const { save, chain } = this.deps;
    const limit = this.opts.saveBytes;
    if (!save || limit <= 0) return;
    let unsaved = chain.unsavedBytes;
    this.deps.metrics?.unsavedBytes.set(unsaved);
    if (unsaved > this.stats.mostUnsavedBytes) {
      this.stats.mostUnsavedBytes = unsaved;
      this.deps.metrics?.syncUnsavedHigh.set(unsaved);
    }
    if (unsaved < limit) {
      this.saveAgainAt = 0;
      return;
    }
    if (this.saving) {
      if (unsaved < 2 * limit) return;
      this.stats.savesAwaited++;
      const began = performance.now();
      await this.saving;
      this.deps.metrics?.syncSaveWait.inc((performance.now() - began) / 1000);
      unsaved = chain.unsavedBytes;
      if (unsaved < limit) return;
    }
    if (unsaved < this.saveAgainAt) return;
    this.stats.savesAsked++;
    this.deps.metrics?.syncSaves.inc();
    const savedBefore = chain.savedLength;
    const saving = save()
      .catch(() => undefined)
      .finally(() => {
        // No block moved to the file: the save failed (a full disk, an I/O error).
        const failed = chain.savedLength <= savedBefore;
        this.saveAgainAt = failed ? chain.unsavedBytes + limit : 0;
        if (this.saving === saving) this.saving = null;
      });
    this.saving = saving;
  }

  /**
   * Adopts the branch. "stop" ends this sync: our chain moved under it (the
   * next round starts again from the fork point). `more`: the sync adopts
   * more blocks at once (ChainState.adoptBranch).
   */
  private adopt(peer: string, branch: RecordBranch, more = false): "accepted" | "kept" | "stop" {
    const result = this.deps.chain.adoptBranch(branch, peer, more);
    if (result.status === "unknown-parent") return "stop";
    return result.status === "accepted" ? "accepted" : "kept";
  }

  /** Whether the branch on top of our block `branch.base` would win the fork choice. */
  private wins(branch: RecordBranch): boolean {
    const length = branch.base + 1 + branch.length;
    return winsForkChoice({ length, tip: branch.tipHash }, this.deps.chain.head);
  }

  /**
   * One page of records, how many blocks were asked for, and its size. An
   * answer over the size cap may come from an honest peer with large
   * messages, so the page is halved first; only a single block too large
   * counts as misbehaviour.
   */
  private async fetchPage(
    peer: string,
    from: number,
    limit: number,
  ): Promise<{ page: RecordPage; asked: number; bytes: number }> {
    for (let size = limit; ; size = Math.max(1, Math.floor(size / 2))) {
      try {
        this.stats.requests++;
        const answer = await this.deps.client.recordPage(peer, from, size, this.deps.chain.format);
        this.stats.blocksFetched += answer.page.count;
        this.deps.metrics?.blocksFetched.inc(answer.page.count);
        return { page: answer.page, asked: size, bytes: answer.bytes };
      } catch (err) {
        if (!(err instanceof PeerError) || err.kind !== "too-large" || size === 1) throw err;
      }
    }
  }
}

/**
 * The size of the next page: twice the last while it came within a quarter of
 * the time-out, half when it took more than half of it, else the same.
 */
export function nextPageSize(
  size: number,
  tookMs: number,
  opts: Pick<ChainSyncOptions, "pageLimit" | "requestTimeoutMs">,
): number {
  if (tookMs > opts.requestTimeoutMs / 2) return Math.max(1, Math.floor(size / 2));
  if (tookMs < opts.requestTimeoutMs / 4) return Math.min(opts.pageLimit, size * 2);
  return size;
}

/** What the next block's validation reads of a block. */
function tipOf(block: Block): BranchTip {
  return { index: block.index, timestamp: block.timestamp, proof: block.proof };
}

/** A status's length and tip hash's start, for a trace. */
function headOf(status: PeerStatus): { length: number; tip: string } {
  return { length: status.length, tip: String(status.tip).slice(0, 8) };
}
