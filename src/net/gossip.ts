import type { Logger } from "pino";
import type { PeerClient } from "./peer-client.js";
import type { PeerGuard } from "./peer-guard.js";
import type { PeerTable } from "./peer-table.js";

/**
 * Gossip: asks each neighbour for its neighbours, adds unknown ones while
 * there is room and remembers the rest, so that a dropped neighbour can be
 * replaced from the peers it knew. Junk entries are ignored.
 */
export class Gossip {
  constructor(
    private readonly deps: {
      peers: PeerTable;
      client: PeerClient;
      guard: PeerGuard;
      logger: Logger;
      /** Whether a neighbour may be asked yet (it answered our /status as a peer of its own). */
      ready?: (peer: string) => boolean;
    },
  ) {}

  /** One round against every current neighbour, in parallel, then free places are refilled. */
  async run(): Promise<void> {
    const { peers, client, guard } = this.deps;
    await Promise.allSettled(
      peers
        .usable()
        .filter((peer) => this.deps.ready?.(peer) ?? true)
        .map(async (peer) => {
          const entries = await guard.run(peer, "gossip", () => client.neighbours(peer));
          if (!entries) return;
          const added = peers.learnFrom(peer, entries);
          if (added.length > 0)
            this.deps.logger.info({ from: peer, added }, "learnt neighbours by gossip");
        }),
    );
    peers.refill();
  }
}
