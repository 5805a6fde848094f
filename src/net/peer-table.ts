import { EventEmitter } from "node:events";
import { tryNormalizeAddress } from "./address.js";

export interface PeerTableOptions {
  /** This node's advertised address: never a neighbour of itself. */
  self: string;
  /** Most neighbours at once (`--max-neighbours`). */
  max: number;
  /** Consecutive failures after which a learnt neighbour gives its place to another peer. */
  maxFailures: number;
  banDurationMs: number;
  /** First pause after a failure; it doubles with each failure in a row. */
  retryBaseMs: number;
  /** Longest pause between tries of a neighbour named on the command line. */
  pinnedRetryMaxMs: number;
  /** Longest pause between tries of a learnt peer. */
  learntRetryMaxMs: number;
  /** A learnt peer that has not answered for this long (and is not a neighbour) is forgotten. */
  evictAfterMs: number;
  /** Failures before this time do not cost a neighbour its place (peers started together need a moment). */
  graceUntil?: number;
  /** The clock, in ms (tests pass their own). */
  now?: () => number;
}

export interface PeerTableEvents {
  /** The neighbour list changed; the new list. */
  change: [neighbours: string[]];
  /** A peer that had failed answered again (a restart, a healed partition). */
  recovered: [address: string];
  /** When the next retry falls due changed (the network re-arms its timer). */
  schedule: [];
}

/** What the table knows of one peer. */
interface PeerEntry {
  /** Named on the command line: never forgotten, retried at most `pinnedRetryMaxMs` apart. */
  pinned: boolean;
  /** A neighbour now (the jobs and push talk to it). */
  active: boolean;
  /** Failures in a row; 0 once it answers. */
  failures: number;
  /** No request before this time while it is failing. */
  retryAt: number;
  /** When it last answered, or was first heard of. */
  lastSeen: number;
  /** The peers it knew at its last gossip answer: its place is filled from them. */
  knows: string[];
  /** When it last answered (ms), or null before any answer. */
  lastOk: number | null;
}

/** One peer as GET /peers tells it (without what the table does not own: id and round trip). */
export interface PeerState {
  address: string;
  state: "connected" | "failing" | "set-aside" | "banned";
  failures: number;
  last_ok: number | null;
}

/** One peer as GET /peers gives it: its table state, node id and last round trip. */
export interface PeerView extends PeerState {
  node_id: string | null;
  rtt_ms: number | null;
}

/** Most peers remembered, so that gossip cannot fill memory; pinned ones are always kept. */
const MAX_ENTRIES = 256;
/** Most addresses remembered per neighbour from its own list. */
const MAX_KNOWN_PER_PEER = 64;
/** Most bans held: expired ones are pruned first, then the oldest, so bans cannot fill memory. */
const MAX_BANS = 4096;
/** Most addresses remembered as this node itself or an alias of a neighbour. */
const MAX_EXCLUDED = 256;

/**
 * The peer table: every peer the node knows, its neighbours among them (at
 * most `max`, never self, never banned), and each peer's failures. A peer that
 * fails is not asked again until its back-off has passed (doubling from
 * `retryBaseMs`); only the retry probe tries it then. Neighbours named on the
 * command line stay neighbours whatever happens, retried at most
 * `pinnedRetryMaxMs` apart. A learnt neighbour failing `maxFailures` times in a
 * row gives its place to a peer it knew, stays in the table and is retried
 * with back-off; it is forgotten only after `evictAfterMs` without an answer.
 * A peer that answers again is announced (`recovered`), so that the node syncs
 * with it at once instead of waiting for a periodic job.
 */
export class PeerTable extends EventEmitter<PeerTableEvents> {
  private readonly entries = new Map<string, PeerEntry>();
  private readonly bans = new Map<string, number>();
  /** Peers of another proof rule -> until when they are not taken as neighbours (not a ban). */
  private readonly asides = new Map<string, number>();
  /** Addresses that are this node itself (or a neighbour) under another name: never taken. */
  private readonly excluded = new Set<string>();
  private readonly now: () => number;
  private readonly self: string;

  constructor(
    private readonly opts: PeerTableOptions,
    pinned: readonly string[] = [],
  ) {
    super();
    this.now = opts.now ?? Date.now;
    this.self = tryNormalizeAddress(opts.self) ?? opts.self;
    for (const input of pinned) {
      const address = this.usableAddress(input);
      if (address === null) continue;
      const entry = this.entries.get(address) ?? this.newEntry(address, true);
      entry.pinned = true;
      entry.active = this.activeCount() < this.opts.max;
    }
  }

