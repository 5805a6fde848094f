import { availableParallelism } from "node:os";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../core/data.js";

/** Every default of the node, in one place: flags, the Miner constructor and tests read them here. */
export const DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  port: 12345,
  chainPath: ".blockchain/chain.json",
  chainSerialization: "json" as "json" | "binary",
  difficulty: 5,
  maxNeighbours: 3,
  gossipIntervalS: 20,
  chainSyncIntervalS: 10,
  dataSyncIntervalS: 5,
  backupIntervalS: 30,
  workers: availableParallelism(),
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  /** How many pending messages a node holds before it answers 503. */
  maxPending: 10_000,
  /** Consecutive failures after which a neighbour is dropped. */
  maxPeerFailures: 3,
  /** How long a misbehaving peer stays banned. */
  banDurationS: 600,
  /** Time-out of one outgoing request to a peer. */
  peerRequestTimeoutMs: 5_000,
  /** Largest answer read from a peer. */
  peerMaxResponseBytes: 16 * 1024 * 1024,
  /** Most blocks served or fetched in one page. */
  blocksPageLimit: 1000,
  /** Largest body the API reads. */
  maxBodyBytes: 8 * 1024 * 1024,
  /** Size at which miner.log is rotated. */
  logRotateBytes: 10 * 1024 * 1024,
  logLevel: "info",
  uiPort: 8080,
  devnetNodes: 3,
  devnetDifficulty: 4,
});

export type ChainSerialization = "json" | "binary";
