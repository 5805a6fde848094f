import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { ChainState } from "../chain/chain-state.js";
import { DEFAULTS } from "../config/config.js";
import type { NodeMetrics } from "../config/metrics.js";
import type { JobScheduler } from "../config/scheduler.js";
import type { ProofRuleName } from "../core/proof-rules.js";
import type { PendingPool } from "../pool/pending-pool.js";
import { normalizeAddress, tryNormalizeAddress } from "./address.js";
import { ChainSync, type ChainSyncStats } from "./chain-sync.js";
import { DataSync } from "./data-sync.js";
import { Gossip } from "./gossip.js";
import { type AnnounceResult, Inbound, type Sender } from "./inbound.js";
import { ORIGINAL_PEER_REASON } from "./original-peer.js";
import { PeerClient, PeerError } from "./peer-client.js";
import type { PeerGuard } from "./peer-guard.js";
import { PeerRuleCheck } from "./peer-rule.js";
import { PeerTable } from "./peer-table.js";
import { Relay } from "./relay.js";

export { normalizeAddress };

export interface NetworkOptions {
  /** This node's advertised `host:port`. */
  self: string;
  neighbours: string[];
  maxNeighbours: number;
  gossipIntervalS: number;
  chainSyncIntervalS: number;
  dataSyncIntervalS: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxPeerFailures: number;
  banDurationS: number;
  pageLimit: number;
  maxMessageBytes: number;
  /** Back-off of failing peers (defaults: DEFAULTS.peerRetryBaseMs and the others). */
  retryBaseMs?: number;
  pinnedRetryMaxMs?: number;
  learntRetryMaxMs?: number;
  evictAfterMs?: number;
  /** The node's proof rule: peers of another are not kept as neighbours (default original). */
  proofRule?: ProofRuleName;
}

export interface NetworkDeps {
  chain: ChainState;
  pending: PendingPool;
  scheduler: JobScheduler;
  logger: Logger;
  metrics: NodeMetrics | null;
}

export interface NetworkEvents {
  /** The neighbour list changed. */
  neighbours: [neighbours: string[]];
}

export interface NetworkStats extends ChainSyncStats {
  /** Every request made to peers. */
  peerRequests: number;
}

/** Shortest time between two runs of the retry timer. */
const MIN_RETRY_GAP_MS = 50;

/**
 * The node's part of the network: its neighbours, gossip, chain and data sync
 * as periodic jobs, push of new blocks and messages, and what peers push to
 * us (announced blocks, relayed messages). Every request to a
 * peer goes through one guard that counts failures (a neighbour failing
 * repeatedly is replaced) and bans peers that misbehave.
 */
export class Network extends EventEmitter<NetworkEvents> {
  private readonly abort = new AbortController();
  private readonly peers: PeerTable;
  /** Peers whose retry probe is in flight. */
  private readonly retrying = new Set<string>();
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly client: PeerClient;
  private readonly gossip: Gossip;
  private readonly chainSync: ChainSync;
  private readonly dataSync: DataSync;
  private readonly relay: Relay;
  private readonly inbound: Inbound;
  private readonly rules: PeerRuleCheck;
  private readonly log: Logger;
  private readonly tasks = new Set<Promise<unknown>>();
  private started = false;
  /** Peers already reported as running the original Python node. */
  private readonly foreignLogged = new Set<string>();
  private readonly guard: PeerGuard = {
    run: (peer, what, call) => this.guarded(peer, what, call),
    punish: (peer, reason) => this.punish(peer, reason),
  };

