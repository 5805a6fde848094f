import { EventEmitter } from "node:events";
import { tryNormalizeAddress } from "./address.js";

export interface PeerSetOptions {
  /** This node's advertised address: never a neighbour of itself. */
  self: string;
  max: number;
  /** Consecutive failures after which a neighbour is dropped. */
  maxFailures: number;
  banDurationMs: number;
  /** How long a neighbour dropped for failures waits before it may be tried again. */
  retryAfterMs: number;
  /** Failures before this time are not counted (peers started together need a moment). */
  graceUntil?: number;
  /** The clock, in ms (tests pass their own). */
  now?: () => number;
}

export interface PeerSetEvents {
  /** The neighbour list changed; the new list. */
  change: [neighbours: string[]];
}

/** Most addresses remembered as candidates, so a peer's list cannot fill memory. */
const MAX_CANDIDATES = 256;
/** Most addresses remembered per neighbour from its own list. */
const MAX_KNOWN_PER_PEER = 64;

/**
 * The neighbours: at most `max` normalised `host:port`, never self, never banned.
 * Remembers the peers each neighbour knows, so that a neighbour dropped after
 * failing `maxFailures` times in a row is replaced from them.
 */
export class PeerSet extends EventEmitter<PeerSetEvents> {
  private readonly members = new Map<string, { failures: number }>();
  /** Candidate address -> earliest time it may be added (0: at once). */
  private readonly candidates = new Map<string, number>();
  /** Neighbour -> the peers it knew at its last gossip answer. */
  private readonly knownBy = new Map<string, string[]>();
  private readonly bans = new Map<string, number>();
  /** Peers of another proof rule -> until when they are not taken as neighbours (not a ban). */
  private readonly asides = new Map<string, number>();
  private readonly now: () => number;
  private readonly self: string;

  constructor(
    private readonly opts: PeerSetOptions,
    initial: readonly string[] = [],
  ) {
    super();
    this.now = opts.now ?? Date.now;
    this.self = tryNormalizeAddress(opts.self) ?? opts.self;
    for (const address of initial) {
      if (!this.insert(address)) this.remember(address);
    }
  }

  /** Failures before `time` are not counted (set when the network starts). */
  setGraceUntil(time: number): void {
    this.opts.graceUntil = time;
  }

  /** The neighbours, in the order they were added. */
  list(): string[] {
    return [...this.members.keys()];
  }

  get size(): number {
    return this.members.size;
  }

  has(address: string): boolean {
    return this.members.has(address);
  }

  isFull(): boolean {
    return this.members.size >= this.opts.max;
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
   * Drops `address` and does not take it as a neighbour again for `forMs`:
   * a peer of another proof rule, which is no use as a neighbour but has
   * done nothing wrong (not a ban). After that it may be tried again (it
   * may have been restarted with our rule).
   */
  setAside(address: string, forMs: number): void {
    const normalized = tryNormalizeAddress(address);
    if (normalized === null) return;
    const until = this.now() + forMs;
    this.asides.set(normalized, until);
    // Kept as a candidate for after that time, so a neighbour named at start is tried again.
    this.candidates.set(normalized, until);
    this.knownBy.delete(normalized);
    if (this.members.delete(normalized)) {
      this.fillFromCandidates();
      this.changed();
    }
  }

  /** Adds a neighbour if there is room; false when junk, self, banned, known or full. */
  add(address: string): boolean {
    const added = this.insert(address);
    if (added) this.changed();
    return added;
  }

  /** A neighbour answered: its failure count starts again. */
  noteSuccess(address: string): void {
    const member = this.members.get(address);
    if (member) member.failures = 0;
  }

  /**
   * A neighbour did not answer (or answered with a server error). After
   * `maxFailures` in a row it is dropped and replaced; true when it was dropped.
   */
  noteFailure(address: string): boolean {
    const member = this.members.get(address);
    if (!member) return false;
    if (this.now() < (this.opts.graceUntil ?? 0)) return false;
    member.failures++;
    if (member.failures < this.opts.maxFailures) return false;
    this.members.delete(address);
    // It may come back later (a restarted peer), but only after the others had their turn.
    this.candidates.delete(address);
    this.remember(address, this.now() + this.opts.retryAfterMs);
    this.refillFrom(this.knownBy.get(address) ?? []);
    this.knownBy.delete(address);
    this.fillFromCandidates();
    this.changed();
    return true;
  }

  /** Drops `address` and refuses it for the ban duration. */
  ban(address: string): void {
    const normalized = tryNormalizeAddress(address);
    if (normalized === null) return;
    this.bans.set(normalized, this.now() + this.opts.banDurationMs);
    this.candidates.delete(normalized);
    // A liar's own list is not trusted: its place is filled from the other candidates.
    this.knownBy.delete(normalized);
    if (this.members.delete(normalized)) {
      this.fillFromCandidates();
      this.changed();
    }
  }

  /**
   * Records the peers a neighbour knows (its gossip answer): junk is ignored;
   * unknown ones are added while there is room, the rest kept as candidates.
   * Returns the addresses added.
   */
  learnFrom(neighbour: string, addresses: readonly unknown[]): string[] {
    const valid: string[] = [];
    for (const entry of addresses) {
      const address = tryNormalizeAddress(entry);
      if (address !== null && address !== this.self && !valid.includes(address))
        valid.push(address);
      if (valid.length >= MAX_KNOWN_PER_PEER) break;
    }
    if (this.members.has(neighbour)) this.knownBy.set(neighbour, valid);
    const added = valid.filter((address) => this.insert(address));
    for (const address of valid) if (!this.members.has(address)) this.remember(address);
    if (added.length > 0) this.changed();
    return added;
  }

  /** Fills free places from the remembered candidates whose time has come; returns those added. */
  refill(): string[] {
    const added = this.fillFromCandidates();
    if (added.length > 0) this.changed();
    return added;
  }

  private fillFromCandidates(): string[] {
    const now = this.now();
    const ready = [...this.candidates].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    return this.refillFrom(ready.map(([address]) => address));
  }

  private refillFrom(addresses: readonly string[]): string[] {
    const now = this.now();
    const added: string[] = [];
    for (const address of addresses) {
      if (this.isFull()) break;
      if ((this.candidates.get(address) ?? 0) > now) continue;
      if (this.insert(address)) added.push(address);
    }
    return added;
  }

  private insert(input: string): boolean {
    const address = tryNormalizeAddress(input);
    if (address === null || address === this.self || this.members.has(address)) return false;
    if (this.isFull() || this.isBanned(address) || this.isSetAside(address)) return false;
    this.members.set(address, { failures: 0 });
    this.candidates.delete(address);
    return true;
  }

  private remember(input: string, notBefore = 0): void {
    const address = tryNormalizeAddress(input);
    if (address === null || address === this.self || this.members.has(address)) return;
    if (this.isBanned(address) || this.isSetAside(address)) return;
    const existing = this.candidates.get(address);
    if (existing !== undefined && existing >= notBefore) return;
    if (existing === undefined && this.candidates.size >= MAX_CANDIDATES) {
      const oldest = this.candidates.keys().next().value;
      if (oldest !== undefined) this.candidates.delete(oldest);
    }
    this.candidates.set(address, notBefore);
  }

  private changed(): void {
    this.emit("change", this.list());
  }
}
