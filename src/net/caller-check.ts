import type { Logger } from "pino";
import { tryNormalizeAddress } from "./address.js";
import { parseNodeId } from "./node-id.js";
import { type PeerClient, PeerError } from "./peer-client.js";
import type { PeerStatus } from "./peer-schemas.js";
import type { PeerTable } from "./peer-table.js";

/** What a request's headers claim about its caller, and where the connection comes from. */
export interface Caller {
  /** X-Blockchain-Node: the `host:port` the caller says it serves at. */
  address: string | null;
  /** X-Blockchain-Node-Id: the node id the caller says it has. */
  nodeId: string | null;
  /** The connection's remote address. */
  ip: string;
}

export interface CallerCheckOptions {
  /** How long an address is not checked again after a check. */
  cooldownMs: number;
  /** Most checks running at once; callers beyond wait for a later request. */
  maxInFlight: number;
  now?: () => number;
}

/** Most addresses remembered with the time of their last check. */
const MAX_REMEMBERED = 1024;

/**
 * Learns callers as neighbours, but only on proof: a caller's headers are a
 * claim, so this node asks the claimed address for its /status itself and
 * adds it only when the answer carries the claimed node id (and it is neither
 * this node nor a neighbour under another name). A header alone sends one
 * GET /status at most, to an address not checked lately, a few at a time.
 */
export class CallerCheck {
  private readonly inFlight = new Set<string>();
  private readonly lastCheck = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly opts: CallerCheckOptions,
    private readonly deps: {
      client: PeerClient;
      peers: PeerTable;
      /** Records the id the address answered with; "peer" when it may be a neighbour. */
      identify: (peer: string, status: PeerStatus) => string;
      logger: Logger;
    },
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Starts a check of the caller when it is worth one; resolves when it is done (or at once). */
  async note(caller: Caller): Promise<void> {
    const nodeId = parseNodeId(caller.nodeId);
    const peer = tryNormalizeAddress(caller.address);
    if (nodeId === null || peer === null || !this.deps.peers.mayAdd(peer)) return;
    if (this.inFlight.has(peer) || this.inFlight.size >= this.opts.maxInFlight) return;
    const last = this.lastCheck.get(peer);
    if (last !== undefined && this.now() - last < this.opts.cooldownMs) return;
    this.remember(peer);
    this.inFlight.add(peer);
    try {
      await this.check(peer, nodeId);
    } finally {
      this.inFlight.delete(peer);
    }
  }

  private async check(peer: string, claimedId: string): Promise<void> {
    let status: PeerStatus;
    try {
      status = await this.deps.client.status(peer);
    } catch (err) {
      if (!(err instanceof PeerError)) throw err;
      this.deps.logger.debug({ peer, reason: err.message }, "a caller's address did not answer");
      return;
    }
    if (status.node_id !== claimedId) {
      this.deps.logger.info(
        { peer, claimed: claimedId, answered: status.node_id ?? null },
        "a caller's claimed address answers with another node id: not learnt",
      );
      return;
    }
    if (!this.deps.peers.mayAdd(peer)) return;
    if (this.deps.identify(peer, status) !== "peer") return;
    if (this.deps.peers.add(peer))
      this.deps.logger.info(
        { peer },
        "learnt a neighbour from a caller (its /status confirmed it)",
      );
    else this.deps.peers.remember(peer);
  }

  private remember(peer: string): void {
    this.lastCheck.delete(peer);
    if (this.lastCheck.size >= MAX_REMEMBERED) {
      const oldest = this.lastCheck.keys().next().value;
      if (oldest !== undefined) this.lastCheck.delete(oldest);
    }
    this.lastCheck.set(peer, this.now());
  }
}