  /** Failures before `time` do not cost a neighbour its place (set when the network starts). */
  setGraceUntil(time: number): void {
    this.opts.graceUntil = time;
  }

  /** The neighbours, in the order they were added (failing ones included). */
  list(): string[] {
    return [...this.entries].filter(([, e]) => e.active).map(([address]) => address);
  }

  /** The neighbours that may be asked now: those not waiting out a back-off. */
  usable(): string[] {
    return [...this.entries]
      .filter(([, e]) => e.active && e.failures === 0)
      .map(([address]) => address);
  }

  get size(): number {
    return this.activeCount();
  }

  /** Whether `address` is a neighbour now. */
  has(address: string): boolean {
    return this.entries.get(address)?.active === true;
  }

  /** Whether the table knows `address` at all (a neighbour or not). */
  knows(address: string): boolean {
    return this.entries.has(address);
  }

  isFull(): boolean {
    return this.activeCount() >= this.opts.max;
  }

  /** Whether `address` is banned now (an expired ban is forgotten). */
  isBanned(address: string): boolean {
    const until = this.bans.get(address);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.bans.delete(address);
    return false;
  }

  /** Whether `address` is set aside now as a peer of another proof rule. */
  isSetAside(address: string): boolean {
    const until = this.asides.get(address);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.asides.delete(address);
    return false;
  }

  /**
   * Drops `address` as a neighbour and does not take it again for `forMs`: a
   * peer of another proof rule, no use as a neighbour but it did nothing
   * wrong (not a ban). After that it may be taken again (it may have been
   * restarted with our rule); a pinned one takes its place back.
   */
  setAside(address: string, forMs: number): void {
    const normalized = tryNormalizeAddress(address);
    if (normalized === null) return;
    this.asides.set(normalized, this.now() + forMs);
    const entry = this.entries.get(normalized);
    if (!entry) return;
    entry.knows = [];
    if (!entry.active) return;
    entry.active = false;
    this.fillFrom(this.candidates());
    this.changed();
  }

  /**
   * Drops `address` and never takes it again: it is this node itself, or a
   * neighbour already held, under another name (found by its node id).
   */
  exclude(address: string): void {
    const normalized = tryNormalizeAddress(address);
    if (normalized === null) return;
    if (this.excluded.size >= MAX_EXCLUDED) {
      const oldest = this.excluded.values().next().value;
      if (oldest !== undefined) this.excluded.delete(oldest);
    }
    this.excluded.add(normalized);
    const entry = this.entries.get(normalized);
    if (!entry) return;
    this.entries.delete(normalized);
    if (entry.active) {
      this.fillFrom(this.candidates());
      this.changed();
    }
  }

  /** Whether `address` was found to be this node or an alias of a neighbour. */
  isExcluded(address: string): boolean {
    return this.excluded.has(address);
  }

  /** Whether a caller at `address` is worth a check: takeable, not a neighbour, not failing, and there is room. */
  mayAdd(address: string): boolean {
    if (this.usableAddress(address) === null || this.has(address) || this.isFull()) return false;
    return this.failuresOf(address) === 0;
  }

  /** How many bans are held (expired ones are pruned as new ones come). */
  get banCount(): number {
    return this.bans.size;
  }

  /**
   * Every peer the table knows, neighbour or not, and every address banned or
   * set aside now: what GET /peers lists.
   */
  describe(): PeerState[] {
    const described = new Map<string, PeerState>();
    for (const [address, entry] of this.entries) {
      described.set(address, {
        address,
        state: this.stateOf(address, entry.failures),
        failures: entry.failures,
        last_ok: entry.lastOk,
      });
    }
    for (const address of [...this.bans.keys(), ...this.asides.keys()]) {
      if (described.has(address)) continue;
      const state = this.stateOf(address, 0);
      if (state !== "connected")
        described.set(address, { address, state, failures: 0, last_ok: null });
    }
    return [...described.values()];
  }

  private stateOf(address: string, failures: number): PeerState["state"] {
    if (this.isBanned(address)) return "banned";
    if (this.isSetAside(address)) return "set-aside";
    return failures > 0 ? "failing" : "connected";
  }

  /** Whether `address` was named on the command line. */
  isPinned(address: string): boolean {
    return this.entries.get(address)?.pinned === true;
  }

  /** Consecutive failures of `address` (0 for an unknown peer). */
  failuresOf(address: string): number {
    return this.entries.get(address)?.failures ?? 0;
  }

