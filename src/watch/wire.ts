/**
 * The network view's wire shapes (SPEC section 9): GET /network, and the
 * deltas GET /network/events sends. The page imports these types too.
 */

/** One node as the view shows it. */
export interface NodeView {
  address: string;
  node_id: string | null;
  reachable: boolean;
  length: number;
  tip: string | null;
  pending: number;
  hashrate: number;
  neighbours: string[];
  /** How many blocks this node's chain is short of the longest one seen. */
  behind: number;
  /** When the node last took a new tip (ms since the epoch, the watcher's clock), or null. */
  last_block_ms: number | null;
}

/** One block any node has seen. */
export interface BlockView {
  hash: string;
  previous_hash: string | null;
  index: number;
  /** The earliest time any node saw it (ms, that node's clock). */
  first_seen: number;
  seen_by: string[];
  tip_of: string[];
}

export interface Propagation {
  p50_ms: number | null;
  p90_ms: number | null;
  max_ms: number | null;
  /** Blocks seen by every reachable node whose spread is counted. */
  samples: number;
  /** Blocks seen that no node holds on its chain now (abandoned branches, lost races). */
  stale: number;
  /** Blocks seen in all. */
  seen: number;
  /** The samples' histogram: `bins` counts of equal width `bin_ms` from 0. */
  bins: number[];
  bin_ms: number;
}

/** One recent block's spread: when each node saw it, after the first. */
export interface SpreadView {
  hash: string;
  index: number;
  first_seen: number;
  offsets: { node: string; ms: number }[];
}

/** One peer link of a node (its /peers), for the peer graph. */
export interface LinkView {
  from: string;
  to: string;
  state: string;
  rtt_ms: number | null;
}

/** Something that happened in the network. */
export type NetworkEvent = { at: number; kind: EventKind } & Record<string, unknown>;

export type EventKind =
  | "fork"
  | "reorg"
  | "unreachable"
  | "reachable"
  | "lagging"
  | "caught-up"
  | "ban"
  | "joined"
  | "control";

/** GET /network. */
export interface NetworkSnapshot {
  nodes: NodeView[];
  blocks: BlockView[];
  propagation: Propagation;
  events: NetworkEvent[];
  /** Every node's peers and their round trips (the peer graph). */
  links: LinkView[];
  /** The newest blocks' spread (the waterfall). */
  waterfall: SpreadView[];
  /** Whether this view can split, heal, stop and start nodes (a devnet's). */
  controls: boolean;
}

/** What one `update` event of GET /network/events carries: what changed since the last. */
export interface NetworkDelta {
  nodes: NodeView[];
  blocks: BlockView[];
  events: NetworkEvent[];
  propagation: Propagation;
  links: LinkView[] | null;
  waterfall: SpreadView[];
}
