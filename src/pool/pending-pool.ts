import { EventEmitter } from "node:events";
import type { Data } from "../core/data.js";

/** Where accepted messages are made durable (the pending journal, in the node). */
export interface PendingStore {
  add(data: Data): Promise<void>;
  remove(ids: readonly string[]): Promise<void>;
  compact(current: readonly Data[]): Promise<void>;
}

/** A full pool: the node answers 503 instead of dropping anything. */
export class PendingFullError extends Error {
  readonly code = "PENDING_FULL";
  constructor(readonly limit: number) {
    super(`the node holds ${limit} pending messages, its limit; try again once some are mined`);
    this.name = "PendingFullError";
  }
}

export interface PendingPoolEvents {
  /** A message became pending; `origin` is the peer it came from, or null when local. */
  added: [data: Data, origin: string | null];
}

export type AddOutcome = "added" | "known";

/**
 * The pending messages (the original's "unprocessed data"), keyed by id.
 * Never holds a message already in the chain; every add is durable before it resolves.
 */
export class PendingPool extends EventEmitter<PendingPoolEvents> {
  private readonly byId = new Map<string, Data>();
  private readonly arriving = new Set<string>();

  constructor(
    private readonly deps: { store: PendingStore; isInChain: (id: string) => boolean },
    private readonly opts: { maxPending: number },
  ) {
    super();
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Data | undefined {
    return this.byId.get(id);
  }

  list(): Data[] {
    return [...this.byId.values()];
  }

  /** A pending message chosen at random, or undefined when none is pending. */
  pickRandom(): Data | undefined {
    if (this.byId.size === 0) return undefined;
    const skip = Math.floor(Math.random() * this.byId.size);
    let i = 0;
    for (const data of this.byId.values()) if (i++ === skip) return data;
    return undefined;
  }

  /** Loads messages replayed from the journal, dropping those the chain already holds. */
  restore(messages: readonly Data[]): string[] {
    const stale: string[] = [];
    for (const data of messages) {
      if (this.deps.isInChain(data.id)) stale.push(data.id);
      else this.byId.set(data.id, data);
    }
    return stale;
  }

  /**
   * Accepts a message: durable on disk before it resolves. Known ids (pending,
   * in the chain, or arriving) are not added again. Throws PendingFullError when full.
   */
  async add(data: Data, origin: string | null = null): Promise<AddOutcome> {
    if (this.isKnown(data.id)) return "known";
    if (this.byId.size + this.arriving.size >= this.opts.maxPending) {
      throw new PendingFullError(this.opts.maxPending);
    }
    this.arriving.add(data.id);
    try {
      await this.deps.store.add(data);
    } finally {
      this.arriving.delete(data.id);
    }
    if (this.deps.isInChain(data.id)) return "known";
    this.byId.set(data.id, data);
    this.emit("added", data, origin);
    return "added";
  }

  /**
   * Takes back messages of abandoned blocks: never refused, so nothing accepted
   * is lost. They are pending at once (so a journal compaction keeps them) and
   * journalled together, with one fsync; the promise resolves once they are durable.
   */
  giveBack(messages: readonly Data[]): Promise<void> {
    const returned = messages.filter((data) => !this.isKnown(data.id));
    for (const data of returned) {
      this.byId.set(data.id, data);
      this.emit("added", data, null);
    }
    return Promise.all(returned.map((data) => this.deps.store.add(data))).then(() => undefined);
  }

  /**
   * Drops a message that joined the chain, from memory only: its journal
   * record stays until the block is on disk (the node's backup compacts it).
   */
  forget(id: string): void {
    this.byId.delete(id);
  }

  /** Rewrites the journal to hold just the current pending set. */
  async compact(): Promise<void> {
    await this.deps.store.compact(this.list());
  }

  private isKnown(id: string): boolean {
    return this.byId.has(id) || this.arriving.has(id) || this.deps.isInChain(id);
  }
}