  constructor(
    private readonly opts: NetworkOptions,
    private readonly deps: NetworkDeps,
  ) {
    super();
    this.log = deps.logger;
    const self = normalizeAddress(opts.self);
    const signal = this.abort.signal;
    this.peers = new PeerTable(
      {
        self,
        max: opts.maxNeighbours,
        maxFailures: opts.maxPeerFailures,
        banDurationMs: opts.banDurationS * 1000,
        retryBaseMs: opts.retryBaseMs ?? DEFAULTS.peerRetryBaseMs,
        pinnedRetryMaxMs: opts.pinnedRetryMaxMs ?? DEFAULTS.pinnedPeerRetryMaxMs,
        learntRetryMaxMs: opts.learntRetryMaxMs ?? DEFAULTS.learntPeerRetryMaxMs,
        evictAfterMs: opts.evictAfterMs ?? DEFAULTS.peerEvictAfterMs,
      },
      opts.neighbours,
    );
    this.peers.on("change", (list) => {
      deps.metrics?.neighbours.set(list.length);
      this.emit("neighbours", list);
    });
    this.peers.on("schedule", () => this.armRetry());
    this.peers.on("recovered", (peer) => this.catchUpWith(peer));
    this.client = new PeerClient(
      { self, timeoutMs: opts.requestTimeoutMs, maxResponseBytes: opts.maxResponseBytes },
      { signal, metrics: deps.metrics },
    );
    // Set aside as long as a ban lasts: then it is tried again, in case it changed its rule.
    this.rules = new PeerRuleCheck(
      { rule: opts.proofRule ?? "original", setAsideMs: opts.banDurationS * 1000 },
      { peers: this.peers, logger: deps.logger },
    );
    const common = { client: this.client, guard: this.guard, signal };
    this.gossip = new Gossip({ ...common, peers: this.peers, logger: deps.logger });
    this.chainSync = new ChainSync(
      { pageLimit: opts.pageLimit, maxSyncMs: DEFAULTS.maxSyncMs },
      {
        ...common,
        chain: deps.chain,
        rules: this.rules,
        logger: deps.logger,
        metrics: deps.metrics,
      },
    );
    this.dataSync = new DataSync(
      { maxMessageBytes: opts.maxMessageBytes },
      { ...common, chain: deps.chain, pending: deps.pending, logger: deps.logger },
    );
    this.relay = new Relay(DEFAULTS.relay, {
      ...common,
      chain: deps.chain,
      pending: deps.pending,
      neighbours: () => this.peers.usable(),
      // A peer whose chain is as good as ours or better: take it now, not at the next round.
      onNotBetter: (peer) => this.syncFrom(peer),
      logger: deps.logger,
    });
    this.inbound = new Inbound(
      { maxMessageBytes: opts.maxMessageBytes },
      {
        chain: deps.chain,
        pending: deps.pending,
        metrics: deps.metrics,
        rules: this.rules,
        punish: (peer, reason) => this.punish(peer, reason),
        syncFrom: (peer) => this.syncFrom(peer),
      },
    );
  }

  /** The current neighbours. */
  get neighbours(): string[] {
    return this.peers.list();
  }

  /** Counters for tests and benches: blocks fetched and requests made by chain sync, all peer requests. */
  get stats(): NetworkStats {
    return { ...this.chainSync.stats, peerRequests: this.client.requests };
  }

  /** Registers the periodic jobs, subscribes push, and runs a first round of each job at once. */
  start(): void {
    if (this.started) throw new Error("the network is already started");
    this.started = true;
    const { scheduler } = this.deps;
    this.peers.setGraceUntil(
      Date.now() + Math.min(this.opts.gossipIntervalS * 1000, DEFAULTS.maxStartGraceMs),
    );
    scheduler.every("gossip", this.opts.gossipIntervalS, () => this.gossip.run());
    scheduler.every("chain-sync", this.opts.chainSyncIntervalS, () => this.syncNow());
    scheduler.every("data-sync", this.opts.dataSyncIntervalS, () =>
      this.dataSync.run(this.peers.usable()),
    );
    this.relay.start();
    this.deps.metrics?.neighbours.set(this.peers.size);
    this.track(
      (async () => {
        await scheduler.runNow("gossip");
        await Promise.all([scheduler.runNow("chain-sync"), scheduler.runNow("data-sync")]);
      })(),
    );
    this.log.info({ neighbours: this.peers.list() }, "network started");
  }

  /** Aborts every request in flight and unsubscribes; resolves when nothing of the network runs. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.relay.stop();
    await Promise.allSettled([...this.tasks]);
    this.client.close();
  }

  /**
   * A caller told its address (X-Blockchain-Node): learn it as a neighbour if
   * there is room; a known peer that was failing is tried again at once (it
   * is back: a restart, a healed partition).
   */
  noteCaller(address: string): void {
    const normalized = tryNormalizeAddress(address);
    if (normalized === null) return;
    this.peers.noteAlive(normalized);
    // A failing peer comes back through its retry, which checks that it answers.
    if (this.peers.has(normalized) || this.peers.failuresOf(normalized) > 0) return;
    if (this.peers.add(normalized))
      this.log.info({ peer: normalized }, "learnt a neighbour from a caller");
    else this.peers.remember(normalized);
  }