  /** Makes `address` a neighbour if there is room; false when junk, self, banned, a neighbour already, or full. */
  add(address: string): boolean {
    const normalized = this.usableAddress(address);
    if (normalized === null || this.isFull()) return false;
    const entry = this.entries.get(normalized) ?? this.newEntry(normalized, false);
    if (entry.active) return false;
    entry.active = true;
    this.changed();
    return true;
  }

  /** Remembers `address` as a peer that may become a neighbour later; false for junk, self or banned. */
  remember(address: string): boolean {
    const normalized = this.usableAddress(address);
    if (normalized === null) return false;
    if (!this.entries.has(normalized)) this.newEntry(normalized, false);
    return true;
  }

  /** A peer answered: its failures are forgotten; a peer that had failed is announced as recovered. */
  noteSuccess(address: string): void {
    const entry = this.entries.get(address);
    if (!entry) return;
    entry.lastSeen = this.now();
    entry.lastOk = entry.lastSeen;
    if (entry.failures === 0) return;
    entry.failures = 0;
    entry.retryAt = 0;
    // A learnt peer that lost its place takes a free one again.
    if (!entry.active && !this.isFull()) {
      entry.active = true;
      this.changed();
    }
    this.emit("schedule");
    this.emit("recovered", address);
  }

  /**
   * A peer did not answer (or answered with a server error): it waits out a
   * back-off before it is tried again. A learnt neighbour that failed
   * `maxFailures` times in a row gives its place to another peer. True when
   * it lost its place.
   */
  noteFailure(address: string): boolean {
    const entry = this.entries.get(address);
    if (!entry) return false;
    const now = this.now();
    // A failure of a request sent before the last one failed is the same outage, not a new one.
    if (entry.failures > 0 && now < entry.retryAt) return false;
    entry.failures++;
    entry.retryAt = now + this.backoffMs(entry);
    this.emit("schedule");
    if (!entry.active || entry.pinned || entry.failures < this.opts.maxFailures) return false;
    if (now < (this.opts.graceUntil ?? 0)) return false;
    entry.active = false;
    this.fillFrom(entry.knows);
    this.fillFrom(this.candidates());
    this.changed();
    return true;
  }

  /** Peers whose back-off has passed: the retry probe asks them now. */
  due(): string[] {
    const now = this.now();
    this.evictSilent(now);
    return [...this.entries]
      .filter(([address, e]) => e.failures > 0 && e.retryAt <= now && this.mayTake(address))
      .map(([address]) => address);
  }

