import { EventEmitter } from "node:events";
import { basename, dirname, extname, join } from "node:path";
import { DEFAULTS } from "../config/config.js";
import type { Data } from "../core/data.js";
import { PendingJournal } from "./pending-journal.js";
import { SourceQuota } from "./source-quota.js";

/** Where the pool makes its messages durable: the pending journal (tests may pass another). */
export interface PendingStore {
  add(data: Data): Promise<void>;
  remove(ids: readonly string[]): Promise<void>;
  compact(current: readonly Data[]): Promise<void>;
  close(): Promise<void>;
  /** The failed write while writes fail (a full disk), else null; absent: never fails. */
  readonly lastError?: Error | null;
  /** Failed writes so far. */
  readonly failureCount?: number;
}

/** Whether the journal is written: the error while it fails, and how many writes failed. */
export interface JournalHealth {
  lastError: Error | null;
  failureCount: number;
}

export interface PendingPoolEvents {
  /** A message became pending; `origin` is the peer it came from, or null when local. */
  added: [data: Data, origin: string | null];
}

export type AddOutcome = "added" | "known";

/** What became of messages added together. */
export interface BatchOutcome {
  /** How many were new. */
  added: number;
  /** The first refusal (a PendingFullError when the pool is full, or a journal failure), or null. */
  refused: unknown;
}

export interface PendingPoolDeps {
  journal: PendingStore;
  /** Whether a message id is in the chain: such a message is never pending. */
  isInChain: (id: string) => boolean;
}

/** The pending journal lives next to the chain file: `chain.json` -> `chain.pending`. */
export function journalPathOf(chainPath: string): string {
  return join(dirname(chainPath), `${basename(chainPath, extname(chainPath))}.pending`);
}

/**
 * The pending messages (the original's "unprocessed data"), keyed by id, and
 * the sole owner of their journal: it restores from it, journals every add
 * before the add resolves, and trims it once blocks are on disk. Never holds a
 * message already in the chain.
 */
export class PendingPool extends EventEmitter<PendingPoolEvents> {
  private readonly byId = new Map<string, Data>();
  private readonly arriving = new Set<string>();
  private readonly quota: SourceQuota;
  /** Add records in the journal since its last compaction (replayed ones counted at start). */
  private journalled = 0;
  /** Journal writes of messages given back by reorgs, still in flight. */
  private readonly returning = new Set<Promise<void>>();

  constructor(
    private readonly deps: PendingPoolDeps,
    opts: { maxPending: number },
  ) {
    super();
    this.quota = new SourceQuota({
      maxPending: opts.maxPending,
      sourceShare: DEFAULTS.pendingSourceShare,
      localReserve: DEFAULTS.pendingLocalReserve,
    });
  }

