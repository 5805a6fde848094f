/** What a peer's /status says about the address it was asked at. */
export type Identity =
  /** A peer of its own (or one that gives no id). */
  | "peer"
  /** This node itself, under another name (0.0.0.0:P, [::ffff:127.0.0.1]:P, a DNS name, ...). */
  | "self"
  /** A neighbour already held, under another name. */
  | "alias";

/**
 * The node ids of the neighbours, learnt from their /status answers to this
 * node's own requests (never from a header): address strings cannot tell
 * that two names reach the same node, ids can.
 */
export class PeerIdentities {
  /** Neighbour address -> its node id ("" when it gives none). */
  private readonly ids = new Map<string, string>();

  constructor(private readonly selfId: string) {}

  /** Records the id `address` answered with; says whether that is a peer, this node, or an alias. */
  observe(address: string, nodeId: string | undefined): Identity {
    if (nodeId === this.selfId) return "self";
    if (nodeId !== undefined) {
      for (const [other, id] of this.ids) if (other !== address && id === nodeId) return "alias";
    }
    this.ids.set(address, nodeId ?? "");
    return "peer";
  }

  /** The node id `address` answered with, or null (not asked yet, or it gives none). */
  idOf(address: string): string | null {
    return this.ids.get(address) || null;
  }

  /** Whether `address` answered a /status of ours as a peer of its own. */
  isIdentified(address: string): boolean {
    return this.ids.has(address);
  }

  /** Forgets every address not in `neighbours` (the table changed). */
  retain(neighbours: readonly string[]): void {
    const keep = new Set(neighbours);
    for (const address of this.ids.keys()) if (!keep.has(address)) this.ids.delete(address);
  }
}