  /** When the next back-off ends (peers in `except` aside: their retry is running), or null. */
  nextRetryAt(except: ReadonlySet<string> = new Set()): number | null {
    let next: number | null = null;
    for (const [address, entry] of this.entries) {
      if (entry.failures === 0 || except.has(address)) continue;
      const at = Math.max(
        entry.retryAt,
        this.bans.get(address) ?? 0,
        this.asides.get(address) ?? 0,
      );
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** A caller says it is `address`: a failing peer of that address is tried again at once. */
  noteAlive(address: string): void {
    const entry = this.entries.get(address);
    if (!entry || entry.failures === 0 || entry.retryAt <= this.now()) return;
    entry.retryAt = this.now();
    this.emit("schedule");
  }

  /** Drops `address` as a neighbour and refuses it for the ban duration (a pinned one comes back after). */
  ban(address: string): void {
    const normalized = tryNormalizeAddress(address);
    if (normalized === null) return;
    this.bans.delete(normalized);
    this.bans.set(normalized, this.now() + this.opts.banDurationMs);
    this.pruneBans();
    const entry = this.entries.get(normalized);
    if (!entry) return;
    const wasActive = entry.active;
    if (entry.pinned) {
      entry.active = false;
      entry.knows = [];
    } else {
      this.entries.delete(normalized);
    }
    // A liar's own list is not trusted: its place is filled from the other peers.
    if (wasActive) {
      this.fillFrom(this.candidates());
      this.changed();
    }
  }

  /**
   * Records the peers a neighbour knows (its gossip answer): junk is ignored;
   * unknown ones become neighbours while there is room, the rest are
   * remembered. Returns the addresses added as neighbours.
   */
  learnFrom(neighbour: string, addresses: readonly unknown[]): string[] {
    const valid: string[] = [];
    for (const input of addresses) {
      const address = tryNormalizeAddress(input);
      if (address !== null && address !== this.self && !valid.includes(address))
        valid.push(address);
      if (valid.length >= MAX_KNOWN_PER_PEER) break;
    }
    const from = this.entries.get(neighbour);
    if (from?.active) from.knows = valid;
    const added = this.fillFrom(valid);
    for (const address of valid) this.remember(address);
    if (added.length > 0) this.changed();
    return added;
  }

  /**
   * Fills free places, pinned peers first, then peers that answered last.
   * A pinned peer back from a ban takes its place again from a learnt one.
   */
  refill(): string[] {
    const displaced = this.restorePinned();
    const added = this.fillFrom(this.candidates());
    if (added.length > 0 || displaced) this.changed();
    return added;
  }

  /** Peers that may take a free place (not failing: a failing one comes back through its retry), best first. */
  private candidates(): string[] {
    return [...this.entries]
      .filter(([address, e]) => !e.active && e.failures === 0 && this.mayTake(address))
      .sort(([, a], [, b]) => Number(b.pinned) - Number(a.pinned) || b.lastSeen - a.lastSeen)
      .map(([address]) => address);
  }

  /** Gives a place back to a pinned peer (after its ban) when learnt ones fill the table; true when one was displaced. */
  private restorePinned(): boolean {
    let displaced = false;
    for (const [address, entry] of this.entries) {
      if (!entry.pinned || entry.active || !this.mayTake(address) || !this.isFull()) continue;
      const learnt = [...this.entries.values()].reverse().find((e) => e.active && !e.pinned);
      if (!learnt) return displaced;
      learnt.active = false;
      entry.active = true;
      displaced = true;
    }
    return displaced;
  }

  private fillFrom(addresses: readonly string[]): string[] {
    const added: string[] = [];
    for (const input of addresses) {
      if (this.isFull()) break;
      const address = this.usableAddress(input);
      if (address === null) continue;
      const entry = this.entries.get(address) ?? this.newEntry(address, false);
      if (entry.active || entry.failures > 0) continue;
      entry.active = true;
      added.push(address);
    }
    return added;
  }

  private backoffMs(entry: PeerEntry): number {
    const max = entry.pinned ? this.opts.pinnedRetryMaxMs : this.opts.learntRetryMaxMs;
    return Math.min(max, this.opts.retryBaseMs * 2 ** Math.min(entry.failures - 1, 20));
  }

  /** Forgets learnt peers that are not neighbours and have not answered for `evictAfterMs`. */
  private evictSilent(now: number): void {
    for (const [address, entry] of this.entries) {
      if (entry.pinned || entry.active || entry.failures === 0) continue;
      if (now - entry.lastSeen >= this.opts.evictAfterMs) this.entries.delete(address);
    }
  }

  private newEntry(address: string, pinned: boolean): PeerEntry {
    if (this.entries.size >= MAX_ENTRIES) this.evictOne();
    const entry: PeerEntry = {
      pinned,
      active: false,
      failures: 0,
      retryAt: 0,
      lastSeen: this.now(),
      knows: [],
      lastOk: null,
    };
    this.entries.set(address, entry);
    return entry;
  }

  /** Makes room: the learnt non-neighbour heard of longest ago goes (a failing one first). */
  private evictOne(): void {
    let victim: string | null = null;
    let worst: PeerEntry | null = null;
    for (const [address, entry] of this.entries) {
      if (entry.pinned || entry.active) continue;
      const worse =
        worst === null ||
        (entry.failures > 0 && worst.failures === 0) ||
        (entry.failures > 0 === worst.failures > 0 && entry.lastSeen < worst.lastSeen);
      if (worse) {
        victim = address;
        worst = entry;
      }
    }
    if (victim !== null) this.entries.delete(victim);
  }

  private usableAddress(input: string): string | null {
    const address = tryNormalizeAddress(input);
    if (address === null || address === this.self || !this.mayTake(address)) return null;
    return address;
  }

  /** Neither banned, set aside, nor this node or a neighbour under another name. */
  private mayTake(address: string): boolean {
    return !this.isBanned(address) && !this.isSetAside(address) && !this.excluded.has(address);
  }

  /** Forgets expired bans (at most MAX_BANS are held, so a sweep stays cheap), then the oldest beyond the cap. */
  private pruneBans(): void {
    const now = this.now();
    for (const [address, until] of this.bans) if (until <= now) this.bans.delete(address);
    // Still too many live bans: the oldest go first (a Map keeps insertion order).
    for (const address of this.bans.keys()) {
      if (this.bans.size <= MAX_BANS) break;
      this.bans.delete(address);
    }
  }

  private activeCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.active) count++;
    return count;
  }

  private changed(): void {
    this.emit("change", this.list());
  }
}