  /** Blocks a peer (or anyone) announced with POST /blocks. */
  receiveBlocks(blocks: unknown[], sender: Sender): AnnounceResult {
    return this.inbound.receiveBlocks(blocks, sender);
  }

  /** Messages a peer relayed with POST /data; resolves to how many were new. */
  receiveData(data: unknown[], sender: Sender): Promise<number> {
    return this.inbound.receiveData(data, sender);
  }

  /** A peer announced blocks whose parent we lack: sync from it now. */
  syncFrom(address: string): void {
    const peer = tryNormalizeAddress(address);
    if (peer === null || this.peers.isBanned(peer) || this.abort.signal.aborted) return;
    this.track(this.chainSync.request(peer));
  }

  /** A peer sent something invalid: drop it and ban it for the ban duration. */
  punish(address: string, reason: string): void {
    const peer = tryNormalizeAddress(address);
    if (peer === null || this.peers.isBanned(peer)) return;
    this.log.warn({ peer, reason, banS: this.opts.banDurationS }, "banning a peer that misbehaved");
    this.deps.metrics?.peerRequests.inc({ outcome: "banned" });
    this.peers.ban(peer);
  }

  /**
   * A peer runs the original Python node: not kept as a neighbour, not banned
   * (it is of another network, not a liar), said once per address.
   */
  private setAside(peer: string): void {
    this.peers.setAside(peer, this.opts.banDurationS * 1000);
    if (this.foreignLogged.has(peer)) return;
    this.foreignLogged.add(peer);
    this.log.warn({ peer }, `${peer} ${ORIGINAL_PEER_REASON}; it is not kept as a neighbour`);
  }

  /** Runs one chain sync round against every neighbour now. */
  async syncNow(): Promise<void> {
    if (this.abort.signal.aborted) return;
    await this.track(this.chainSync.run(this.peers.usable()));
  }

  /** Sets the retry timer to the end of the earliest back-off. */
  private armRetry(): void {
    if (this.abort.signal.aborted) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const at = this.peers.nextRetryAt(this.retrying);
    if (at === null) return;
    // Never sooner than MIN_RETRY_GAP_MS: a clock that disagrees with the table must not spin.
    const delay = Math.max(MIN_RETRY_GAP_MS, at - Date.now());
    this.retryTimer = setTimeout(() => this.retryDue(), delay);
  }

  /** Asks each peer whose back-off has passed for its status: the answer ends its failure. */
  private retryDue(): void {
    this.retryTimer = null;
    for (const peer of this.peers.due()) {
      if (this.retrying.has(peer)) continue;
      this.retrying.add(peer);
      this.track(
        this.guarded(peer, "retry", () => this.client.status(peer)).finally(() => {
          this.retrying.delete(peer);
          this.armRetry();
        }),
      );
    }
    this.armRetry();
  }

  /**
   * A peer answers again after failing: take its chain and its pending
   * messages now, and give it ours, so that a healed partition or a restarted
   * node converges at once rather than at the next rounds of the jobs.
   */
  private catchUpWith(peer: string): void {
    if (this.abort.signal.aborted) return;
    this.log.info({ peer }, "a peer answers again; syncing with it");
    this.track(this.chainSync.request(peer));
    this.track(this.dataSync.run([peer]));
    this.track(this.relay.catchUp(peer));
  }

  /** Runs a call to a peer and turns its failure into a counted failure or a ban. */
  private async guarded<T>(
    peer: string,
    what: string,
    call: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      const result = await call();
      this.peers.noteSuccess(peer);
      return result;
    } catch (err) {
      if (!(err instanceof PeerError)) throw err;
      if (err.kind === "aborted") return undefined;
      if (err.kind === "original") {
        this.setAside(peer);
        return undefined;
      }
      if (err.misbehaviour) {
        this.punish(peer, `${what}: ${err.message}`);
        return undefined;
      }
      this.log.debug({ peer, what, reason: err.message }, "peer request failed");
      if (this.peers.noteFailure(peer)) {
        this.log.warn({ peer, reason: err.message }, "dropped a neighbour that failed repeatedly");
      }
      return undefined;
    }
  }

  private track<T>(task: Promise<T>): Promise<T> {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task)).catch(() => undefined);
    return task;
  }
}
