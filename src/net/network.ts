import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { ChainState, Reorg } from "../chain/chain-state.js";
import { DEFAULTS } from "../config/config.js";
import type { NodeMetrics } from "../config/metrics.js";
import type { JobScheduler } from "../config/scheduler.js";
import type { ProofRuleName } from "../core/proof-rules.js";
import type { PendingPool } from "../pool/pending-pool.js";
import { normalizeAddress, tryNormalizeAddress } from "./address.js";
import { type Caller, CallerCheck } from "./caller-check.js";
import { ChainSync, type ChainSyncStats } from "./chain-sync.js";
import { DataSync } from "./data-sync.js";
import { Gossip } from "./gossip.js";
import { type AnnounceResult, Inbound } from "./inbound.js";
import { ORIGINAL_PEER_REASON } from "./original-peer.js";
import { PeerClient, PeerError } from "./peer-client.js";
import type { PeerGuard } from "./peer-guard.js";
import { PeerIdentities } from "./peer-identity.js";
import { PeerRuleCheck } from "./peer-rule.js";
import type { PeerStatus } from "./peer-schemas.js";
import { PeerTable, type PeerView } from "./peer-table.js";
import { Relay } from "./relay.js";

export { normalizeAddress };

export interface NetworkOptions {
  /** This node's advertised `host:port`. */
  self: string;
  /** This node's id: sent with every request, and how it knows itself behind any address. */
  nodeId: string;
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
  /**
   * A chain sync holding this many bytes of unsaved records asks for a save
   * (deps.save), and waits for it at twice this; 0 or no deps.save: none.
   */
  syncSaveBytes?: number;
  /** Back-off of failing peers (defaults: DEFAULTS.peerRetryBaseMs and the others). */
  retryBaseMs?: number;
  pinnedRetryMaxMs?: number;
  learntRetryMaxMs?: number;
  evictAfterMs?: number;
  /** The node's proof rule: peers of another are not kept as neighbours (default original). */
  proofRule?: ProofRuleName;
  /** A private network's key: requests are signed, peers that cannot prove it are set aside. */
  networkKey?: Buffer;
  /** Peers serve HTTPS, with certificates of this CA. */
  tls?: { ca?: Buffer };
}

export interface NetworkDeps {
  chain: ChainState;
  pending: PendingPool;
  scheduler: JobScheduler;
  logger: Logger;
  metrics: NodeMetrics | null;
  /** Saves the chain (the node's backup job; never rejects): a long sync asks for it as it goes. */
  save?: () => Promise<void>;
}

export interface NetworkEvents {
  /** The neighbour list changed. */
  neighbours: [neighbours: string[]];
}

export interface NetworkStats extends ChainSyncStats {
  /** Every request made to peers. */
  peerRequests: number;
}