  /**
   * Opens the journal at `path` and restores the messages it holds, dropping
   * (and un-journalling) those the chain already has.
   */
  static async open(
    path: string,
    opts: { maxPending: number; logger?: { warn(msg: string): void }; retryMs?: number },
    isInChain: (id: string) => boolean,
  ): Promise<PendingPool> {
    const { journal, pending } = await PendingJournal.open(path, {
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
    });
    const pool = new PendingPool({ journal, isInChain }, { maxPending: opts.maxPending });
    try {
      await pool.restore(pending);
    } catch (err) {
      await journal.close().catch(() => undefined);
      throw err;
    }
    return pool;
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

  /** Loads messages replayed from the journal; those the chain already holds leave the journal. */
  async restore(messages: readonly Data[]): Promise<void> {
    const stale: string[] = [];
    this.journalled += messages.length;
    for (const data of messages) {
      if (this.deps.isInChain(data.id)) stale.push(data.id);
      else this.byId.set(data.id, data);
    }
    if (stale.length > 0) await this.deps.journal.remove(stale);
  }

  /**
   * Accepts a message: durable on disk before it resolves. Known ids (pending,
   * in the chain, or arriving) are not added again. Throws PendingFullError when full.
   */
  async add(
    data: Data,
    origin: string | null = null,
    source: string | null = origin,
  ): Promise<AddOutcome> {
    if (this.isKnown(data.id)) return "known";
    const refusal = this.quota.refusal(source, this.byId.size + this.arriving.size);
    if (refusal) throw refusal;
    this.arriving.add(data.id);
    this.quota.take(data.id, source);
    this.journalled++;
    try {
      await this.deps.journal.add(data);
    } catch (err) {
      this.quota.release(data.id);
      throw err;
    } finally {
      this.arriving.delete(data.id);
    }
    if (this.deps.isInChain(data.id)) {
      this.quota.release(data.id);
      return "known";
    }
    this.byId.set(data.id, data);
    this.emit("added", data, origin);
    return "added";
  }

  /**
   * Adds messages together (relayed by a peer, or fetched by data sync), so
   * that the journal makes them durable with one fsync, not one each. A
   * refusal does not stop the others; the first one is returned.
   */
  async addBatch(
    messages: readonly Data[],
    origin: string | null,
    source: string | null = origin,
  ): Promise<BatchOutcome> {
    const outcomes = await Promise.allSettled(
      messages.map((d) => this.add({ id: d.id, message: d.message }, origin, source)),
    );
    const added = outcomes.filter((o) => o.status === "fulfilled" && o.value === "added").length;
    const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    return { added, refused: refused ? refused.reason : null };
  }

  /**
   * Takes back messages of abandoned blocks: never refused, so nothing accepted
   * is lost. They are pending at once (so a journal compaction keeps them) and
   * journalled together, with one fsync; checkpoint() waits for that write.
   */
  giveBack(messages: readonly Data[]): Promise<void> {
    const returned = messages.filter((data) => !this.isKnown(data.id));
    for (const data of returned) {
      this.byId.set(data.id, data);
      this.emit("added", data, null);
    }
    this.journalled += returned.length;
    const written = Promise.all(returned.map((data) => this.deps.journal.add(data))).then(
      () => undefined,
    );
    this.returning.add(written);
    const settled = () => this.returning.delete(written);
    written.then(settled, settled);
    return written;
  }

  /**
   * Drops a message that joined the chain, from memory only: its journal
   * record stays until the block is on disk (see checkpoint()).
   */
  forget(id: string): void {
    this.byId.delete(id);
    this.quota.release(id);
  }

  /**
   * Runs a save of the chain file, then trims the journal to the messages
   * still pending or in blocks the save did not put on disk. `saveChain`
   * resolves to those blocks' messages (how many, and the messages, decoded
   * only when a compaction needs them: a sync adds thousands of blocks while
   * a save writes), or null when it had nothing to save.
   *
   * Messages a reorg gave back are journalled here first (their write has
   * settled): the save may cut the chain file back past the blocks that held
   * them, and after that the journal is their only copy.
   *
   * A compaction rewrites every live message, so it runs only once the
   * journal holds at least as many dead records as live ones (and a minimum):
   * its cost is paid by the adds that made the dead records, not by every
   * backup of a large pending set. Until then mined messages stay in the
   * journal, and a restart drops them as already in the chain.
   */
  async checkpoint(
    saveChain: () => Promise<{ count: number; list(): readonly Data[] } | null>,
    unsavedNow: () => readonly Data[] = () => [],
  ): Promise<void> {
    await Promise.allSettled(this.returning);
    if (this.deps.journal.lastError) {
      // A failed journal may lack give-backs (their write failed): rewrite it whole first,
      // which is also its recovery, and throws (no save) while the disk is still full.
      await this.deps.journal.compact([...this.list(), ...unsavedNow()]);
    }
    const unsaved = await saveChain();
    if (unsaved === null) return;
    const live = this.byId.size + unsaved.count;
    if (this.journalled - live < Math.max(live, DEFAULTS.journalCompactMinDead)) return;
    await this.deps.journal.compact([...this.list(), ...unsaved.list()]);
    this.journalled = live;
  }

  /** Whether the journal is written now. */
  get journalHealth(): JournalHealth {
    return {
      lastError: this.deps.journal.lastError ?? null,
      failureCount: this.deps.journal.failureCount ?? 0,
    };
  }

  /** Waits for journal writes in flight and closes the journal. */
  async close(): Promise<void> {
    await Promise.allSettled(this.returning);
    await this.deps.journal.close();
  }

  private isKnown(id: string): boolean {
    return this.byId.has(id) || this.arriving.has(id) || this.deps.isInChain(id);
  }
}
