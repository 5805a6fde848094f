import type { Logger } from "pino";
import type { ChainState } from "../chain/chain-state.js";
import { PendingFullError } from "../config/errors.js";
import { type Data, dataProblem } from "../core/data.js";
import type { PendingPool } from "../pool/pending-pool.js";
import type { PeerClient } from "./peer-client.js";
import type { PeerGuard } from "./peer-guard.js";

/**
 * Data sync: fetches each neighbour's pending messages and adds those not yet
 * known (pending or in the chain). A message too large for our limit is
 * skipped, not held against the peer: its limit may differ from ours.
 */
export class DataSync {
  constructor(
    private readonly opts: {
      maxMessageBytes: number;
      /** Messages asked for per page, and most pages per round. */
      paging: { limit: number; maxPages: number };
    },
    private readonly deps: {
      chain: ChainState;
      pending: PendingPool;
      client: PeerClient;
      guard: PeerGuard;
      logger: Logger;
      signal: AbortSignal;
    },
  ) {}

  /** One round against every peer, in parallel. */
  async run(peers: readonly string[]): Promise<void> {
    await Promise.allSettled(peers.map((peer) => this.syncWith(peer)));
  }

  /**
   * Pages through the peer's pending messages (GET /data?after=&limit=, by
   * id), so that no honest answer grows past the size cap however many
   * messages it holds; at most enough pages for a full pending set.
   */
  private async syncWith(peer: string): Promise<void> {
    const { limit, maxPages } = this.opts.paging;
    let after = "";
    for (let page = 0; page < maxPages && !this.deps.signal.aborted; page++) {
      const list = await this.deps.guard.run(peer, "data sync", () =>
        this.deps.client.pendingPage(peer, after, limit),
      );
      const later = list?.filter((d) => d.id > after) ?? [];
      if (later.length === 0) return;
      if (!(await this.addFrom(peer, later))) return;
      // The highest id seen: the next page starts after it (ids are compared as strings).
      for (const data of later) if (data.id > after) after = data.id;
    }
  }

  /** Adds the new messages of one page; false when the pool is full (the round stops). */
  private async addFrom(peer: string, list: readonly Data[]): Promise<boolean> {
    const { chain, pending } = this.deps;
    const fresh = list.filter(
      (data) =>
        !pending.has(data.id) &&
        !chain.hasData(data.id) &&
        dataProblem(data, this.opts.maxMessageBytes) === null,
    );
    const { added, refused } = await pending.addBatch(fresh, peer);
    if (refused && !(refused instanceof PendingFullError)) throw refused;
    if (added > 0) this.deps.logger.debug({ peer, added }, "data sync added messages");
    if (refused) {
      this.deps.logger.warn(
        { peer },
        "pending pool full: data sync stops until messages are mined",
      );
      return false;
    }
    return true;
  }
}