/** Most tips remembered with their announcer (a tie is decided within seconds). */
const MAX_TIP_ANNOUNCERS = 256;

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
  private readonly identities: PeerIdentities;
  private readonly rules: PeerRuleCheck;
  private readonly callers: CallerCheck;
  /** Neighbours whose /status probe is running, and the probe. */
  private readonly probing = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private readonly tasks = new Set<Promise<unknown>>();
  private started = false;
  /** Peers already reported as running the original Python node. */
  private readonly foreignLogged = new Set<string>();
  /**
   * Tip hash -> the caller (not a neighbour) whose announce made it our tip.
   * Should we leave that tip for a better one of the same length (a tie), the
   * caller is told at once: it does not hear from us otherwise (it is not one
   * of our neighbours), and it would hold the losing tip until its
   * chain-sync round.
   */
  private readonly tipAnnouncers = new Map<string, string>();
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
    this.identities = new PeerIdentities(opts.nodeId);
    this.peers.on("change", (list) => {
      this.identities.retain(list);
      deps.metrics?.neighbours.set(list.length);
      this.emit("neighbours", list);
      if (this.started) for (const peer of list) this.probe(peer);
    });
    this.peers.on("schedule", () => this.armRetry());
    this.peers.on("recovered", (peer) => this.catchUpWith(peer));
    this.client = new PeerClient(
      {
        self,
        nodeId: opts.nodeId,
        timeoutMs: opts.requestTimeoutMs,
        maxResponseBytes: opts.maxResponseBytes,
        ...(opts.networkKey ? { networkKey: opts.networkKey } : {}),
        ...(opts.tls ? { tls: opts.tls } : {}),
      },
      { signal, metrics: deps.metrics },
    );
    // Set aside as long as a ban lasts: then it is tried again, in case it changed its rule.
    this.rules = new PeerRuleCheck(
      { rule: opts.proofRule ?? "original", setAsideMs: opts.banDurationS * 1000 },
      { peers: this.peers, logger: deps.logger },
    );
    this.callers = new CallerCheck(DEFAULTS.callerCheck, {
      client: this.client,
      peers: this.peers,
      identify: (peer, status) => this.identify(peer, status),
      logger: deps.logger,
    });
    const common = { client: this.client, guard: this.guard, signal };
    this.gossip = new Gossip({
      ...common,
      peers: this.peers,
      logger: deps.logger,
      ready: (peer) => this.identities.isIdentified(peer),
    });
    this.chainSync = new ChainSync(
      {
        pageLimit: opts.pageLimit,
        pageBytes: DEFAULTS.recordPageBytes,
        requestTimeoutMs: opts.requestTimeoutMs,
        maxSyncMs: DEFAULTS.maxSyncMs,
        maxConcurrent: DEFAULTS.maxConcurrentSyncs,
        overlapAfterMs: DEFAULTS.syncOverlapAfterMs,
        saveBytes: opts.syncSaveBytes ?? 0,
      },
      {
        ...common,
        chain: deps.chain,
        rules: this.rules,
        logger: deps.logger,
        metrics: deps.metrics,
        onStatus: (peer, status) => this.identify(peer, status) === "peer",
        ...(deps.save ? { save: deps.save } : {}),
        // A failing peer is synced with again when it answers again (catchUpWith).
        mayRetry: (peer) =>
          this.peers.failuresOf(peer) === 0 &&
          !this.peers.isBanned(peer) &&
          !this.rules.isForeign(peer),
      },
    );
    this.dataSync = new DataSync(
      {
        maxMessageBytes: opts.maxMessageBytes,
        paging: { limit: DEFAULTS.dataPageLimit, maxPages: DEFAULTS.dataSyncMaxPages },
      },
      { ...common, chain: deps.chain, pending: deps.pending, logger: deps.logger },
    );
    this.relay = new Relay(DEFAULTS.relay, {
      ...common,
      chain: deps.chain,
      pending: deps.pending,
      neighbours: () => this.peers.usable(),
      ready: (peer) => this.ensureIdentified(peer),
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
        neighbourOf: (address) => this.neighbourOf(address),
        confirmBad: (peer, index, block, reason) => this.confirmBad(peer, index, block, reason),
        syncFrom: (peer) => this.syncFrom(peer),
        note: (peer, reason) =>
          this.log.info({ peer, reason }, "refused announced blocks; not the sender's fault"),
      },
    );
  }

  /** The current neighbours. */
  get neighbours(): string[] {
    return this.peers.list();
  }

  /**
   * A devnet's split: no request to these addresses, none taken from them,
   * until the next call; those no longer cut off are tried again at once.
   */
  cutOff(addresses: readonly string[]): void {
    const cut = new Set(addresses.flatMap((a) => tryNormalizeAddress(a) ?? []));
    const healed = [...this.client.cutOff].filter((address) => !cut.has(address));
    this.client.cutOff = cut;
    this.log.info({ cut_off: [...cut] }, cut.size > 0 ? "split off by the devnet" : "split healed");
    for (const address of healed) this.peers.noteAlive(address);
  }

  /** Whether a caller claiming `address` is cut off by a devnet's split. */
  isCutOff(address: string | null): boolean {
    const peer = tryNormalizeAddress(address);
    return peer !== null && this.client.cutOff.has(peer);
  }

  /** Every peer known, with its state, node id and last round trip (GET /peers). */
  peerStates(): PeerView[] {
    return this.peers.describe().map((peer) => ({
      address: peer.address,
      node_id: this.identities.idOf(peer.address),
      state: peer.state,
      rtt_ms: this.client.roundTripOf(peer.address),
      failures: peer.failures,
      last_ok: peer.last_ok,
    }));
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
      this.dataSync.run(this.readyNeighbours()),
    );
    this.relay.start();
    this.deps.chain.on("reorg", this.onReorg);
    this.deps.metrics?.neighbours.set(this.peers.size);
    this.track(
      (async () => {
        // Neighbours are asked who they are before anything else is sent to them.
        await Promise.all(this.peers.list().map((peer) => this.probe(peer)));
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
    this.deps.chain.off("reorg", this.onReorg);
    await this.relay.stop();
    await Promise.allSettled([...this.tasks]);
    this.client.close();
  }

  /**
   * A caller told its address and id (X-Blockchain-Node, X-Blockchain-Node-Id):
   * a claim, learnt as a neighbour only once the address answers our own
   * /status with that id (see CallerCheck). A known peer that was failing is
   * tried again at once (it may be back: a restart, a healed partition); that
   * retry is a request of ours to an address we already knew.
   */
  noteCaller(caller: Caller): void {
    if (this.abort.signal.aborted) return;
    const normalized = tryNormalizeAddress(caller.address);
    if (normalized !== null) this.peers.noteAlive(normalized);
    this.track(this.callers.note(caller));
  }

  /** Blocks a peer (or anyone) announced with POST /blocks. */
  receiveBlocks(blocks: unknown[], caller: Caller): AnnounceResult {
    const result = this.inbound.receiveBlocks(blocks, caller);
    const announcer = tryNormalizeAddress(caller.address);
    if (result.status === "accepted" && announcer !== null && !this.peers.has(announcer)) {
      if (this.tipAnnouncers.size >= MAX_TIP_ANNOUNCERS) this.tipAnnouncers.clear();
      this.tipAnnouncers.set(this.deps.chain.tipHash, announcer);
    }
    if (this.log.isLevelEnabled("debug")) {
      const first = blocks[0] as { index?: unknown } | undefined;
      this.log.debug(
        { from: caller.address, first: first?.index, count: blocks.length, ...result },
        "announced blocks",
      );
    }
    return result;
  }

  /** Messages a peer relayed with POST /data; resolves to how many were new. */
  receiveData(data: unknown[], caller: Caller): Promise<number> {
    return this.inbound.receiveData(data, caller);
  }

  /** The neighbours that answered our /status as peers of their own: the ones pushed to and synced with. */
  readyNeighbours(): string[] {
    return this.peers.usable().filter((peer) => this.identities.isIdentified(peer));
  }

  /** Whether `peer` answered our /status as a peer of its own, asking it now if it has not yet. */
  private async ensureIdentified(peer: string): Promise<boolean> {
    if (!this.identities.isIdentified(peer)) await this.probe(peer);
    return this.identities.isIdentified(peer);
  }

  /** The neighbour a claimed address names (normalised), or null. */
  private neighbourOf(address: string | null): string | null {
    const peer = tryNormalizeAddress(address);
    return peer !== null && this.peers.has(peer) ? peer : null;
  }

  /**
   * What a /status of ours says about a neighbour: this node itself or a
   * neighbour already held under another name is dropped for good.
   */
  private identify(peer: string, status: PeerStatus): "peer" | "self" | "alias" | "foreign" {
    // A peer of another proof rule is set aside (and logged once) by the rule check.
    if (!this.rules.accepts(peer, status)) return "foreign";
    const identity = this.identities.observe(peer, status.node_id);
    if (identity === "self") {
      this.log.info({ peer }, "an address of this node itself: never a neighbour");
      this.peers.exclude(peer);
    } else if (identity === "alias") {
      this.log.info({ peer }, "another address of a neighbour already held: dropped");
      this.peers.exclude(peer);
    }
    return identity;
  }

  /** Asks a new neighbour for its /status at once, so that it is known before anything is sent to it. */
  private probe(peer: string): Promise<void> {
    const running = this.probing.get(peer);
    if (running) return running;
    if (this.identities.isIdentified(peer) || this.abort.signal.aborted) return Promise.resolve();
    const probe = this.track(
      (async () => {
        try {
          const status = await this.guarded(peer, "status", () => this.client.status(peer));
          if (status) this.identify(peer, status);
        } finally {
          this.probing.delete(peer);
        }
      })(),
    );
    this.probing.set(peer, probe);
    return probe;
  }

  /**
   * A neighbour announced a block we refuse. The announce may be forged (a
   * header is a claim), so the neighbour is asked for that block itself: it is
   * punished only when it serves the very same block to our own request (an
   * answer too malformed to compare is punished by the guard as it comes).
   */
  private confirmBad(peer: string, index: number, block: unknown, reason: string): void {
    if (this.abort.signal.aborted || !Number.isSafeInteger(index) || index < 1) return;
    this.track(
      (async () => {
        const page = await this.guarded(peer, "confirm a refused announce", () =>
          this.client.blocks(peer, index, 1),
        );
        const served = page?.blocks[0];
        if (served && JSON.stringify(served) === JSON.stringify(block)) this.punish(peer, reason);
      })(),
    );
  }

  /** A neighbour announced blocks whose parent we lack: sync from it now. */
  syncFrom(address: string): void {
    const peer = this.neighbourOf(address);
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
  private setAside(peer: string, reason: string = ORIGINAL_PEER_REASON): void {
    this.peers.setAside(peer, this.opts.banDurationS * 1000);
    if (this.foreignLogged.has(peer)) return;
    this.foreignLogged.add(peer);
    this.log.warn({ peer }, `${peer} ${reason}; it is not kept as a neighbour`);
  }

  /** Our tip was left for another: its announcer, when not a neighbour, gets our chain's tail now. */
  private readonly onReorg = (reorg: Reorg): void => {
    const announcer = this.tipAnnouncers.get(reorg.old_tip);
    if (announcer === undefined || this.abort.signal.aborted) return;
    this.tipAnnouncers.delete(reorg.old_tip);
    if (this.peers.has(announcer) || this.peers.isBanned(announcer)) return;
    this.track(this.relay.catchUp(announcer));
  };

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
      if (err.kind === "other-network") {
        // Private and open never mix (SPEC section 10): neither down nor lying, of another network.
        this.setAside(peer, err.message.slice(peer.length + 2));
        return undefined;
      }
      if (err.kind === "refused" && !this.foreignLogged.has(`refused:${peer}`)) {
        this.foreignLogged.add(`refused:${peer}`);
        this.log.warn({ peer, reason: err.message }, "a member refused our request");
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
