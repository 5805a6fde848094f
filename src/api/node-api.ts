import type { EventEmitter } from "node:events";
import type { ChainSerialization } from "../config/config.js";
import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";

/** The node's status, as GET /status gives it. */
export interface NodeStatus {
  length: number;
  tip: string;
  difficulty: number;
  /** The proof rule the node follows (SPEC section 2). */
  proof_rule: "original" | "content";
  /** A random id this node chose for itself: peers recognise it behind any address. */
  node_id: string;
  neighbours: string[];
  pending: number;
  mining: boolean;
  hashrate: number;
  /** Which code mines: the native core with SHA-NI, its portable C, or TypeScript. */
  miner_engine: "native-sha-ni" | "native-portable" | "js";
  version: string;
  address: string;
  storage: StorageHealth;
}

/** Whether the node's writes to disk succeed (SPEC section 5: a full disk shows, and heals). */
export interface StorageHealth {
  journal: "ok" | "failing";
  backup: "ok" | "failing";
  last_backup: number | null;
  error: string | null;
}

export type BlocksAnnounceResult =
  | { status: "accepted" | "not-better"; length: number }
  | { status: "unknown-parent"; length: number }
  | { status: "invalid"; length: number; index: number; reason: string };

export type DataLookup =
  | { id: string; message: string; status: "pending" }
  | { id: string; message: string; status: "confirmed"; index: number; confirmations: number };

/** What a request's headers claim about its caller (never a proof), and the connection's address. */
export interface CallerClaim {
  /** X-Blockchain-Node. */
  address: string | null;
  /** X-Blockchain-Node-Id. */
  nodeId: string | null;
  ip: string;
}

/** A valid block the node saw, adopted or not (GET /blocks/seen, the `seen` event). */
export interface SeenBlockView {
  hash: string;
  previous_hash: string | null;
  index: number;
  timestamp: number;
  /** ms of the node's clock. */
  first_seen: number;
  /** "self" or the sender's host:port. */
  from: string;
  /** Whether the block is on the node's chain now. */
  on_main: boolean;
}

/** A peer as GET /peers gives it. */
export interface PeerView {
  address: string;
  node_id: string | null;
  state: "connected" | "failing" | "set-aside" | "banned";
  rtt_ms: number | null;
  failures: number;
  last_ok: number | null;
}

/** What the SSE stream relays: the SPEC's event names and payloads. */
export interface NodeEvents {
  /** One block that joined the chain (emitted only while someone listens: a sync adds thousands at once). */
  block: [block: Block];
  /**
   * Blocks that joined the chain: `count` of them from index `from`, decoded
   * when read (`blocks(skip)`: those after the first `skip`), during the event only.
   */
  blocks: [joined: { from: number; count: number; blocks(skip?: number): Block[] }];
  data: [data: Data];
  reorg: [
    reorg: {
      fork_index: number;
      old_tip: string;
      new_tip: string;
      returned: string[];
      /** Confirmed ids whose text the new branch replaced; the old text is pending as `new_id`. */
      replaced: { id: string; new_id: string }[];
    },
  ];
  neighbours: [neighbours: string[]];
  /** A valid block received or mined, adopted or not. */
  seen: [seen: SeenBlockView];
}

/** The narrow face of the node that the HTTP API talks to. */
export interface NodeApi {
  readonly maxMessageBytes: number;
  readonly events: EventEmitter<NodeEvents>;
  status(): NodeStatus;
  chainLength(): number;
  /** A snapshot of blocks [from, from + limit). */
  blocks(from: number, limit: number): Block[];
  /** The format of the records the node stores (its chain file's). */
  chainFormat(): ChainSerialization;
  /** Blocks [from, from + limit) as records of `format`, at most `maxBytes` past the first block. */
  blockRecords(from: number, limit: number, maxBytes: number, format: ChainSerialization): Buffer;
  neighbourList(): string[];
  /** Blocks seen after `afterMs` (this node's clock), oldest first, at most `limit`. */
  seenBlocks(afterMs: number, limit: number): SeenBlockView[];
  /** Every peer the node knows, with its state. */
  peers(): PeerView[];
  /** A devnet's split: no request to or from these addresses until the next call (empty heals). */
  cutOff(addresses: string[]): void;
  /** Whether a caller claiming `address` is cut off by a devnet's split. */
  isCutOff(address: string | null): boolean;
  pendingMessages(): Data[];
  /** One page of pending messages ordered by id: those after `after`, at most `limit` (and the byte budget). */
  pendingMessagesPage(after: string, limit: number): Data[];
  lookupData(id: string): DataLookup | null;
  /** Accepts a new message (durable before it resolves); throws PendingFullError when full. */
  addMessage(message: string): Promise<Data>;
  /** Blocks announced by a peer (or anyone). */
  receiveBlocks(blocks: unknown[], caller: CallerClaim): BlocksAnnounceResult;
  /** Pending messages relayed by a peer; resolves to how many were new. */
  receiveData(data: unknown[], caller: CallerClaim): Promise<number>;
  /** A caller sent X-Blockchain-Node (and X-Blockchain-Node-Id): a claim the node may check. */
  noteCaller(caller: CallerClaim): void;
  metricsText(): Promise<{ contentType: string; body: string }>;
}
