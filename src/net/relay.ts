import type { Logger } from "pino";
import type { ChainState, JoinedBlocks } from "../chain/chain-state.js";
import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";
import type { PendingPool } from "../pool/pending-pool.js";
import type { PeerClient } from "./peer-client.js";
import type { PeerGuard } from "./peer-guard.js";

export interface RelayOptions {
  /** Most blocks in one announce: a peer missing more answers 409 and syncs from us. */
  maxBlocksPerPush: number;
  /** Most messages in one POST /data. */
  maxDataPerPush: number;
  /** Most messages waiting for one slow peer; beyond, data sync repairs. */
  maxQueuedData: number;
}

/** What waits to be sent to one neighbour; one request in flight per neighbour at most. */
interface Outbox {
  /** Lowest chain index to announce from, or null. */
  blocksFrom: number | null;
  data: Data[];
  busy: boolean;
}

/**
 * Push: announces new blocks (POST /blocks) and new messages (POST /data) to
 * every neighbour but the one they came from. Events that arrive together are
 * sent together (flushed on setImmediate), each neighbour has at most one
 * request in flight, and blocks are always announced as the chain's current
 * tail, so that a slow neighbour gets the latest state rather than a backlog.
 */
export class Relay {
  private blocksFrom: number | null = null;
  private readonly blockOrigins = new Set<string | null>();
  private dataBatch: { data: Data; origin: string | null }[] = [];
  private readonly outboxes = new Map<string, Outbox>();
  private readonly inFlight = new Set<Promise<void>>();
  private flushHandle: NodeJS.Immediate | null = null;
  private stopped = false;

  constructor(
    private readonly opts: RelayOptions,
    private readonly deps: {
      chain: ChainState;
      pending: PendingPool;
      client: PeerClient;
      guard: PeerGuard;
      neighbours: () => string[];
      /** A peer that did not take our announced blocks holds a chain as long as ours or longer: sync from it. */
      onNotBetter: (peer: string) => void;
      /** Resolves true once `peer` answered our /status as a peer of its own (asking it if need be). */
      ready?: (peer: string) => Promise<boolean>;
      logger: Logger;
    },
  ) {}

  /** Subscribes to the chain's new blocks and the pool's new messages. */
  start(): void {
    this.deps.chain.on("blocks", this.onBlocks);
    this.deps.pending.on("added", this.onAdded);
  }

  /** Unsubscribes and waits for the requests in flight (aborted by the network's signal). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.chain.off("blocks", this.onBlocks);
    this.deps.pending.off("added", this.onAdded);
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.flushHandle = null;
    await Promise.allSettled([...this.inFlight]);
  }

  private readonly onBlocks = (joined: JoinedBlocks, origin: string | null): void => {
    if (joined.count === 0) return;
    this.blocksFrom = Math.min(this.blocksFrom ?? joined.from, joined.from);
    this.blockOrigins.add(origin);
    this.scheduleFlush();
  };

  private readonly onAdded = (data: Data, origin: string | null): void => {
    this.dataBatch.push({ data, origin });
    this.scheduleFlush();
  };

  private scheduleFlush(): void {
    if (this.flushHandle || this.stopped) return;
    this.flushHandle = setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushHandle = null;
    const blocksFrom = this.blocksFrom;
    const origins = [...this.blockOrigins];
    const batch = this.dataBatch;
    this.blocksFrom = null;
    this.blockOrigins.clear();
    this.dataBatch = [];
    const neighbours = this.deps.neighbours();
    for (const peer of neighbours) {
      const box = this.outbox(peer);
      // Blocks that all came from this very peer need not go back to it.
      if (blocksFrom !== null && !(origins.length === 1 && origins[0] === peer)) {
        box.blocksFrom = Math.min(box.blocksFrom ?? blocksFrom, blocksFrom);
      }
      for (const item of batch) {
        if (item.origin !== peer && box.data.length < this.opts.maxQueuedData)
          box.data.push(item.data);
      }
      this.pump(peer, box);
    }
    for (const peer of this.outboxes.keys()) {
      if (!neighbours.includes(peer) && !this.outboxes.get(peer)?.busy) this.outboxes.delete(peer);
    }
  }

  private outbox(peer: string): Outbox {
    let box = this.outboxes.get(peer);
    if (!box) {
      box = { blocksFrom: null, data: [], busy: false };
      this.outboxes.set(peer, box);
    }
    return box;
  }

  private pump(peer: string, box: Outbox): void {
    if (box.busy || this.stopped) return;
    if (box.blocksFrom === null && box.data.length === 0) return;
    box.busy = true;
    const task = this.drain(peer, box).finally(() => {
      box.busy = false;
      this.inFlight.delete(task);
    });
    this.inFlight.add(task);
  }

  /**
   * Gives a peer that answers again (a healed partition, a restart) the tail
   * of our chain and our pending messages, whether it is a neighbour or not.
   */
  async catchUp(peer: string): Promise<void> {
    const { chain, pending, client, guard } = this.deps;
    if (this.stopped) return;
    const from = Math.max(chain.length - this.opts.maxBlocksPerPush, 1);
    const blocks = chain.slice(from, chain.length - from);
    if (blocks.length > 0) await this.announce(peer, blocks);
    const data = pending.list().slice(0, this.opts.maxDataPerPush);
    if (data.length > 0 && !this.stopped)
      await guard.run(peer, "relay data", () => client.relayData(peer, data));
  }

