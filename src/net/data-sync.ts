import type { Logger } from "pino";
import type { ChainState } from "../chain/chain-state.js";
import { PendingFullError } from "../config/errors.js";
import { dataProblem } from "../core/data.js";
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
    private readonly opts: { maxMessageBytes: number },
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

  private async syncWith(peer: string): Promise<void> {
    const { chain, pending, client, guard } = this.deps;
    const list = await guard.run(peer, "data sync", () => client.pending(peer));
    if (!list) return;
    if (this.deps.signal.aborted) return;
    const fresh = list.filter(
      (data) =>
        !pending.has(data.id) &&
        !chain.hasData(data.id) &&
        dataProblem(data, this.opts.maxMessageBytes) === null,
    );
    const { added, refused } = await pending.addBatch(fresh, peer);
    if (refused && !(refused instanceof PendingFullError)) throw refused;
    if (refused) {
      this.deps.logger.warn(
        { peer },
        "pending pool full: data sync stops until messages are mined",
      );
    }
    if (added > 0) this.deps.logger.debug({ peer, added }, "data sync added messages");
  }
}