  /**
   * POST /blocks. A peer that answers 409 lacks the first block's parent: our
   * chains part further back (a tie lost on one side, two branches grown
   * apart). It syncs from us only when we are its neighbour, so the tail is
   * sent again from `maxBlocksPerPush` blocks back, which holds the fork point
   * of any short fork; without that resend, a peer that does not name us as a
   * neighbour would wait for its next chain-sync round. A peer whose chain is
   * shorter than that tail's start is far behind, not forked: it syncs (from
   * us when we are its neighbour), and the resend is not sent. A peer that did not
   * take our blocks (not better, or still no parent) and holds a chain as long
   * as ours may hold the better one: we ask it (onNotBetter).
   */
  private async announce(peer: string, blocks: readonly Block[]): Promise<void> {
    const { chain, client, guard } = this.deps;
    let answer = await guard.run(peer, "announce blocks", () =>
      client.announceBlocks(peer, blocks),
    );
    const from = Math.max(chain.length - this.opts.maxBlocksPerPush, 1);
    const first = blocks[0]?.index ?? from;
    // A peer whose chain ends before the resend's first parent lacks it too: no resend.
    const theirs = (answer?.body as { length?: unknown } | undefined)?.length;
    const reachesBack = typeof theirs !== "number" || theirs >= from;
    if (answer?.status === 409 && first > from && reachesBack && !this.stopped) {
      const tail = chain.slice(from, chain.length - from);
      answer = await guard.run(peer, "announce blocks", () => client.announceBlocks(peer, tail));
    }
    const body = answer?.body as { accepted?: unknown; length?: unknown } | undefined;
    this.deps.logger.debug(
      {
        peer,
        first,
        count: blocks.length,
        status: answer?.status,
        answer: body,
        length: chain.length,
      },
      "announced blocks to a peer",
    );
    const refused = answer?.status === 409 || (answer?.status === 200 && body?.accepted === false);
    if (!refused) return;
    if (typeof body?.length === "number" && body.length >= chain.length)
      this.deps.onNotBetter(peer);
  }

  /** Sends what the outbox holds until it is empty; stops when the peer is no longer a neighbour. */
  private async drain(peer: string, box: Outbox): Promise<void> {
    const { chain, client, guard } = this.deps;
    // Nothing is pushed to an address before it showed who it is.
    const ready = this.deps.ready ? await this.deps.ready(peer) : true;
    while (ready && !this.stopped && this.deps.neighbours().includes(peer)) {
      if (box.blocksFrom !== null) {
        const from = Math.max(box.blocksFrom, chain.length - this.opts.maxBlocksPerPush, 1);
        box.blocksFrom = null;
        const blocks = chain.slice(from, chain.length - from);
        if (blocks.length > 0) await this.announce(peer, blocks);
      } else if (box.data.length > 0) {
        const data = box.data.splice(0, this.opts.maxDataPerPush);
        await guard.run(peer, "relay data", () => client.relayData(peer, data));
      } else {
        return;
      }
    }
    box.blocksFrom = null;
    box.data = [];
  }
}
